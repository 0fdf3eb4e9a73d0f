//! The demo generator behind `turntop --demo`: a simulated coturn server that publishes exactly
//! what a real one publishes to Redis (`--redis-statsdb`), so turntop can be shown, tried and
//! tested with no coturn and no Redis at all.
//!
//! # What it simulates
//!
//! One coturn process with a few relay threads, serving several realms (names from the bundled
//! `assets/demo.toml`), one of them realm-less (`--no-auth`: `turn/user//allocation/...`), one
//! with TURN REST API usernames (`<expiry>:<name>`), and users with awkward names (`/`, spaces,
//! `:`, an ANSI escape, a right-to-left override) that turntop must display escaped.
//!
//! Clients arrive as a Poisson process whose rate is steered so that about
//! [`DemoConfig::target_allocations`] allocations are open (with a slow swell, so the charts
//! live). A client opens one allocation that carries its media and sometimes one or two idle
//! sibling allocations on other transports (the ICE candidates a browser gathers and then
//! prunes). Every allocation has a transport (UDP, TCP, TLS/TCP with TLSv1.2/1.3, DTLS), a
//! traffic profile (audio, video, heavy screen share / SFU at MB/s, data channel with file
//! bursts, idle), a duration from seconds to an hour, and a way to end.
//!
//! # Why it is faithful to coturn
//!
//! Everything is checked against the captures of coturn 4.6.1 in `tests/fixtures/coturn-4.6.1`
//! and `shared/docs/coturn-redis.md`; channels and traffic payloads are built with
//! [`coturn::channel_name`] and [`coturn::counters_payload`], the inverses of the parser.
//!
//! - **Ids** are `relay_thread * 10^15 + per-thread counter`, printed with 18 digits; every
//!   session takes the next counter of its thread, including sessions that never authenticate.
//! - **Allocate**: `new lifetime=777, type=..., local=..., remote=..., ssl=..., cipher=...` and
//!   immediately `refreshed lifetime=777, ...`; `refreshed lifetime=600` when traffic starts,
//!   then a `refreshed lifetime=600` about every 5 minutes.
//! - **Traffic** is packet-driven, not time-driven: coturn publishes a `traffic` +
//!   `traffic/peer` pair of **deltas** when the four packet counters (client rcvp + sentp, peer
//!   rcvp + sentp) add up to 4096 since the previous report, so every periodic report sums to
//!   exactly 4096 packets. A 50 packet/s audio call reports about every 20 s, a video call every
//!   few seconds, an idle allocation only when it closes. Packets are relayed: what the relay
//!   receives from the client it sends to the peer and vice versa; the client leg carries the 4
//!   byte ChannelData header and a trickle of control messages (refreshes, permissions).
//! - **Release** by the client: `refreshed lifetime=0`, then (about 1 s later over UDP, at once
//!   over TCP, TLS and DTLS) the delete sequence: final `traffic`, `traffic/peer`, `deleted`,
//!   `total_traffic`, `total_traffic/peer`. Each total is the exact sum of that leg's deltas.
//! - **Vanished** UDP/DTLS clients: no event at all until the lifetime granted by the last
//!   refresh runs out, then the delete sequence (within a second of the expiry, like coturn's
//!   timer). **Dropped** TCP/TLS connections: the delete sequence at once, no `lifetime=0`.
//! - **Probes**: like `turnutils_uclient`, a few TCP allocations that are deleted within
//!   milliseconds, and UDP ones that never see `lifetime=600` and expire after 777 s.
//! - **Pre-auth sessions**: a `traffic` + `traffic/peer` pair with an empty user and no status,
//!   for sessions closed before they authenticated.
//! - **Listeners**: clients reach one of two listening addresses (10.0.0.1 and 10.0.0.2), on
//!   3478 (UDP, TCP) or 5349 (TLS, DTLS): four coturn listeners in the Servers view.
//! - **Restarts**: now and then ([`DemoConfig::restart_after`], then about every
//!   [`DemoConfig::restart_every`]) the server crashes and comes back: nothing is published for
//!   its open allocations, its status keys are gone, its id counters start again at 1. Most
//!   clients with a call in progress reconnect within seconds, to the same listener, and get the
//!   ids of their previous sessions, as with real coturn; the rest are gone.
//! - **Status keys**: [`Demo::status_keys`] lists the keys the server's Redis would hold; the
//!   real-time driver hands them to turntop in a reconciliation pass every 30 s and when asked,
//!   as the Redis source does.
//!
//! # Determinism
//!
//! The generator is pure: time is the caller's (epoch seconds, [`Demo::advance`]), there is no
//! clock read and no I/O, and randomness comes from a small seeded generator. The same seed
//! gives the same messages, however the calls to [`Demo::advance`] are cut. Only [`run`], the
//! real-time task, reads the wall clock once to anchor the simulation.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustc_hash::FxHashMap;
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::coturn::{self, AllocationId, Counters, EventKind, Leg};
use crate::model::EndpointId;
use crate::source::SourceEvent;
use crate::source::redis::{self, ReconcileTrigger};

