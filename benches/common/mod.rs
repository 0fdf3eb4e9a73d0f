//! The benchmark workload shared by the model and frame benchmarks: coturn-shaped events for
//! many allocations over many users and realms, at coturn's real cadence.
#![allow(dead_code)]

use turntop::coturn::{self, AllocationId, Counters, EventKind, Leg};

pub const REALMS: usize = 50;
pub const USERS: usize = 20_000;
pub const ALLOCATIONS: usize = 100_000;
pub const SIM_SECONDS: f64 = 600.0;
pub const T0: f64 = 1_795_586_892.0;

/// Tiny deterministic PRNG (xorshift64*), so runs are comparable.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Copy)]
pub struct Ev {
    pub at: f64,
    pub alloc: u32,
    /// 0 new, 1 refreshed, 2 traffic, 3 traffic/peer
    pub kind: u8,
    pub payload: u16,
}

pub fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<usize>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

pub struct Workload {
    pub channels: Vec<[String; 3]>,
    pub status_payloads: Vec<[String; 2]>,
    pub traffic_payloads: Vec<String>,
    /// In time order.
    pub events: Vec<Ev>,
}

impl Workload {
    /// The channel and payload of one event, as coturn would publish them.
    pub fn message(&self, e: &Ev) -> (&str, &str) {
        match e.kind {
            0 | 1 => (
                &self.channels[e.alloc as usize][0],
                &self.status_payloads[e.alloc as usize][e.kind as usize],
            ),
            2 => (
                &self.channels[e.alloc as usize][1],
                &self.traffic_payloads[e.payload as usize],
            ),
            _ => (
                &self.channels[e.alloc as usize][2],
                &self.traffic_payloads[e.payload as usize],
            ),
        }
    }
}

pub fn workload(allocs: usize, users: usize) -> Workload {
    workload_in(allocs, users, REALMS)
}

/// [`workload`] over `realms` realms.
pub fn workload_in(allocs: usize, users: usize, realms: usize) -> Workload {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    // Channel names, built with the same function the demo uses (so they are coturn's shapes):
    // realm-less for one realm in 50, REST-style usernames for a third of the users.
    let realm_of_user: Vec<usize> = (0..users).map(|u| u % realms).collect();
    let user_name: Vec<String> = (0..users)
        .map(|u| {
            if u % 3 == 0 {
                format!("1795641736:user{u}")
            } else {
                format!("user{u}")
            }
        })
        .collect();
    let realm_name = |r: usize| (r != 0).then(|| format!("realm{r}.example"));
    let mut channels: Vec<[String; 3]> = Vec::with_capacity(allocs);
    for a in 0..allocs {
        let u = a % users;
        let realm = realm_name(realm_of_user[u]);
        let id = AllocationId(((a % 4) as u64) * 1_000_000_000_000_000 + a as u64);
        channels.push([
            coturn::channel_name(realm.as_deref(), &user_name[u], id, EventKind::Status),
            coturn::channel_name(
                realm.as_deref(),
                &user_name[u],
                id,
                EventKind::Traffic(Leg::Client),
            ),
            coturn::channel_name(
                realm.as_deref(),
                &user_name[u],
                id,
                EventKind::Traffic(Leg::Peer),
            ),
        ]);
    }
    // Status payloads per allocation: a mix of transports, and each client at its own address
    // (one in ten over IPv6), as coturn formats them.
    let status_payloads: Vec<[String; 2]> = (0..allocs)
        .map(|a| {
            let (transport, ssl) = match a % 20 {
                0..=13 => ("UDP", "NONE"),
                14..=16 => ("TCP", "NONE"),
                17..=18 => ("TLS/TCP", "TLSv1.3"),
                _ => ("DTLS/UDP", "DTLSv1.2"),
            };
            let h = (a as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let port = 1024 + (h >> 48) % 64000;
            let remote = if a % 10 == 0 {
                format!("[2001:db8::{:x}]:{port}", (h >> 16) & 0xffff)
            } else {
                format!(
                    "{}.{}.{}.{}:{port}",
                    (h >> 8) % 223 + 1,
                    (h >> 16) & 0xff,
                    (h >> 24) & 0xff,
                    (h >> 32) % 254 + 1
                )
            };
            let fields = format!(
                "type={transport}, local=10.0.0.1:3478, remote={remote}, ssl={ssl}, cipher=NONE"
            );
            [
                format!("new lifetime=777, {fields}"),
                format!("refreshed lifetime=600, {fields}"),
            ]
        })
        .collect();
    // Traffic payloads: ~4096 packets a report, audio (~170 B) to video (~1100 B) packets.
    let traffic_payloads: Vec<String> = (0..1024)
        .map(|i| {
            let size = 170 + (i * 37) % 1000;
            let rp = 2048 + (i % 7) as u64;
            let sp = 4096 - rp;
            coturn::counters_payload(&Counters {
                rcvp: rp,
                rcvb: rp * size as u64,
                sentp: sp,
                sentb: sp * size as u64,
            })
        })
        .collect();

    // Cadence: 60 % audio (a report pair every ~20 s), 15 % video (every ~3 s), 25 % idle.
    let mut events: Vec<Ev> = Vec::with_capacity(allocs * 60);
    for a in 0..allocs {
        let start = rng.unit() * 5.0;
        let alloc = a as u32;
        events.push(Ev {
            at: start,
            alloc,
            kind: 0,
            payload: 0,
        });
        events.push(Ev {
            at: start + 0.001,
            alloc,
            kind: 1,
            payload: 1,
        });
        let mut t = start + 240.0 + rng.unit() * 60.0;
        while t < SIM_SECONDS {
            events.push(Ev {
                at: t,
                alloc,
                kind: 1,
                payload: 1,
            });
            t += 300.0;
        }
        let class = rng.unit();
        let interval = if class < 0.60 {
            20.0
        } else if class < 0.75 {
            3.0
        } else {
            f64::INFINITY
        };
        let mut t = start + interval * (0.5 + rng.unit());
        while t < SIM_SECONDS {
            let p = (rng.next() % 1024) as u16;
            events.push(Ev {
                at: t,
                alloc,
                kind: 2,
                payload: p,
            });
            events.push(Ev {
                at: t + 0.0005,
                alloc,
                kind: 3,
                payload: p,
            });
            t += interval * (0.8 + 0.4 * rng.unit());
        }
    }
    events.sort_by(|a, b| a.at.total_cmp(&b.at));
    Workload {
        channels,
        status_payloads,
        traffic_payloads,
        events,
    }
}

/// A model holding the whole workload (10 simulated minutes), and the instant it is true at.
pub fn loaded_model(w: &Workload) -> (turntop::model::Model, f64) {
    let mut model = turntop::model::Model::new(turntop::model::ModelConfig::default());
    let ep = model.add_endpoint("bench");
    let mut last_evict = 0.0;
    for e in &w.events {
        if e.at - last_evict >= 1.0 {
            model.evict(T0 + e.at);
            last_evict = e.at;
        }
        let (channel, payload) = w.message(e);
        model.apply_raw(ep, T0 + e.at, channel, payload.as_bytes());
    }
    (model, T0 + SIM_SECONDS)
}
