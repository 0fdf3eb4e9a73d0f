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
//! - **Trouble**: now and then ([`DemoConfig::trouble_every`]) something goes wrong on purpose,
//!   in turn: a phone that vanished and whose allocation coturn deletes minutes late (stuck),
//!   an upload at 20 MB/s (a hog), a bot opening 60 allocations (a busy user), a link that
//!   loses one traffic report (its totals disagree). These are the only departures from
//!   coturn's behaviour, on users named for them.
//! - **Status keys**: [`Demo::status_keys`] lists the keys the server's Redis would hold; the
//!   real-time runner hands them to turntop in a reconciliation pass every 30 s and when asked,
//!   as the Redis source does.
//!
//! # Determinism
//!
//! The generator is pure: time is the caller's (epoch seconds, [`Demo::advance`]), there is no
//! clock read and no I/O, and randomness comes from a small seeded generator. The same seed
//! gives the same messages, however the calls to [`Demo::advance`] are cut. Only [`run`], the
//! real-time task, reads the wall clock once to anchor the simulation.
//!
//! # Where things are
//!
//! `data` loads the bundled realms and users; `rng` is the seeded generator; `plan` draws what
//! a client does; `alloc` counts one allocation's packets; `scheduler` runs the timed events in
//! order, `lifecycle` says what each one does and `emit` writes coturn's messages; `restart`
//! crashes and restarts the server and lists its status keys; `run` is the real-time task.
//!
//! [`coturn::channel_name`]: crate::coturn::channel_name
//! [`coturn::counters_payload`]: crate::coturn::counters_payload

mod alloc;
mod data;
mod emit;
mod lifecycle;
mod plan;
mod restart;
mod rng;
mod run;
mod scheduler;
mod trouble;

use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use crate::model::EndpointId;
use crate::source::SourceEvent;
use alloc::Alloc;
pub use data::{BUNDLED_DATA, DemoData, Mix, RealmData};
use rng::Rng;
pub use run::{follow, run, run_from};
use scheduler::Scheduled;

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
    /// Mean seconds between trouble episodes (a stuck allocation, a hog, a busy user, lost
    /// reports, in turn), so that the Problems view has something to show; 0: never.
    pub trouble_every: f64,
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
            trouble_every: 120.0,
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
