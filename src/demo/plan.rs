//! The plan of a client: its realm and user, its allocations (transport, traffic profile,
//! duration, how it ends) and the packet flows it sends. Pure draws from the demo's [`Rng`].

use super::data::DemoData;
use super::rng::Rng;
use super::{INITIAL_LIFETIME, REFRESH_LIFETIME};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Transport {
    Udp,
    Tcp,
    Tls,
    Dtls,
}

impl Transport {
    /// A connection: a drop is seen at once, a release is handled at once.
    pub(super) fn is_stream(self) -> bool {
        matches!(self, Transport::Tcp | Transport::Tls)
    }
}

const TLS12_CIPHERS: [&str; 3] = [
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-CHACHA20-POLY1305",
];
const TLS13_CIPHERS: [&str; 3] = [
    "TLS_AES_256_GCM_SHA384",
    "TLS_AES_128_GCM_SHA256",
    "TLS_CHACHA20_POLY1305_SHA256",
];
const DTLS_CIPHERS: [&str; 2] = ["ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"];
const LISTENERS: [&str; 2] = ["10.0.0.1", "10.0.0.2"];
const REMOTE_NETS: [&str; 3] = ["192.0.2", "198.51.100", "203.0.113"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Profile {
    Audio,
    Video,
    /// Screen share or an SFU leg: MB/s.
    Heavy,
    /// A data channel: a trickle, with file-transfer bursts.
    Data,
    /// Keeps its allocation and sends (almost) nothing.
    Idle,
    /// A connectivity probe: a TCP one is gone in milliseconds, a UDP one is left to expire.
    Probe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EndKind {
    /// REFRESH with lifetime 0.
    Release,
    /// A UDP/DTLS client that disappears: coturn notices when the lifetime runs out.
    Vanish,
    /// A TCP/TLS connection that drops: coturn deletes at once.
    Drop,
}

#[derive(Clone, Debug)]
pub(super) struct AllocPlan {
    /// After the client's arrival.
    pub(super) offset: f64,
    pub(super) transport: Transport,
    pub(super) ssl: &'static str,
    pub(super) cipher: &'static str,
    pub(super) profile: Profile,
    /// From the allocation to its end (release, vanish or drop).
    pub(super) duration: f64,
    pub(super) end: EndKind,
    pub(super) remote_port: u16,
}

#[derive(Clone, Debug)]
pub(super) struct ClientPlan {
    pub(super) realm: usize,
    pub(super) user: String,
    pub(super) local_ip: &'static str,
    pub(super) remote_ip: String,
    pub(super) allocs: Vec<AllocPlan>,
}

impl AllocPlan {
    /// About how long its status key exists: for steering the arrival rate.
    pub(super) fn open_time(&self) -> f64 {
        match (self.profile, self.end) {
            (Profile::Probe, EndKind::Vanish) => f64::from(INITIAL_LIFETIME),
            (_, EndKind::Vanish) => self.duration + 0.5 * f64::from(REFRESH_LIFETIME),
            _ => self.duration,
        }
    }
}

fn pick_transport(rng: &mut Rng) -> (Transport, &'static str, &'static str) {
    match rng.weighted(&[0.58, 0.10, 0.20, 0.12]) {
        0 => (Transport::Udp, "NONE", "NONE"),
        1 => (Transport::Tcp, "NONE", "NONE"),
        2 => tls(rng),
        _ => (
            Transport::Dtls,
            "DTLSv1.2",
            DTLS_CIPHERS[rng.below(DTLS_CIPHERS.len() as u64) as usize],
        ),
    }
}

fn tls(rng: &mut Rng) -> (Transport, &'static str, &'static str) {
    if rng.chance(0.6) {
        let c = TLS13_CIPHERS[rng.below(TLS13_CIPHERS.len() as u64) as usize];
        (Transport::Tls, "TLSv1.3", c)
    } else {
        let c = TLS12_CIPHERS[rng.below(TLS12_CIPHERS.len() as u64) as usize];
        (Transport::Tls, "TLSv1.2", c)
    }
}

fn pick_end(rng: &mut Rng, t: Transport) -> EndKind {
    match t {
        Transport::Udp if rng.chance(0.2) => EndKind::Vanish,
        Transport::Dtls if rng.chance(0.15) => EndKind::Vanish,
        Transport::Tcp | Transport::Tls if rng.chance(0.25) => EndKind::Drop,
        _ => EndKind::Release,
    }
}

fn media_duration(rng: &mut Rng, profile: Profile) -> f64 {
    let x = rng.unit();
    let d = if x < 0.15 {
        rng.range(5.0, 60.0) // a test call, a wrong number
    } else if x < 0.88 {
        let median = if profile == Profile::Heavy {
            700.0
        } else {
            360.0
        };
        rng.lognormal(median, 0.7).clamp(30.0, 4000.0)
    } else {
        rng.range(1200.0, 4800.0) // the long meeting
    };
    d.max(1.0)
}

fn remote_port(rng: &mut Rng, t: Transport) -> u16 {
    if t.is_stream() {
        32768 + rng.below(28232) as u16
    } else {
        1024 + rng.below(64512) as u16
    }
}

pub(super) fn plan_client(rng: &mut Rng, data: &DemoData, at: f64) -> ClientPlan {
    let shares: Vec<f64> = data.realms.iter().map(|r| r.share.max(0.0)).collect();
    let realm = rng.weighted(&shares);
    let rd = &data.realms[realm];
    // Zipf-like: the first users are the busiest.
    let weights: Vec<f64> = (0..rd.users.len())
        .map(|i| 1.0 / ((i + 1) as f64).powf(0.8))
        .collect();
    let ui = rng.weighted(&weights);
    let name = &rd.users[ui];
    let user = if rd.rest {
        // REST credentials valid for a day, issued once an hour per user: the expiry changes
        // now and then, as with a real web app.
        let jitter = (ui as u64 * 977) % 3600;
        let hour = (at.max(0.0) as u64 + jitter) / 3600;
        format!("{}:{name}", (hour + 25) * 3600 - jitter)
    } else {
        name.clone()
    };
    let local_ip = LISTENERS[rng.below(LISTENERS.len() as u64) as usize];
    let remote_ip = format!(
        "{}.{}",
        REMOTE_NETS[rng.below(REMOTE_NETS.len() as u64) as usize],
        1 + rng.below(254)
    );

    let mut allocs = Vec::with_capacity(3);
    if rng.chance(0.03) {
        // A connectivity probe, like turnutils_uclient's first allocation.
        let (transport, ssl, cipher) = if rng.chance(0.5) {
            (Transport::Udp, "NONE", "NONE")
        } else {
            (Transport::Tcp, "NONE", "NONE")
        };
        let end = if transport == Transport::Udp {
            EndKind::Vanish
        } else {
            EndKind::Drop
        };
        allocs.push(AllocPlan {
            offset: 0.0,
            transport,
            ssl,
            cipher,
            profile: Profile::Probe,
            duration: rng.range(0.001, 0.006),
            end,
            remote_port: remote_port(rng, transport),
        });
    } else {
        let m = &rd.mix;
        let profile = match rng.weighted(&[m.audio, m.video, m.heavy, m.data, m.idle]) {
            0 => Profile::Audio,
            1 => Profile::Video,
            2 => Profile::Heavy,
            3 => Profile::Data,
            _ => Profile::Idle,
        };
        let (transport, ssl, cipher) = if profile == Profile::Heavy && rng.chance(0.7) {
            (Transport::Udp, "NONE", "NONE")
        } else {
            pick_transport(rng)
        };
        let duration = media_duration(rng, profile);
        let main_port = remote_port(rng, transport);
        allocs.push(AllocPlan {
            offset: 0.0,
            transport,
            ssl,
            cipher,
            profile,
            duration,
            end: pick_end(rng, transport),
            remote_port: main_port,
        });
        // Sibling candidates on other transports, pruned after a while.
        let siblings = rng.weighted(&[0.6, 0.3, 0.1]);
        for k in 0..siblings {
            let (t, ssl, cipher) = match (transport, k) {
                (Transport::Udp, 0) | (Transport::Dtls, 0) => tls(rng),
                (_, 0) => (Transport::Udp, "NONE", "NONE"),
                _ => (Transport::Tcp, "NONE", "NONE"),
            };
            let port = if t.is_stream() {
                remote_port(rng, t)
            } else {
                main_port.wrapping_add(1 + k as u16).max(1024)
            };
            allocs.push(AllocPlan {
                offset: rng.range(0.002, 0.08),
                transport: t,
                ssl,
                cipher,
                profile: Profile::Idle,
                duration: rng.range(10.0, 120.0).min(duration),
                end: EndKind::Release,
                remote_port: port,
            });
        }
    }
    ClientPlan {
        realm,
        user,
        local_ip,
        remote_ip,
        allocs,
    }
}

/// Packets per second and mean payload size of both directions, from the client's view.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Flow {
    pub(super) up_pps: f64,
    pub(super) up_size: f64,
    pub(super) down_pps: f64,
    pub(super) down_size: f64,
}

pub(super) fn draw_flow(rng: &mut Rng, profile: Profile) -> Flow {
    match profile {
        Profile::Audio => {
            // Opus at 20 ms; a muted side sends DTX frames only.
            let side = |rng: &mut Rng| {
                if rng.chance(0.25) {
                    (rng.range(2.0, 6.0), rng.range(40.0, 60.0))
                } else {
                    (rng.range(49.0, 50.5), rng.range(90.0, 150.0))
                }
            };
            let (up_pps, up_size) = side(rng);
            let (down_pps, down_size) = side(rng);
            Flow {
                up_pps,
                up_size,
                down_pps,
                down_size,
            }
        }
        Profile::Video => {
            let camera_off = rng.chance(0.12);
            Flow {
                up_pps: if camera_off {
                    50.0
                } else {
                    rng.range(120.0, 450.0)
                },
                up_size: if camera_off {
                    120.0
                } else {
                    rng.range(800.0, 1150.0)
                },
                down_pps: rng.range(150.0, 520.0),
                down_size: rng.range(850.0, 1150.0),
            }
        }
        Profile::Heavy => {
            let big = (rng.range(900.0, 2200.0), rng.range(1100.0, 1200.0));
            let small = (rng.range(60.0, 400.0), rng.range(300.0, 1000.0));
            let ((up_pps, up_size), (down_pps, down_size)) = if rng.chance(0.5) {
                (big, small) // presenting
            } else {
                (small, big) // watching, or an SFU fan-out
            };
            Flow {
                up_pps,
                up_size,
                down_pps,
                down_size,
            }
        }
        Profile::Data => {
            let mut f = Flow {
                up_pps: rng.range(0.2, 4.0),
                up_size: rng.range(80.0, 600.0),
                down_pps: rng.range(0.2, 4.0),
                down_size: rng.range(80.0, 600.0),
            };
            if rng.chance(0.12) {
                // a file transfer
                if rng.chance(0.5) {
                    f.up_pps = rng.range(200.0, 900.0);
                    f.up_size = 1160.0;
                } else {
                    f.down_pps = rng.range(200.0, 900.0);
                    f.down_size = 1160.0;
                }
            }
            f
        }
        Profile::Idle | Profile::Probe => Flow::default(),
    }
}

/// Mean seconds between changes of a profile's flow (a mute, a bitrate step, a burst).
pub(super) fn flow_change_mean(profile: Profile) -> Option<f64> {
    match profile {
        Profile::Audio => Some(45.0),
        Profile::Video => Some(20.0),
        Profile::Heavy => Some(15.0),
        Profile::Data => Some(25.0),
        Profile::Idle | Profile::Probe => None,
    }
}