/// The bundled realms and users (`assets/demo.toml`).
pub const BUNDLED_DATA: &str = include_str!("../assets/demo.toml");

/// coturn reports traffic when the four packet counters of an allocation add up to this.
pub const REPORT_PACKETS: u64 = 4096;
/// The lifetime of a fresh allocation, as `turnutils_uclient` asks for it.
pub const INITIAL_LIFETIME: u32 = 777;
/// The lifetime of every later refresh.
pub const REFRESH_LIFETIME: u32 = 600;

/// Knobs of the simulation. [`DemoConfig::default`] is what `turntop --demo` shows.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoConfig {
    /// Same seed, same messages.
    pub seed: u64,
    /// About how many allocations are open at any time (the arrival rate is steered to it).
    pub target_allocations: u32,
    /// coturn's `--relay-threads`: the leading digits of the ids.
    pub relay_threads: u32,
    /// Seconds simulated before `start`, so that the first screen is already full and has a
    /// history. Their messages come from [`Demo::prewarm`]. 0 starts an empty server.
    pub warmup: f64,
    /// Sessions closed before authentication (traffic with an empty user, no status), per minute.
    pub preauth_per_minute: f64,
    /// Relative amplitude of a slow swell of the target population (0 = flat).
    pub swell: f64,
    /// Period of that swell, in seconds.
    pub swell_period: f64,
    /// Seconds after `start` of the first server restart (0: never).
    pub restart_after: f64,
    /// Mean seconds between restarts after the first.
    pub restart_every: f64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 0x0074_7572_6e74_6f70, // "turntop"
            target_allocations: 300,
            relay_threads: 3,
            warmup: 900.0,
            preauth_per_minute: 4.0,
            swell: 0.12,
            swell_period: 1800.0,
            restart_after: 150.0,
            restart_every: 1500.0,
        }
    }
}

impl DemoConfig {
    pub fn with_seed(seed: u64) -> Self {
        DemoConfig {
            seed,
            ..DemoConfig::default()
        }
    }
}

/// One message as coturn would publish it.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoMessage {
    /// Epoch seconds, rounded to the millisecond.
    pub at: f64,
    pub channel: String,
    pub payload: String,
}

impl DemoMessage {
    pub fn into_event(self, endpoint: EndpointId) -> SourceEvent {
        SourceEvent::Message {
            endpoint,
            at: self.at,
            channel: self.channel,
            payload: self.payload.into_bytes(),
        }
    }
}

// ---- bundled data ---------------------------------------------------------------------------

/// Realms and users the demo draws from.
#[derive(Clone, Debug, Deserialize)]
pub struct DemoData {
    #[serde(rename = "realm")]
    pub realms: Vec<RealmData>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RealmData {
    /// `None`: a realm-less server (`--no-auth`).
    pub name: Option<String>,
    pub share: f64,
    #[serde(default)]
    pub rest: bool,
    pub users: Vec<String>,
    #[serde(default)]
    pub mix: Mix,
}

/// Relative weights of the traffic profiles of a client's media allocation.
#[derive(Clone, Debug, Deserialize)]
pub struct Mix {
    pub audio: f64,
    pub video: f64,
    pub heavy: f64,
    pub data: f64,
    pub idle: f64,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            audio: 0.4,
            video: 0.3,
            heavy: 0.02,
            data: 0.1,
            idle: 0.18,
        }
    }
}

impl DemoData {
    pub fn parse(text: &str) -> Result<DemoData, String> {
        let data: DemoData = toml::from_str(text).map_err(|e| e.to_string())?;
        if data.realms.is_empty() {
            return Err("no [[realm]]".into());
        }
        for r in &data.realms {
            if r.users.is_empty() {
                return Err(format!("realm {:?} has no users", r.name));
            }
            if !(r.share.is_finite() && r.share >= 0.0) {
                return Err(format!("realm {:?}: bad share", r.name));
            }
        }
        if data.realms.iter().all(|r| r.share <= 0.0) {
            return Err("every share is 0".into());
        }
        Ok(data)
    }

    pub fn bundled() -> DemoData {
        DemoData::parse(BUNDLED_DATA).expect("assets/demo.toml is valid")
    }
}

// ---- randomness -------------------------------------------------------------------------------

/// SplitMix64: tiny, fast, good enough for a demo, and identical on every platform.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

// ---- what a client does -----------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Udp,
    Tcp,
    Tls,
    Dtls,
}

