//! Model benchmark: coturn-shaped events for 100k live allocations over 20k users and 50 realms,
//! 10 minutes of simulated time at coturn's real cadence (a traffic pair every ~4096 packets).
//!
//! Prints events/s into the model (parse + apply, one core) and memory per live allocation
//! (RSS growth and the model's own accounting), next to the targets of issue 3.
//! Run: `cargo bench --bench model` (add `-- --quick` for a 10x smaller run).

use std::time::Instant;

use turntop::coturn::{self, AllocationId, Counters, EventKind, Leg};
use turntop::model::{Model, ModelConfig};

const REALMS: usize = 50;
const USERS: usize = 20_000;
const ALLOCATIONS: usize = 100_000;
const SIM_SECONDS: f64 = 600.0;
const T0: f64 = 1_795_586_892.0;

/// Tiny deterministic PRNG (xorshift64*), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Copy)]
struct Ev {
    at: f64,
    alloc: u32,
    /// 0 new, 1 refreshed, 2 traffic, 3 traffic/peer
    kind: u8,
    payload: u16,
}

fn rss_bytes() -> usize {
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

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick { 10 } else { 1 };
    let (allocs, users) = (ALLOCATIONS / scale, USERS / scale);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);

    // Channel names, built with the same function the demo uses (so they are coturn's shapes):
    // realm-less for one realm in 50, REST-style usernames for a third of the users.
    let realm_of_user: Vec<usize> = (0..users).map(|u| u % REALMS).collect();
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
    let status_payloads = [
        "new lifetime=777, type=UDP, local=10.0.0.1:3478, remote=203.0.113.7:50312, ssl=NONE, cipher=NONE".to_owned(),
        "refreshed lifetime=600, type=UDP, local=10.0.0.1:3478, remote=203.0.113.7:50312, ssl=NONE, cipher=NONE"
            .to_owned(),
    ];
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
    println!(
        "workload: {} allocations, {} users, {} realms, {:.0} s simulated, {} events",
        allocs,
        users,
        REALMS,
        SIM_SECONDS,
        events.len()
    );

    // The live loop drains whatever the Redis reader queued (fresh, owned messages) and
    // applies it in one go; so does this: messages are materialized in batches the way the
    // reader would produce them (untimed), and only applying them to the model is timed.
    const BATCH: usize = 65_536;
    let mut batch: Vec<(String, Vec<u8>, f64)> = (0..BATCH)
        .map(|_| (String::with_capacity(96), Vec::with_capacity(128), 0.0))
        .collect();
    let rss_before = rss_bytes();
    let mut model = Model::new(ModelConfig::default());
    let ep = model.add_endpoint("bench");
    let mut timed = std::time::Duration::ZERO;
    let mut last_evict = 0.0;
    for chunk in events.chunks(BATCH) {
        for (slot, e) in batch.iter_mut().zip(chunk) {
            let (channel, payload): (&str, &str) = match e.kind {
                0 | 1 => (
                    &channels[e.alloc as usize][0],
                    &status_payloads[e.kind as usize],
                ),
                2 => (
                    &channels[e.alloc as usize][1],
                    &traffic_payloads[e.payload as usize],
                ),
                _ => (
                    &channels[e.alloc as usize][2],
                    &traffic_payloads[e.payload as usize],
                ),
            };
            slot.0.clear();
            slot.0.push_str(channel);
            slot.1.clear();
            slot.1.extend_from_slice(payload.as_bytes());
            slot.2 = T0 + e.at;
        }
        let started = Instant::now();
        for (channel, payload, at) in &batch[..chunk.len()] {
            if *at - last_evict >= 1.0 {
                // The UI loop evicts once a second; include that cost.
                model.evict(*at);
                last_evict = *at;
            }
            model.apply_raw(ep, *at, channel, payload);
        }
        timed += started.elapsed();
    }
    let elapsed = timed.as_secs_f64();
    let rss_after = rss_bytes();
    assert_eq!(model.counters.malformed, 0);
    let now = T0 + SIM_SECONDS;
    let live = model
        .allocation_rows(now)
        .iter()
        .filter(|r| r.state.is_open())
        .count();
    let eps = events.len() as f64 / elapsed;
    let rss_per = (rss_after.saturating_sub(rss_before)) as f64 / live as f64;
    let own_per = model.approx_bytes() as f64 / live as f64;
    println!(
        "ingest: {:.2} s for {} events = {:.2} M events/s (target >= 2.0 M/s: {:.2}x)",
        elapsed,
        events.len(),
        eps / 1e6,
        eps / 2e6
    );
    println!(
        "memory: {live} live allocations, RSS growth {:.0} B/allocation, model accounting {:.0} B/allocation (target <= 1536 B: {:.2}x of budget)",
        rss_per,
        own_per,
        rss_per / 1536.0
    );

    // Query costs the UI pays per frame, for reference.
    let t = Instant::now();
    let rows = model.allocation_rows(now);
    let rows_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let users_rows = model.user_rows(now);
    let users_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let realms_rows = model.realm_rows(now);
    let realms_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "queries: {} allocation rows {:.1} ms, {} user rows {:.1} ms, {} realm rows {:.1} ms",
        rows.len(),
        rows_ms,
        users_rows.len(),
        users_ms,
        realms_rows.len(),
        realms_ms
    );
}