impl Transport {
    /// A connection: a drop is seen at once, a release is handled at once.
    fn is_stream(self) -> bool {
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
enum Profile {
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
enum EndKind {
    /// REFRESH with lifetime 0.
    Release,
    /// A UDP/DTLS client that disappears: coturn notices when the lifetime runs out.
    Vanish,
    /// A TCP/TLS connection that drops: coturn deletes at once.
    Drop,
}

#[derive(Clone, Debug)]
struct AllocPlan {
    /// After the client's arrival.
    offset: f64,
    transport: Transport,
    ssl: &'static str,
    cipher: &'static str,
    profile: Profile,
    /// From the allocation to its end (release, vanish or drop).
    duration: f64,
    end: EndKind,
    remote_port: u16,
}

#[derive(Clone, Debug)]
struct ClientPlan {
    realm: usize,
    user: String,
    local_ip: &'static str,
    remote_ip: String,
    allocs: Vec<AllocPlan>,
}

impl AllocPlan {
    /// About how long its status key exists: for steering the arrival rate.
    fn open_time(&self) -> f64 {
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

fn plan_client(rng: &mut Rng, data: &DemoData, at: f64) -> ClientPlan {
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
struct Flow {
    up_pps: f64,
    up_size: f64,
    down_pps: f64,
    down_size: f64,
}

fn draw_flow(rng: &mut Rng, profile: Profile) -> Flow {
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
fn flow_change_mean(profile: Profile) -> Option<f64> {
    match profile {
        Profile::Audio => Some(45.0),
        Profile::Video => Some(20.0),
        Profile::Heavy => Some(15.0),
        Profile::Data => Some(25.0),
        Profile::Idle | Profile::Probe => None,
    }
}

/// Control messages (refresh, permission, channel bind, their answers) per second each way on
/// the client leg.
const CONTROL_PPS: f64 = 0.02;
const CONTROL_SIZE: f64 = 100.0;
/// ChannelData header between client and relay.
const CHANNEL_DATA_OVERHEAD: f64 = 4.0;

// counter index: client rcv, client sent, peer rcv, peer sent
const C_RCV: usize = 0;
const C_SENT: usize = 1;
const P_RCV: usize = 2;
const P_SENT: usize = 3;

/// Per-counter packet rates and mean sizes of a flow, as the relay counts them.
fn counter_rates(f: &Flow) -> ([f64; 4], [f64; 4]) {
    let mix = |pps: f64, size: f64| {
        let total = pps + CONTROL_PPS;
        let bytes = pps * (size + CHANNEL_DATA_OVERHEAD) + CONTROL_PPS * CONTROL_SIZE;
        (total, bytes / total)
    };
    let (crp, crs) = mix(f.up_pps, f.up_size);
    let (csp, css) = mix(f.down_pps, f.down_size);
    (
        [crp, csp, f.down_pps, f.up_pps],
        [crs, css, f.down_size, f.up_size],
    )
}

/// Split `acc` into integers that add up to exactly `target` (largest remainder).
fn integerize(acc: &[f64; 4], target: u64) -> [u64; 4] {
    let sum: f64 = acc.iter().map(|a| a.max(0.0)).sum();
    if sum <= 0.0 {
        let mut out = [0; 4];
        out[0] = target;
        return out;
    }
    let scaled: Vec<f64> = acc
        .iter()
        .map(|a| a.max(0.0) * target as f64 / sum)
        .collect();
    let mut out = [0u64; 4];
    for (o, s) in out.iter_mut().zip(&scaled) {
        *o = s.floor() as u64;
    }
    let mut left = target.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..4).collect();
    order.sort_by(|&a, &b| {
        (scaled[b] - scaled[b].floor())
            .total_cmp(&(scaled[a] - scaled[a].floor()))
            .then(a.cmp(&b))
    });
    for i in order.into_iter().cycle() {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

// ---- the simulation ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `new` published, traffic not started yet.
    Allocated,
    Active,
    Released,
    Vanished,
}

#[derive(Debug)]
struct Alloc {
    id: AllocationId,
    realm: Option<String>,
    user: String,
    status_fields: String,
    plan: AllocPlan,
    phase: Phase,
    /// When it was allocated (its plan's duration runs from there).
    started: f64,
    /// Granted by the last refresh, and when.
    lifetime: u32,
    last_refresh: f64,
    flow: Flow,
    rates: [f64; 4],
    sizes: [f64; 4],
    /// Packets and bytes since the last report, not yet published.
    acc: [f64; 4],
    acc_bytes: [f64; 4],
    accrued_to: f64,
    /// Invalidates a scheduled report when the flow changes.
    report_gen: u32,
    total: [Counters; 2],
}

impl Alloc {
    fn accrue(&mut self, t: f64) {
        let dt = (t - self.accrued_to).max(0.0);
        for i in 0..4 {
            self.acc[i] += self.rates[i] * dt;
            self.acc_bytes[i] += self.rates[i] * self.sizes[i] * dt;
        }
        self.accrued_to = self.accrued_to.max(t);
    }

    fn set_flow(&mut self, flow: Flow) {
        self.flow = flow;
        let (rates, sizes) = counter_rates(&flow);
        self.rates = rates;
        self.sizes = sizes;
        self.report_gen = self.report_gen.wrapping_add(1);
    }

    fn stop_flow(&mut self) {
        self.rates = [0.0; 4];
        self.report_gen = self.report_gen.wrapping_add(1);
    }

    /// When the pending packets reach [`REPORT_PACKETS`] at the current rates.
    fn next_report(&self, now: f64) -> Option<f64> {
        let rate: f64 = self.rates.iter().sum();
        if rate <= 0.0 {
            return None;
        }
        let left = REPORT_PACKETS as f64 - self.acc.iter().sum::<f64>();
        Some(now + (left / rate).max(0.0))
    }

    /// Take `packets[i]` packets (and their share of the bytes) out of the pending counters.
    fn take(&mut self, packets: [u64; 4]) -> [Counters; 2] {
        let mut bytes = [0u64; 4];
        for i in 0..4 {
            let p = packets[i] as f64;
            if packets[i] > 0 && self.acc[i] > 0.0 {
                let b = (self.acc_bytes[i] * (p / self.acc[i]).min(1.0)).round();
                bytes[i] = (b as u64).max(packets[i] * 36);
            } else if packets[i] > 0 {
                bytes[i] = (p * self.sizes[i].max(36.0)).round() as u64;
            }
            self.acc[i] = (self.acc[i] - p).max(0.0);
            self.acc_bytes[i] = (self.acc_bytes[i] - bytes[i] as f64).max(0.0);
        }
        let out = [
            Counters {
                rcvp: packets[C_RCV],
                rcvb: bytes[C_RCV],
                sentp: packets[C_SENT],
                sentb: bytes[C_SENT],
            },
            Counters {
                rcvp: packets[P_RCV],
                rcvb: bytes[P_RCV],
                sentp: packets[P_SENT],
                sentb: bytes[P_SENT],
            },
        ];
        self.total[0].add(&out[0]);
        self.total[1].add(&out[1]);
        out
    }
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    Arrival,
    PreAuth,
    Allocate(u64),
    /// `refreshed lifetime=600`; the first one starts the traffic.
    Refresh(u64),
    Report(u64, u32),
    FlowChange(u64),
    End(u64),
    Delete(u64),
    /// The server crashes and restarts.
    Restart,
}

#[derive(Debug)]
struct Scheduled {
    at: f64,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    /// Reversed: `BinaryHeap` is a max-heap and we want the earliest (then the first scheduled).
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.total_cmp(&self.at).then(other.seq.cmp(&self.seq))
    }
}

/// The simulated coturn server. See the module documentation.
pub struct Demo {
    config: DemoConfig,
    data: DemoData,
    rng: Rng,
    start: f64,
    /// Where the simulation began (`start - warmup`).
    origin: f64,
    now: f64,
    queue: BinaryHeap<Scheduled>,
    seq: u64,
    allocs: FxHashMap<u64, Alloc>,
    next_key: u64,
    counters: Vec<u64>,
    /// Mean open time of a client's allocations, summed: steers the arrival rate.
    open_per_client: f64,
    out: Vec<DemoMessage>,
}

impl Demo {
    /// A demo with the bundled realms and users. The simulated server starts at
    /// `start - config.warmup` (epoch seconds); [`Demo::prewarm`] returns what it published
    /// until `start`.
    pub fn new(config: DemoConfig, start: f64) -> Self {
        Demo::with_data(config, DemoData::bundled(), start)
    }

    pub fn with_data(config: DemoConfig, data: DemoData, start: f64) -> Self {
        let origin = start - config.warmup.max(0.0);
        // The mean open time per client, from the same plans the simulation draws (a fixed
        // seed: it is a property of the data, not of the run).
        let mut probe = Rng::new(0x0dec_afba_d5ee_d5ed);
        let samples = 2000;
        let open: f64 = (0..samples)
            .map(|_| {
                plan_client(&mut probe, &data, origin)
                    .allocs
                    .iter()
                    .map(AllocPlan::open_time)
                    .sum::<f64>()
            })
            .sum();
        let threads = config.relay_threads.clamp(1, 1000) as usize;
        let mut demo = Demo {
            rng: Rng::new(config.seed),
            config,
            data,
            start,
            origin,
            now: origin,
            queue: BinaryHeap::new(),
            seq: 0,
            allocs: FxHashMap::default(),
            next_key: 0,
            counters: vec![0; threads],
            open_per_client: (open / f64::from(samples)).max(1.0),
            out: Vec::new(),
        };
        demo.schedule(origin, Ev::Arrival);
        if demo.config.restart_after > 0.0 {
            let first = start + demo.config.restart_after;
            demo.schedule(first, Ev::Restart);
        }
        if demo.config.preauth_per_minute > 0.0 {
            let gap = demo.rng.exp(60.0 / demo.config.preauth_per_minute);
            demo.schedule(origin + gap, Ev::PreAuth);
        }
        demo
    }

    /// The `start` given to [`Demo::new`].
    pub fn start(&self) -> f64 {
        self.start
    }

    /// Simulated time: the `until` of the last [`Demo::advance`].
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Everything published during the warm-up, i.e. until `start`, in time order. Apply it at
    /// once so the first screen is already full. The same as `advance(start)`.
    pub fn prewarm(&mut self) -> Vec<DemoMessage> {
        self.advance(self.start)
    }

    /// When the next message (or internal step) is due, for a real-time driver to sleep until.
    pub fn next_due(&self) -> Option<f64> {
        self.queue.peek().map(|s| s.at)
    }

    /// Allocations whose status key exists (allocated, live, released or vanished and not yet
    /// deleted).
    pub fn open_allocations(&self) -> usize {
        self.allocs.len()
    }

    /// The population the arrival rate aims at, at `t`.
    pub fn target_at(&self, t: f64) -> f64 {
        let base = f64::from(self.config.target_allocations);
        let period = self.config.swell_period.max(1.0);
        let phase = std::f64::consts::TAU * (t - self.origin) / period;
        base * (1.0 + self.config.swell.clamp(0.0, 0.9) * phase.sin())
    }

    /// All messages due up to and including `until` (epoch seconds), in time order.
    pub fn advance(&mut self, until: f64) -> Vec<DemoMessage> {
        while let Some(head) = self.queue.peek() {
            if head.at > until {
                break;
            }
            let Some(Scheduled { at, ev, .. }) = self.queue.pop() else {
                break;
            };
            self.now = self.now.max(at);
            self.handle(at, ev);
        }
        self.now = self.now.max(until);
        std::mem::take(&mut self.out)
    }

    fn schedule(&mut self, at: f64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Scheduled {
            at,
            seq: self.seq,
            ev,
        });
    }

    fn next_id(&mut self) -> AllocationId {
        let thread = self.rng.below(self.counters.len() as u64) as usize;
        self.counters[thread] += 1;
        AllocationId(thread as u64 * 1_000_000_000_000_000 + self.counters[thread])
    }

    fn emit(
        &mut self,
        at: f64,
        realm: Option<&str>,
        user: &str,
        id: AllocationId,
        kind: EventKind,
        payload: String,
    ) {
        self.out.push(DemoMessage {
            at: (at * 1000.0).round() / 1000.0,
            channel: coturn::channel_name(realm, user, id, kind),
            payload,
        });
    }

    fn emit_status(&mut self, at: f64, key: u64, word: &str, lifetime: u32) {
        let Some(a) = self.allocs.get(&key) else {
            return;
        };
        let payload = format!("{word} lifetime={lifetime}, {}", a.status_fields);
        let (realm, user, id) = (a.realm.clone(), a.user.clone(), a.id);
        self.emit(at, realm.as_deref(), &user, id, EventKind::Status, payload);
    }

    fn emit_traffic(
        &mut self,
        at: f64,
        realm: Option<&str>,
        user: &str,
        id: AllocationId,
        legs: [Counters; 2],
        total: bool,
    ) {
        let kind = |leg| {
            if total {
                EventKind::TotalTraffic(leg)
            } else {
                EventKind::Traffic(leg)
            }
        };
        self.emit(
            at,
            realm,
            user,
            id,
            kind(Leg::Client),
            coturn::counters_payload(&legs[0]),
        );
        self.emit(
            at,
            realm,
            user,
            id,
            kind(Leg::Peer),
            coturn::counters_payload(&legs[1]),
        );
    }

    fn handle(&mut self, at: f64, ev: Ev) {
        match ev {
            Ev::Arrival => self.arrival(at),
            Ev::PreAuth => self.preauth(at),
            Ev::Allocate(key) => self.allocate(at, key),
            Ev::Refresh(key) => self.refresh(at, key),
            Ev::Report(key, generation) => self.report(at, key, generation),
            Ev::FlowChange(key) => self.flow_change(at, key),
            Ev::End(key) => self.end(at, key),
            Ev::Delete(key) => self.delete(at, key),
            Ev::Restart => self.restart(at),
        }
    }

    fn arrival(&mut self, at: f64) {
        let plan = plan_client(&mut self.rng, &self.data, at);
        let realm = self.data.realms[plan.realm].name.clone();
        for ap in plan.allocs {
            let key = self.next_key;
            self.next_key += 1;
            let local_port = match ap.transport {
                Transport::Udp | Transport::Tcp => 3478,
                Transport::Tls | Transport::Dtls => 5349,
            };
            let kind = match ap.transport {
                Transport::Udp => "UDP",
                Transport::Tcp => "TCP",
                Transport::Tls => "TLS/TCP",
                Transport::Dtls => "DTLS",
            };
            let status_fields = format!(
                "type={kind}, local={}:{local_port}, remote={}:{}, ssl={}, cipher={}",
                plan.local_ip, plan.remote_ip, ap.remote_port, ap.ssl, ap.cipher
            );
            let start = at + ap.offset;
            self.allocs.insert(
                key,
                Alloc {
                    id: AllocationId(0), // taken when it is allocated, in id order
                    realm: realm.clone(),
                    user: plan.user.clone(),
                    status_fields,
                    plan: ap,
                    phase: Phase::Allocated,
                    started: start,
                    lifetime: INITIAL_LIFETIME,
                    last_refresh: start,
                    flow: Flow::default(),
                    rates: [0.0; 4],
                    sizes: [0.0; 4],
                    acc: [0.0; 4],
                    acc_bytes: [0.0; 4],
                    accrued_to: start,
                    report_gen: 0,
                    total: [Counters::default(); 2],
                },
            );
            self.schedule(start, Ev::Allocate(key));
        }
        // Poisson arrivals, steered towards the target population.
        let target = self.target_at(at).max(1.0);
        let open = self.allocs.len() as f64;
        let steer = (target / open.max(1.0)).powi(2).clamp(0.25, 6.0);
        let rate = target / self.open_per_client * steer;
        let gap = self.rng.exp(1.0 / rate);
        self.schedule(at + gap, Ev::Arrival);
    }

    fn preauth(&mut self, at: f64) {
        // Sessions that closed before authenticating: often two at once (RTP + RTCP).
        let sessions = if self.rng.chance(0.4) { 2 } else { 1 };
        let shares: Vec<f64> = self.data.realms.iter().map(|r| r.share.max(0.0)).collect();
        let realm = self.data.realms[self.rng.weighted(&shares)].name.clone();
        let tls = self.rng.chance(0.3);
        for _ in 0..sessions {
            let id = self.next_id();
            let client = if tls {
                Counters::default() // the TLS handshake never completed: nothing counted
            } else {
                Counters {
                    rcvp: 1,
                    rcvb: 96 + 4 * self.rng.below(12),
                    sentp: 0,
                    sentb: 0,
                }
            };
            self.emit_traffic(
                at,
                realm.as_deref(),
                "",
                id,
                [client, Counters::default()],
                false,
            );
        }
        let gap = self.rng.exp(60.0 / self.config.preauth_per_minute);
        self.schedule(at + gap, Ev::PreAuth);
    }

    fn allocate(&mut self, at: f64, key: u64) {
        // A client reconnecting after a restart gets the id of its previous session.
        let reused = self.allocs.get(&key).map(|a| a.id).filter(|id| id.0 != 0);
        let id = match reused {
            Some(id) => {
                let thread = (id.relay_thread() as usize).min(self.counters.len() - 1);
                self.counters[thread] = self.counters[thread].max(id.counter());
                id
            }
            None => self.next_id(),
        };
        let Some(a) = self.allocs.get_mut(&key) else {
            return;
        };
        a.id = id;
        a.started = at;
        a.last_refresh = at;
        a.accrued_to = at;
        let plan = a.plan.clone();
        self.emit_status(at, key, "new", INITIAL_LIFETIME);
        self.emit_status(at, key, "refreshed", INITIAL_LIFETIME);
        match (plan.profile, plan.end) {
            (Profile::Probe, EndKind::Vanish) => {
                // A binding check, then never refreshed again: expires after 777 s, as
                // uclient's UDP probe does.
                if let Some(a) = self.allocs.get_mut(&key) {
                    a.acc = [3.0, 3.0, 0.0, 0.0];
                    a.acc_bytes = [300.0, 312.0, 0.0, 0.0];
                    a.phase = Phase::Vanished;
                }
                let grace = self.rng.range(0.002, 1.0);
                self.schedule(at + f64::from(INITIAL_LIFETIME) + grace, Ev::Delete(key));
            }
            (Profile::Probe, _) => {
                // A few request/response packets, then the connection closes.
                if let Some(a) = self.allocs.get_mut(&key) {
                    a.acc = [3.0, 3.0, 0.0, 0.0];
                    a.acc_bytes = [292.0, 312.0, 0.0, 0.0];
                    a.phase = Phase::Active;
                }
                self.schedule(at + plan.duration, Ev::Delete(key));
            }
            _ => {
                let starts = self.rng.range(0.001, 0.25);
                self.schedule(at + starts, Ev::Refresh(key));
                self.schedule(at + plan.duration.max(starts + 0.01), Ev::End(key));
            }
        }
    }

    fn refresh(&mut self, at: f64, key: u64) {
        let Some(a) = self.allocs.get_mut(&key) else {
            return;
        };
        let first = match a.phase {
            Phase::Allocated => true,
            Phase::Active => false,
            Phase::Released | Phase::Vanished => return,
        };
        a.lifetime = REFRESH_LIFETIME;
        a.last_refresh = at;
        let profile = a.plan.profile;
        self.emit_status(at, key, "refreshed", REFRESH_LIFETIME);
        if first {
            let flow = draw_flow(&mut self.rng, profile);
            if let Some(a) = self.allocs.get_mut(&key) {
                a.phase = Phase::Active;
                a.accrued_to = at;
                a.set_flow(flow);
                // Control messages flow even when the media does not.
                if a.rates.iter().sum::<f64>() <= 0.0 {
                    a.rates[C_RCV] = CONTROL_PPS;
                    a.rates[C_SENT] = CONTROL_PPS;
                    a.sizes[C_RCV] = CONTROL_SIZE;
                    a.sizes[C_SENT] = CONTROL_SIZE;
                }
            }
            self.schedule_report(at, key);
            if let Some(mean) = flow_change_mean(profile) {
                let gap = self.rng.exp(mean);
                self.schedule(at + gap, Ev::FlowChange(key));
            }
        }
        // Browsers refresh well before the lifetime runs out: about every 5 minutes.
        let every = self.rng.range(240.0, 300.0);
        self.schedule(at + every, Ev::Refresh(key));
    }

    fn schedule_report(&mut self, at: f64, key: u64) {
        let Some(a) = self.allocs.get(&key) else {
            return;
        };
        if let Some(due) = a.next_report(at) {
            let generation = a.report_gen;
            self.schedule(due, Ev::Report(key, generation));
        }
    }

    fn report(&mut self, at: f64, key: u64, generation: u32) {
        let Some(a) = self.allocs.get_mut(&key) else {
            return;
        };
        if a.report_gen != generation || a.phase != Phase::Active {
            return;
        }
        a.accrue(at);
        let packets = integerize(&a.acc, REPORT_PACKETS);
        let legs = a.take(packets);
        let (realm, user, id) = (a.realm.clone(), a.user.clone(), a.id);
        self.emit_traffic(at, realm.as_deref(), &user, id, legs, false);
        self.schedule_report(at, key);
    }

    fn flow_change(&mut self, at: f64, key: u64) {
        let Some(a) = self.allocs.get_mut(&key) else {
            return;
        };
        if a.phase != Phase::Active {
            return;
        }
        let profile = a.plan.profile;
        a.accrue(at);
        let flow = draw_flow(&mut self.rng, profile);
        a.set_flow(flow);
        self.schedule_report(at, key);
        if let Some(mean) = flow_change_mean(profile) {
            let gap = self.rng.exp(mean);
            self.schedule(at + gap, Ev::FlowChange(key));
        }
    }

    fn end(&mut self, at: f64, key: u64) {
        let Some(a) = self.allocs.get_mut(&key) else {
            return;
        };
        if matches!(a.phase, Phase::Released | Phase::Vanished) {
            return;
        }
        a.accrue(at);
        a.stop_flow();
        let transport = a.plan.transport;
        match a.plan.end {
            EndKind::Release => {
                a.phase = Phase::Released;
                self.emit_status(at, key, "refreshed", 0);
                let delay = if transport.is_stream() || transport == Transport::Dtls {
                    self.rng.range(0.0, 0.001)
                } else {
                    self.rng.range(0.995, 1.005)
                };
                self.schedule(at + delay, Ev::Delete(key));
            }
            EndKind::Vanish => {
                a.phase = Phase::Vanished;
                let expiry = a.last_refresh + f64::from(a.lifetime);
                let grace = self.rng.range(0.002, 1.0);
                self.schedule(expiry.max(at) + grace, Ev::Delete(key));
            }
            EndKind::Drop => self.delete(at, key),
        }
    }

    /// The server crashes and restarts: its allocations vanish without a word, its keys are
    /// deleted, its counters start again; most calls in progress reconnect with their old ids.
    fn restart(&mut self, at: f64) {
        let mut old: Vec<Alloc> = self.allocs.drain().map(|(_, a)| a).collect();
        old.sort_by_key(|a| a.id);
        self.counters.iter_mut().for_each(|c| *c = 0);
        for a in old {
            let remaining = a.plan.duration - (at - a.started).max(0.0);
            let in_call = a.id.0 != 0
                && matches!(a.phase, Phase::Active | Phase::Allocated)
                && a.plan.profile != Profile::Probe
                && remaining > 15.0;
            if !in_call || !self.rng.chance(0.75) {
                continue;
            }
            let key = self.next_key;
            self.next_key += 1;
            let back = at + self.rng.range(2.0, 12.0);
            let plan = AllocPlan {
                offset: 0.0,
                duration: remaining,
                ..a.plan.clone()
            };
            self.allocs.insert(
                key,
                Alloc {
                    id: a.id,
                    realm: a.realm,
                    user: a.user,
                    status_fields: a.status_fields,
                    plan,
                    phase: Phase::Allocated,
                    started: back,
                    lifetime: INITIAL_LIFETIME,
                    last_refresh: back,
                    flow: Flow::default(),
                    rates: [0.0; 4],
                    sizes: [0.0; 4],
                    acc: [0.0; 4],
                    acc_bytes: [0.0; 4],
                    accrued_to: back,
                    report_gen: 0,
                    total: [Counters::default(); 2],
                },
            );
            self.schedule(back, Ev::Allocate(key));
        }
        let every = self.config.restart_every.max(60.0);
        let next = at + self.rng.range(0.5 * every, 1.5 * every);
        self.schedule(next, Ev::Restart);
    }

    /// The status keys the server's Redis holds now (key, value), as a SCAN + MGET finds them.
    pub fn status_keys(&self) -> Vec<(String, Vec<u8>)> {
        let mut keys: Vec<(String, Vec<u8>)> = self
            .allocs
            .values()
            .filter(|a| a.id.0 != 0)
            .map(|a| {
                let lifetime = if a.phase == Phase::Released {
                    0
                } else {
                    a.lifetime
                };
                (
                    coturn::channel_name(a.realm.as_deref(), &a.user, a.id, EventKind::Status),
                    format!("refreshed lifetime={lifetime}, {}", a.status_fields).into_bytes(),
                )
            })
            .collect();
        keys.sort();
        keys
    }

    fn delete(&mut self, at: f64, key: u64) {
        let Some(mut a) = self.allocs.remove(&key) else {
            return;
        };
        a.accrue(at);
        let packets = a.acc.map(|p| p.round() as u64);
        let last = a.take(packets);
        let realm = a.realm.as_deref();
        self.emit_traffic(at, realm, &a.user, a.id, last, false);
        self.emit(
            at,
            realm,
            &a.user,
            a.id,
            EventKind::Status,
            "deleted".into(),
        );
        self.emit_traffic(at, realm, &a.user, a.id, a.total, true);
    }
}

// ---- real time --------------------------------------------------------------------------------

/// Run the demo in real time from now, endlessly: first the warm-up history at once, then every
/// message when it is due. Stops when the receiver is gone.
pub async fn run(config: DemoConfig, endpoint: EndpointId, tx: mpsc::UnboundedSender<SourceEvent>) {
    let start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    run_from(config, start, endpoint, tx).await;
}

/// [`run`] with the simulated clock anchored at `start` (epoch seconds) instead of the wall
/// clock: simulated time advances with tokio's clock from there.
pub async fn run_from(
    config: DemoConfig,
    start: f64,
    endpoint: EndpointId,
    tx: mpsc::UnboundedSender<SourceEvent>,
) {
    let mut demo = Demo::new(config, start);
    for m in demo.prewarm() {
        if tx.send(m.into_event(endpoint)).is_err() {
            return;
        }
    }
    follow(demo, endpoint, tx, ReconcileTrigger::default()).await;
}

/// Publish every message of an already warmed-up demo when it is due, endlessly, with simulated
/// time advancing with tokio's clock from the demo's start; hand turntop the server's status
/// keys every 30 s and when `reconcile` asks (at most every 3 s), as the Redis source does.
/// Stops when the receiver is gone.
pub async fn follow(
    mut demo: Demo,
    endpoint: EndpointId,
    tx: mpsc::UnboundedSender<SourceEvent>,
    reconcile: ReconcileTrigger,
) {
    let start = demo.start();
    let origin = tokio::time::Instant::now();
    let at = |t: f64| origin + Duration::from_secs_f64((t - start).max(0.0));
    let every = redis::RunOptions::default().reconcile_every.as_secs_f64();
    let spacing = redis::RECONCILE_SPACING.as_secs_f64();
    let (mut next_pass, mut last_pass) = (start + every, f64::NEG_INFINITY);
    let mut wanted = false;
    loop {
        let pass_due = if wanted {
            next_pass.min(last_pass + spacing)
        } else {
            next_pass
        };
        let next = demo.next_due().unwrap_or(f64::INFINITY).min(pass_due);
        tokio::select! {
            () = tokio::time::sleep_until(at(next)), if next.is_finite() => {}
            () = reconcile.requested() => {
                wanted = true;
                continue;
            }
        }
        let now = (start + origin.elapsed().as_secs_f64()).max(next);
        for m in demo.advance(now) {
            if tx.send(m.into_event(endpoint)).is_err() {
                return;
            }
        }
        if now >= pass_due {
            let events = [
                SourceEvent::SeedBegin { endpoint, at: now },
                SourceEvent::SeedBatch {
                    endpoint,
                    at: now,
                    entries: demo.status_keys(),
                },
                SourceEvent::SeedEnd { endpoint, at: now },
            ];
            for ev in events {
                if tx.send(ev).is_err() {
                    return;
                }
            }
            (wanted, last_pass, next_pass) = (false, now, now + every);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_parses() {
        let d = DemoData::bundled();
        assert!(d.realms.len() >= 4);
        assert!(d.realms.iter().any(|r| r.name.is_none()));
        assert!(d.realms.iter().any(|r| r.rest));
        let users: usize = d.realms.iter().map(|r| r.users.len()).sum();
        assert!(users >= 40, "{users} users");
    }

    #[test]
    fn integerize_hits_the_target_exactly() {
        for acc in [
            [1029.4, 1029.2, 1018.7, 1018.7],
            [0.0, 0.0, 0.0, 0.0],
            [4096.0, 0.0, 0.0, 0.0],
            [1.0, 1.0, 1.0, 1.0],
            [0.33, 0.33, 0.33, 0.01],
        ] {
            assert_eq!(integerize(&acc, REPORT_PACKETS).iter().sum::<u64>(), 4096);
        }
        assert_eq!(
            integerize(&[1029.4, 1029.2, 1018.7, 1018.7], 4096),
            [1029, 1029, 1019, 1019]
        );
    }

    #[test]
    fn rng_is_deterministic_and_spread() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mean = (0..10_000).map(|_| a.unit()).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        assert!((0..1000).all(|_| a.below(3) < 3));
    }

    #[test]
    fn audio_reports_about_every_20_seconds() {
        // 50 pps each way on both legs: 200 packets/s, 4096 packets in ~20 s (the doc's figure).
        let (rates, _) = counter_rates(&Flow {
            up_pps: 50.0,
            up_size: 120.0,
            down_pps: 50.0,
            down_size: 120.0,
        });
        let every = REPORT_PACKETS as f64 / rates.iter().sum::<f64>();
        assert!((20.0..21.0).contains(&every), "{every}");
    }
}
