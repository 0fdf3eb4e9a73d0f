//! The store: every allocation turntop knows of, grouped by user and realm, with traffic totals,
//! rates and a sparse history. Pure: no I/O, and time is always passed in (seconds since the
//! Unix epoch, as `f64`), so replays, tests and the live source drive it the same way.

mod hot;
mod ring;
mod search;
mod series;
pub mod view;

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::coturn::{
    self, AllocationId, Counters, Leg, Message, ParseError, Payload, Status, StatusFields,
};
use crate::sanitize::sanitize;
pub use hot::Hot;
pub use ring::RateRing;
pub use search::SearchText;
pub use series::{Ds, Rate, Report, Series};

/// Names from the network key these maps: a seeded hasher keeps them fast without letting a
/// publisher pick colliding names.
type StrMap<V> = std::collections::HashMap<Box<str>, V, foldhash::fast::RandomState>;

/// Seconds since the Unix epoch.
pub type Time = f64;

#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// How long an ended allocation (and a user with nothing left) stays visible, in seconds.
    pub retention: f64,
    /// The longest history kept for sparklines and charts, in seconds.
    pub history_window: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            retention: 600.0,
            history_window: 600.0,
        }
    }
}

/// Which Redis endpoint an event came from. Allocation ids are only unique per coturn process,
/// so the endpoint is part of an allocation's identity.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct EndpointId(pub u16);

/// The state of a source's connection, for the header.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum ConnectionState {
    /// A replay, the demo, or a source that has not started.
    #[default]
    Offline,
    Connecting,
    /// Connected and subscribed.
    Connected,
    /// Lost; the next attempt is due at `retry_at`.
    Reconnecting {
        since: Time,
        retry_at: Time,
        reason: String,
    },
    /// The server refused our credentials; retrying anyway (it may be fixed server-side).
    AuthFailed {
        since: Time,
        retry_at: Time,
        reason: String,
    },
    /// A replay reached its end.
    Finished,
}

#[derive(Clone, Debug)]
pub struct Endpoint {
    pub label: String,
    pub connection: ConnectionState,
    pub connection_since: Option<Time>,
    /// How many times the connection was established after the first.
    pub reconnects: u64,
    /// Reports whose previous report is older than this instant span a gap in the subscription:
    /// no rate is computed across it.
    gap_until: Time,
    pub gaps: u64,
    pub events: u64,
    pub last_event: Option<Time>,
    /// Messages from this endpoint that did not parse.
    pub malformed: u64,
    /// Set once the first connection is made: `reconnects` counts the ones after it.
    was_connected: bool,
    seed_generation: u32,
}

/// What we have been told, before the clock is applied (see [`State`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Traffic arrived for a session we never saw a status for: coturn reports the traffic of
    /// sessions closed before authentication (empty user, no allocation) this way. Not an
    /// allocation until a status arrives.
    NoStatus,
    Live,
    /// `refreshed lifetime=0`: the client released it, `deleted` follows.
    Released,
    Deleted,
}

/// An allocation's state at a given instant.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Live,
    Released,
    /// The lifetime ran out and no `deleted` came (yet): a stuck session or a dead server.
    Expired,
    Deleted,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Live => "live",
            State::Released => "released",
            State::Expired => "expired",
            State::Deleted => "deleted",
        }
    }
    /// The status key still exists in Redis (as far as we know).
    pub fn is_open(self) -> bool {
        !matches!(self, State::Deleted)
    }
}

/// The state of an allocation in `phase`, at `now`.
fn state_at(phase: Phase, expires_at: Option<Time>, now: Time) -> Option<State> {
    match phase {
        Phase::NoStatus => None,
        Phase::Deleted => Some(State::Deleted),
        Phase::Released => Some(State::Released),
        Phase::Live => match expires_at {
            Some(e) if now >= e => Some(State::Expired),
            _ => Some(State::Live),
        },
    }
}

/// A small string that many allocations share (transport, local address, TLS method, cipher).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Atom(u32);

impl Atom {
    /// A small dense number (1-based), for per-atom tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The atom of an [`Atom::index`]; `None` for 0.
    pub fn from_index(index: usize) -> Option<Atom> {
        u32::try_from(index).ok().filter(|&i| i > 0).map(Atom)
    }
}

#[derive(Default, Debug, Clone)]
struct Atoms {
    list: Vec<Box<str>>,
    map: StrMap<u32>,
}

/// Values of these fields come from coturn's own configuration, so a few hundred distinct
/// values is already strange; past this, new values are not interned (shown as "?").
const MAX_ATOMS: usize = 4096;

impl Atoms {
    fn intern(&mut self, s: &str) -> Option<Atom> {
        if let Some(&i) = self.map.get(s) {
            return Some(Atom(i + 1));
        }
        if self.list.len() >= MAX_ATOMS {
            return None;
        }
        let clean: Box<str> = sanitize(s).into();
        let i = self.list.len() as u32;
        self.list.push(clean);
        self.map.insert(s.into(), i);
        Some(Atom(i + 1))
    }
    fn get(&self, a: Atom) -> Option<&str> {
        a.0.checked_sub(1)
            .and_then(|i| self.list.get(i as usize))
            .map(|s| &**s)
    }
}

/// Per-leg traffic of one allocation.
#[derive(Clone, Debug, Default)]
pub struct LegStats {
    /// Sum of every delta seen.
    pub sum: Counters,
    pub series: Series,
    pub reports: u32,
    /// Exact time of the last report: the start of the next report's interval.
    pub last_report: Option<Time>,
    /// The last report, inline: rates are read for every allocation on every frame, and the
    /// series' buffer is elsewhere on the heap.
    pub last: Option<Report>,
}

impl LegStats {
    /// See [`Report::rate_after`].
    pub fn rate_at(&self, now: Time) -> Option<Rate> {
        self.last?.rate_after(now - self.last_report?)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusLogEntry {
    pub at: Ds,
    pub kind: StatusLogKind,
    pub lifetime: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusLogKind {
    Seeded,
    New,
    Refreshed,
    Deleted,
    /// Gone from Redis when we re-seeded after a gap: it ended while we were not listening.
    VanishedDuringGap,
}

const STATUS_LOG_LEN: usize = 16;

#[derive(Clone, Debug)]
pub struct Allocation {
    pub endpoint: EndpointId,
    pub id: AllocationId,
    user: u32,
    /// Its own slab slot (stable while it lives): part of its identity on screen.
    pub slot: u32,
    /// The user's realm (kept here so a report reaches the realm's history without a lookup).
    realm: u32,
    name_hash: u64,
    phase: Phase,
    pub transport: Option<Atom>,
    pub local: Option<Atom>,
    pub ssl: Option<Atom>,
    pub cipher: Option<Atom>,
    /// Sanitized (it could carry anything a client put in an address field, in principle).
    pub remote: Option<Box<str>>,
    /// [`crate::filter::char_classes`] of `remote` (0 without one).
    remote_chars: u32,
    /// When we saw `new`; `None` for seeded rows (their start is unknown).
    pub first_seen: Option<Time>,
    pub seeded_at: Option<Time>,
    pub last_status: Option<Time>,
    pub last_event: Time,
    pub lifetime: Option<u32>,
    /// When it runs out unless refreshed. For a seeded row it is an upper bound: the refresh
    /// that set the lifetime happened at some unknown time before we looked.
    pub expires_at: Option<Time>,
    pub expiry_is_upper_bound: bool,
    pub ended_at: Option<Time>,
    /// The end was not observed: the key vanished while we were disconnected.
    pub ended_unseen: bool,
    pub client: LegStats,
    pub peer: LegStats,
    /// `total_traffic` / `total_traffic/peer` as coturn reported them after `deleted`.
    pub total: Option<Box<[Option<Counters>; 2]>>,
    pub status_log: Vec<StatusLogEntry>,
    seed_generation: u32,
}

impl Allocation {
    fn new(endpoint: EndpointId, id: AllocationId, user: u32, at: Time) -> Self {
        Allocation {
            endpoint,
            id,
            user,
            slot: 0,
            realm: 0,
            name_hash: 0,
            phase: Phase::NoStatus,
            transport: None,
            local: None,
            ssl: None,
            cipher: None,
            remote: None,
            remote_chars: 0,
            first_seen: None,
            seeded_at: None,
            last_status: None,
            last_event: at,
            lifetime: None,
            expires_at: None,
            expiry_is_upper_bound: false,
            ended_at: None,
            ended_unseen: false,
            client: LegStats::default(),
            peer: LegStats::default(),
            total: None,
            status_log: Vec::new(),
            seed_generation: 0,
        }
    }

    /// `None` for a traffic-only session that never had an allocation.
    pub fn state(&self, now: Time) -> Option<State> {
        state_at(self.phase, self.expires_at, now)
    }

    pub fn leg(&self, leg: Leg) -> &LegStats {
        match leg {
            Leg::Client => &self.client,
            Leg::Peer => &self.peer,
        }
    }

    fn leg_mut(&mut self, leg: Leg) -> &mut LegStats {
        match leg {
            Leg::Client => &mut self.client,
            Leg::Peer => &mut self.peer,
        }
    }

    pub fn total_of(&self, leg: Leg) -> Option<Counters> {
        let i = matches!(leg, Leg::Peer) as usize;
        self.total.as_ref().and_then(|t| t[i])
    }

    /// Seconds of lifetime left (negative once expired), if known.
    pub fn lifetime_left(&self, now: Time) -> Option<f64> {
        match self.phase {
            Phase::Live => self.expires_at.map(|e| e - now),
            _ => None,
        }
    }

    /// A leg whose `total_traffic` arrived and differs from the sum of the deltas we saw:
    /// messages were lost (e.g. during a reconnect).
    pub fn totals_mismatch(&self) -> bool {
        [Leg::Client, Leg::Peer]
            .into_iter()
            .any(|leg| self.total_of(leg).is_some_and(|t| t != self.leg(leg).sum))
    }

    fn log(&mut self, at: Ds, kind: StatusLogKind, lifetime: Option<u32>) {
        if self.status_log.len() >= STATUS_LOG_LEN {
            // Keep the first entry (how it started) and the most recent ones.
            self.status_log.remove(1);
        }
        self.status_log.push(StatusLogEntry { at, kind, lifetime });
    }

    fn heap_bytes(&self) -> usize {
        self.client.series.heap_bytes()
            + self.peer.series.heap_bytes()
            + self.remote.as_ref().map_or(0, |r| r.len())
            + self
                .total
                .as_ref()
                .map_or(0, |_| std::mem::size_of::<[Option<Counters>; 2]>())
            + self.status_log.capacity() * std::mem::size_of::<StatusLogEntry>()
    }
}

#[derive(Clone, Debug)]
pub struct User {
    realm: u32,
    /// Raw name as published (map key); `display` is what may reach a terminal.
    pub name: Box<str>,
    pub display: Box<str>,
    /// [`crate::filter::char_classes`] of `name`: lets a filter rule a user out unread.
    pub name_chars: u32,
    /// Allocation slots (live, ended and traffic-only) that belong to this user.
    allocations: Vec<u32>,
}

#[derive(Clone, Debug)]
pub struct Realm {
    /// `None` for realm-less servers.
    pub name: Option<Box<str>>,
    pub display: Box<str>,
    /// [`crate::filter::char_classes`] of `name` (0 without one).
    pub name_chars: u32,
    users: StrMap<u32>,
    /// Client and peer rates of all its allocations, per second (allocated at the first report).
    pub history: Option<Box<[RateRing; 2]>>,
}

/// Counters the header shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventCounters {
    pub events: u64,
    pub malformed: u64,
    pub unknown: u64,
    /// Traffic reports for sessions that never had a status: closed before authentication.
    pub sessions_without_allocation: u64,
    pub seeded: u64,
    pub gaps: u64,
}

/// A bad message as the header and a detail pane show it (sanitized, truncated).
#[derive(Clone, Debug, PartialEq)]
pub struct BadMessage {
    pub at: Time,
    pub endpoint: EndpointId,
    pub channel: String,
    pub error: String,
}

const BAD_MESSAGES_KEPT: usize = 32;

/// Cache lines an allocation can span (one more than its size needs: it need not start on a
/// line).
const ALLOCATION_LINES: usize = std::mem::size_of::<Option<Allocation>>().div_ceil(64) + 1;

#[derive(Debug, Clone)]
pub struct Model {
    config: ModelConfig,
    base: Option<Time>,
    endpoints: Vec<Endpoint>,
    allocations: Vec<Option<Allocation>>,
    /// What a frame reads of each allocation slot, compact (see [`Hot`]).
    hot: Vec<Hot>,
    /// What a substring filter reads of each slot (see [`SearchText`]).
    search: Vec<SearchText>,
    free_allocations: Vec<u32>,
    /// (endpoint, hash of realm + user, id) -> slot: a known allocation is found with one lookup
    /// of fixed-size keys, without touching the realm and user maps.
    index: FxHashMap<(EndpointId, u64, AllocationId), u32>,
    name_hasher: foldhash::fast::RandomState,
    users: Vec<Option<User>>,
    free_users: Vec<u32>,
    realms: Vec<Option<Realm>>,
    free_realms: Vec<u32>,
    realm_index: StrMap<u32>,
    realmless: Option<u32>,
    atoms: Atoms,
    pub counters: EventCounters,
    pub bad_messages: VecDeque<BadMessage>,
    /// Allocations that ended (or never had a status), oldest first, with the instant they were
    /// queued: eviction pops from the front instead of scanning every allocation each second.
    gone: VecDeque<(Time, u32)>,
    last_event: Option<Time>,
}

impl Default for Model {
    fn default() -> Self {
        Model::new(ModelConfig::default())
    }
}

impl Model {
    pub fn new(config: ModelConfig) -> Self {
        Model {
            config,
            base: None,
            endpoints: Vec::new(),
            allocations: Vec::new(),
            hot: Vec::new(),
            search: Vec::new(),
            free_allocations: Vec::new(),
            index: FxHashMap::default(),
            name_hasher: foldhash::fast::RandomState::default(),
            users: Vec::new(),
            free_users: Vec::new(),
            realms: Vec::new(),
            free_realms: Vec::new(),
            realm_index: StrMap::default(),
            realmless: None,
            atoms: Atoms::default(),
            counters: EventCounters::default(),
            bad_messages: VecDeque::new(),
            gone: VecDeque::new(),
            last_event: None,
        }
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn set_history_window(&mut self, secs: f64) {
        self.config.history_window = secs;
    }

    pub fn add_endpoint(&mut self, label: impl Into<String>) -> EndpointId {
        let id = EndpointId(self.endpoints.len() as u16);
        self.endpoints.push(Endpoint {
            label: label.into(),
            connection: ConnectionState::Offline,
            connection_since: None,
            reconnects: 0,
            gap_until: f64::NEG_INFINITY,
            gaps: 0,
            events: 0,
            last_event: None,
            malformed: 0,
            was_connected: false,
            seed_generation: 0,
        });
        id
    }

    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    pub fn endpoint(&self, id: EndpointId) -> Option<&Endpoint> {
        self.endpoints.get(usize::from(id.0))
    }

    pub fn last_event(&self) -> Option<Time> {
        self.last_event
    }

    // ---- time ---------------------------------------------------------------------------------

    /// Model time in deciseconds. The base is the first instant the model saw, so a `u32` lasts.
    pub fn ds(&mut self, t: Time) -> Ds {
        // One second before the first instant, so that instant is a valid interval end.
        let base = *self.base.get_or_insert(t - 1.0);
        to_ds(base, t)
    }

    /// Deciseconds for a read-only query (never moves the base).
    pub fn ds_at(&self, t: Time) -> Ds {
        self.base.map_or(0, |b| to_ds(b, t))
    }

    pub fn time_of(&self, ds: Ds) -> Time {
        self.base.unwrap_or(0.0) + f64::from(ds) / 10.0
    }

    // ---- ingest -------------------------------------------------------------------------------

    /// Parse and apply one published message. Errors are counted and remembered, never fatal.
    pub fn apply_raw(&mut self, endpoint: EndpointId, at: Time, channel: &str, payload: &[u8]) {
        match coturn::parse_message(channel, payload) {
            Ok(msg) => self.apply(endpoint, at, &msg),
            Err(e) => self.record_bad(endpoint, at, channel, &e),
        }
    }

    /// Apply many messages of one endpoint, in order. Same result as `apply_raw` on each, but
    /// faster with many allocations: a window of messages is parsed and their allocations are
    /// looked up and prefetched first, so the cache misses of a window overlap instead of
    /// queueing one behind the other.
    pub fn apply_raw_batch(&mut self, endpoint: EndpointId, items: &[(Time, &str, &[u8])]) {
        const WINDOW: usize = 16;
        let mut parsed: Vec<Option<Message<'_>>> = Vec::with_capacity(WINDOW);
        for window in items.chunks(WINDOW) {
            parsed.clear();
            for &(_, channel, payload) in window {
                let msg = coturn::parse_message(channel, payload).ok();
                if let Some(m) = &msg {
                    self.prefetch(endpoint, &m.channel);
                }
                parsed.push(msg);
            }
            for (&(at, channel, payload), msg) in window.iter().zip(&parsed) {
                match msg {
                    Some(m) => self.apply(endpoint, at, m),
                    // Parse again for the error: bad messages are rare.
                    None => self.apply_raw(endpoint, at, channel, payload),
                }
            }
        }
    }

    /// Ask the CPU to start loading an allocation an event is about to touch.
    fn prefetch(&self, endpoint: EndpointId, ch: &coturn::Channel<'_>) {
        use std::hash::BuildHasher;
        let key = (
            endpoint,
            self.name_hasher.hash_one((ch.realm, ch.user)),
            ch.id,
        );
        let Some(&slot) = self.index.get(&key) else {
            return;
        };
        let (Some(a), Some(h)) = (
            self.allocations.get(slot as usize),
            self.hot.get(slot as usize),
        ) else {
            return;
        };
        #[cfg(target_arch = "x86_64")]
        {
            let p = (a as *const Option<Allocation>).cast::<i8>();
            let q = (h as *const Hot).cast::<i8>();
            // SAFETY: a prefetch is a hint: it never faults and reads nothing into the program,
            // and `p` and `q` point into live elements of `self.allocations` and `self.hot`.
            unsafe {
                use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                // Every line of it: an event reads fields all over the struct (the compiler
                // chooses the layout), and one line left out is one miss per event.
                for line in 0..ALLOCATION_LINES {
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(line * 64));
                }
                _mm_prefetch::<_MM_HINT_T0>(q);
                _mm_prefetch::<_MM_HINT_T0>(q.wrapping_add(64));
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (a, h);
    }

    pub fn record_bad(&mut self, endpoint: EndpointId, at: Time, channel: &str, e: &ParseError) {
        self.counters.events += 1;
        if e.is_unknown() {
            self.counters.unknown += 1;
        } else {
            self.counters.malformed += 1;
            if let Some(ep) = self.endpoints.get_mut(usize::from(endpoint.0)) {
                ep.malformed += 1;
            }
        }
        if self.bad_messages.len() >= BAD_MESSAGES_KEPT {
            self.bad_messages.pop_front();
        }
        let mut shown = sanitize(channel);
        if shown.len() > 200 {
            let mut cut = 200;
            while !shown.is_char_boundary(cut) {
                cut -= 1;
            }
            shown.truncate(cut);
            shown.push('…');
        }
        self.bad_messages.push_back(BadMessage {
            at,
            endpoint,
            channel: shown,
            error: e.to_string(),
        });
    }

    pub fn apply(&mut self, endpoint: EndpointId, at: Time, msg: &Message<'_>) {
        self.counters.events += 1;
        self.last_event = Some(self.last_event.map_or(at, |t| t.max(at)));
        if let Some(ep) = self.endpoints.get_mut(usize::from(endpoint.0)) {
            ep.events += 1;
            ep.last_event = Some(at);
        }
        let now = self.ds(at);
        let ch = &msg.channel;
        let fresh_allocation = matches!(msg.payload, Payload::Status(Status::New(_)));
        let slot = self.allocation_slot(endpoint, ch.realm, ch.user, ch.id, at, fresh_allocation);
        let window_start = now.saturating_sub((self.config.history_window * 10.0) as Ds);
        let (gap_until, generation) = self
            .endpoints
            .get(usize::from(endpoint.0))
            .map_or((f64::NEG_INFINITY, 0), |e| (e.gap_until, e.seed_generation));
        let Some(a) = self.allocations[slot as usize].as_mut() else {
            return;
        };
        let mut remote_changed = false;
        a.last_event = at;
        if matches!(
            msg.payload,
            Payload::Status(Status::New(_) | Status::Refreshed(_))
        ) {
            // A status heard live during a seed proves the key exists even if SCAN passed it
            // before it was written: the seed's end must not take it for vanished.
            a.seed_generation = generation;
        }
        match msg.payload {
            Payload::Status(status) => {
                let fields = match status {
                    Status::New(f) => {
                        if a.phase == Phase::NoStatus || a.first_seen.is_none() {
                            a.first_seen = Some(a.first_seen.unwrap_or(at));
                        }
                        a.log(now, StatusLogKind::New, f.lifetime);
                        Some(f)
                    }
                    Status::Refreshed(f) => {
                        a.log(now, StatusLogKind::Refreshed, f.lifetime);
                        Some(f)
                    }
                    Status::Deleted => {
                        if a.phase != Phase::Deleted {
                            a.phase = Phase::Deleted;
                            a.ended_at = Some(at);
                            self.gone.push_back((at, slot));
                        }
                        a.log(now, StatusLogKind::Deleted, None);
                        None
                    }
                };
                a.last_status = Some(at);
                if let Some(f) = fields {
                    let was_no_status = a.phase == Phase::NoStatus;
                    remote_changed = Self::apply_fields(&mut self.atoms, a, at, &f, false);
                    if was_no_status && a.first_seen.is_none() {
                        a.first_seen = Some(at);
                    }
                }
            }
            Payload::Traffic(leg, delta) => {
                let first_seen = a.first_seen;
                let no_status = a.phase == Phase::NoStatus;
                let leg_stats = a.leg_mut(leg);
                leg_stats.sum.add(&delta);
                leg_stats.reports += 1;
                let previous = leg_stats.last_report.or(first_seen);
                let span_ms = match previous {
                    Some(p) if p >= gap_until && at > p => {
                        ((at - p) * 1000.0).round().min(f64::from(u32::MAX)) as u32
                    }
                    _ => 0,
                };
                leg_stats.last_report = Some(at);
                let report = Report {
                    end: now,
                    span_ms,
                    rcvb: clamp_u32(delta.rcvb),
                    sentb: clamp_u32(delta.sentb),
                };
                leg_stats.last = Some(report);
                leg_stats.series.push(report, window_start);
                // Only this leg changed: copying just it keeps the other leg's cache lines cold.
                if let Some(h) = self.hot.get_mut(slot as usize) {
                    h.set_leg(leg, leg_stats);
                }
                if span_ms > 0
                    && let Some(realm) = self
                        .realms
                        .get_mut(a.realm as usize)
                        .and_then(Option::as_mut)
                {
                    let rings = realm.history.get_or_insert_with(Default::default);
                    rings[usize::from(leg == Leg::Peer)].add(
                        at,
                        f64::from(span_ms) / 1000.0,
                        delta.bytes(),
                    );
                }
                if no_status && a.client.reports + a.peer.reports == 1 {
                    // Its first word is traffic: a session without an allocation (so far). If no
                    // status ever comes it is evicted like an ended allocation.
                    self.counters.sessions_without_allocation += 1;
                    self.gone.push_back((at, slot));
                }
            }
            Payload::TotalTraffic(leg, total) => {
                let t = a.total.get_or_insert_with(|| Box::new([None, None]));
                t[matches!(leg, Leg::Peer) as usize] = Some(total);
                if a.phase == Phase::NoStatus {
                    // A total only follows `deleted`: we missed the status, but it did end.
                    a.phase = Phase::Deleted;
                    a.ended_at = Some(at);
                    self.gone.push_back((at, slot));
                }
            }
        }
        if !matches!(msg.payload, Payload::Traffic(..)) {
            self.sync_hot(slot);
        }
        if remote_changed {
            self.sync_search(slot);
        }
    }

    /// Copy an allocation slot's hot fields after a change (a free slot gets the empty entry).
    fn sync_hot(&mut self, slot: u32) {
        let hot = self.allocation_at(slot).map_or(hot::EMPTY, Hot::of);
        self.grow_copies(slot);
        self.hot[slot as usize] = hot;
    }

    /// Rewrite a slot's search text: when the slot is taken or freed, or its address changes
    /// (the id never does).
    fn sync_search(&mut self, slot: u32) {
        let search = self
            .allocation_at(slot)
            .map_or(search::EMPTY, SearchText::of);
        self.grow_copies(slot);
        self.search[slot as usize] = search;
    }

    /// Make room in both copies for `slot` (they always have the same length).
    fn grow_copies(&mut self, slot: u32) {
        let len = slot as usize + 1;
        if len > self.hot.len() {
            self.hot.resize(len, hot::EMPTY);
            self.search.resize(len, search::EMPTY);
        }
    }

    /// Whether every hot entry is the copy of its allocation: for tests.
    pub fn check_hot(&self) -> Result<(), String> {
        if self.hot.len() < self.allocations.len() || self.search.len() != self.hot.len() {
            return Err(format!(
                "{} hot entries and {} search texts for {} slots",
                self.hot.len(),
                self.search.len(),
                self.allocations.len()
            ));
        }
        for (i, (h, s)) in self.hot.iter().zip(&self.search).enumerate() {
            let a = self.allocation_at(i as u32);
            let want = a.map_or(hot::EMPTY, Hot::of);
            if !h.same_as(&want) {
                return Err(format!("slot {i}: hot {h:?}, allocation says {want:?}"));
            }
            let want = a.map_or(search::EMPTY, SearchText::of);
            if *s != want {
                return Err(format!("slot {i}: search {s:?}, allocation says {want:?}"));
            }
        }
        Ok(())
    }

    fn apply_fields(
        atoms: &mut Atoms,
        a: &mut Allocation,
        at: Time,
        f: &StatusFields<'_>,
        seeded: bool,
    ) -> bool {
        if let Some(t) = f.transport {
            a.transport = atoms.intern(t);
        }
        if let Some(l) = f.local {
            a.local = atoms.intern(l);
        }
        if let Some(s) = f.ssl {
            a.ssl = atoms.intern(s);
        }
        if let Some(c) = f.cipher {
            a.cipher = atoms.intern(c);
        }
        let mut remote_changed = false;
        if let Some(r) = f.remote
            && a.remote.as_deref() != Some(r)
        {
            let clean = sanitize(r);
            a.remote_chars = crate::filter::char_classes(&clean);
            remote_changed = a.remote.as_deref() != Some(clean.as_str());
            a.remote = Some(clean.into());
        }
        if a.phase == Phase::Deleted {
            return remote_changed;
        }
        a.lifetime = f.lifetime.or(a.lifetime);
        match f.lifetime {
            Some(0) => {
                a.phase = Phase::Released;
                a.expires_at = Some(at);
                a.expiry_is_upper_bound = false;
            }
            Some(l) => {
                a.phase = Phase::Live;
                a.expires_at = Some(at + f64::from(l));
                a.expiry_is_upper_bound = seeded;
            }
            None => {
                if a.phase == Phase::NoStatus {
                    a.phase = Phase::Live;
                }
            }
        }
        remote_changed
    }

    // ---- seeding from status keys ---------------------------------------------------------------

    /// Start a (re)seed of one endpoint from its status keys.
    pub fn begin_seed(&mut self, endpoint: EndpointId) {
        if let Some(ep) = self.endpoints.get_mut(usize::from(endpoint.0)) {
            ep.seed_generation += 1;
        }
    }

    /// One status key and its value, as found by SCAN + GET.
    pub fn seed_status(&mut self, endpoint: EndpointId, at: Time, key: &str, value: &[u8]) {
        let parsed = coturn::parse_channel(key).and_then(|ch| {
            if ch.kind != coturn::EventKind::Status {
                return Err(ParseError::UnknownEvent);
            }
            let text = std::str::from_utf8(value).map_err(|_| ParseError::NotUtf8)?;
            Ok((ch, coturn::parse_status(text)?))
        });
        let (ch, status) = match parsed {
            Ok(p) => p,
            Err(e) => return self.record_bad(endpoint, at, key, &e),
        };
        let fields = match status {
            Status::New(f) | Status::Refreshed(f) => f,
            // coturn DELs the key before publishing `deleted`; a key holding it is not ours.
            Status::Deleted => {
                return self.record_bad(endpoint, at, key, &ParseError::UnknownStatus);
            }
        };
        let now = self.ds(at);
        let generation = self
            .endpoints
            .get(usize::from(endpoint.0))
            .map_or(0, |e| e.seed_generation);
        let slot = self.allocation_slot(endpoint, ch.realm, ch.user, ch.id, at, false);
        let Some(a) = self.allocations[slot as usize].as_mut() else {
            return;
        };
        a.seed_generation = generation;
        let known = a.phase != Phase::NoStatus;
        if !known {
            self.counters.seeded += 1;
            a.seeded_at = Some(at);
            a.log(now, StatusLogKind::Seeded, fields.lifetime);
        }
        // A row we already follow keeps its exact expiry unless the key says it must have been
        // refreshed while we were away (it would have expired otherwise).
        let keep_expiry = known && a.expires_at.is_some_and(|e| e > at);
        let saved = (a.expires_at, a.expiry_is_upper_bound, a.phase);
        let remote_changed = Self::apply_fields(&mut self.atoms, a, at, &fields, true);
        if keep_expiry && a.phase == Phase::Live && saved.2 == Phase::Live {
            a.expires_at = saved.0;
            a.expiry_is_upper_bound = saved.1;
        }
        self.sync_hot(slot);
        if remote_changed {
            self.sync_search(slot);
        }
    }

    /// Finish a seed: an allocation of this endpoint that we held open but whose key is gone
    /// ended while we were not listening.
    pub fn end_seed(&mut self, endpoint: EndpointId, at: Time) {
        let Some(generation) = self
            .endpoints
            .get(usize::from(endpoint.0))
            .map(|e| e.seed_generation)
        else {
            return;
        };
        let now = self.ds(at);
        let mut ended = Vec::new();
        for (slot, a) in self.allocations.iter_mut().enumerate() {
            let Some(a) = a else { continue };
            if a.endpoint == endpoint
                && matches!(a.phase, Phase::Live | Phase::Released)
                && a.seed_generation != generation
            {
                a.phase = Phase::Deleted;
                a.ended_at = Some(at);
                a.ended_unseen = true;
                a.log(now, StatusLogKind::VanishedDuringGap, None);
                self.gone.push_back((at, slot as u32));
                ended.push(slot as u32);
            }
        }
        for slot in ended {
            self.sync_hot(slot);
        }
    }

    /// The subscription of `endpoint` was down from `from` to `to`: pub/sub has no replay, so
    /// no rate may be computed across this interval.
    pub fn mark_gap(&mut self, endpoint: EndpointId, to: Time) {
        self.counters.gaps += 1;
        if let Some(ep) = self.endpoints.get_mut(usize::from(endpoint.0)) {
            ep.gap_until = to;
            ep.gaps += 1;
        }
    }

    pub fn set_connection(&mut self, endpoint: EndpointId, at: Time, state: ConnectionState) {
        let Some(ep) = self.endpoints.get_mut(usize::from(endpoint.0)) else {
            return;
        };
        if state == ConnectionState::Connected && ep.connection != ConnectionState::Connected {
            if ep.was_connected {
                ep.reconnects += 1;
            }
            ep.was_connected = true;
        }
        if std::mem::discriminant(&ep.connection) != std::mem::discriminant(&state) {
            ep.connection_since = Some(at);
        }
        ep.connection = state;
    }

    // ---- housekeeping -------------------------------------------------------------------------

    /// Evict what has been gone for longer than the retention: ended allocations, sessions that
    /// never got a status, then users and realms with nothing left. Call it once a second.
    pub fn evict(&mut self, now: Time) {
        let retention = self.config.retention;
        while let Some(&(queued, slot)) = self.gone.front() {
            if now - queued <= retention {
                break;
            }
            self.gone.pop_front();
            let Some(a) = self.allocations.get(slot as usize).and_then(Option::as_ref) else {
                continue;
            };
            // The queue entry may be stale: the slot was reused, or the session kept talking.
            let gone_since = match a.phase {
                Phase::Deleted => a.ended_at,
                Phase::NoStatus => Some(a.last_event),
                Phase::Live | Phase::Released => None,
            };
            match gone_since {
                Some(t) if now - t > retention => self.remove_allocation(slot),
                Some(t) if t > queued => self.gone.push_back((t, slot)),
                _ => {}
            }
        }
    }

    fn remove_allocation(&mut self, slot: u32) {
        let Some(a) = self.allocations[slot as usize].take() else {
            return;
        };
        self.sync_hot(slot);
        self.sync_search(slot);
        self.free_allocations.push(slot);
        let key = (a.endpoint, a.name_hash, a.id);
        if self.index.get(&key) == Some(&slot) {
            self.index.remove(&key);
        }
        let Some(user) = self.users[a.user as usize].as_mut() else {
            return;
        };
        if let Some(pos) = user.allocations.iter().position(|&s| s == slot) {
            user.allocations.swap_remove(pos);
        }
        if user.allocations.is_empty() {
            self.remove_user(a.user);
        }
    }

    fn remove_user(&mut self, slot: u32) {
        let Some(user) = self.users[slot as usize].take() else {
            return;
        };
        self.free_users.push(slot);
        let realm_slot = user.realm;
        let Some(realm) = self.realms[realm_slot as usize].as_mut() else {
            return;
        };
        realm.users.remove(&user.name);
        if realm.users.is_empty() {
            let realm = self.realms[realm_slot as usize].take();
            self.free_realms.push(realm_slot);
            match realm.and_then(|r| r.name) {
                Some(name) => {
                    self.realm_index.remove(&name);
                }
                None => self.realmless = None,
            }
        }
    }

    // ---- slots --------------------------------------------------------------------------------

    fn realm_slot(&mut self, realm: Option<&str>) -> u32 {
        let existing = match realm {
            Some(r) => self.realm_index.get(r).copied(),
            None => self.realmless,
        };
        if let Some(s) = existing {
            return s;
        }
        let value = Realm {
            name: realm.map(Into::into),
            display: crate::sanitize::display_name(realm).into(),
            name_chars: crate::filter::char_classes(crate::sanitize::filter_name(realm)),
            users: StrMap::default(),
            history: None,
        };
        let slot = insert_slot(&mut self.realms, &mut self.free_realms, value);
        match realm {
            Some(r) => {
                self.realm_index.insert(r.into(), slot);
            }
            None => self.realmless = Some(slot),
        }
        slot
    }

    fn user_slot(&mut self, realm: Option<&str>, user: &str) -> u32 {
        let realm_slot = self.realm_slot(realm);
        if let Some(&s) = self.realms[realm_slot as usize]
            .as_ref()
            .and_then(|r| r.users.get(user))
        {
            return s;
        }
        let value = User {
            realm: realm_slot,
            name: user.into(),
            display: crate::sanitize::display_name(Some(user)).into(),
            name_chars: crate::filter::char_classes(crate::sanitize::filter_name(Some(user))),
            allocations: Vec::new(),
        };
        let slot = insert_slot(&mut self.users, &mut self.free_users, value);
        if let Some(r) = self.realms[realm_slot as usize].as_mut() {
            r.users.insert(user.into(), slot);
        }
        slot
    }

    /// Find or create the allocation for an event. `fresh` (a `new` status) replaces an ended
    /// allocation under the same key: ids restart when coturn restarts.
    fn allocation_slot(
        &mut self,
        endpoint: EndpointId,
        realm: Option<&str>,
        user_name: &str,
        id: AllocationId,
        at: Time,
        fresh: bool,
    ) -> u32 {
        use std::hash::BuildHasher;
        // A collision needs the same id and the same seeded 64-bit hash of another realm+user.
        let name_hash = self.name_hasher.hash_one((realm, user_name));
        let key = (endpoint, name_hash, id);
        if let Some(&slot) = self.index.get(&key) {
            let reusable = !fresh
                || self.allocations[slot as usize]
                    .as_ref()
                    .is_some_and(|a| !matches!(a.phase, Phase::Deleted));
            if reusable {
                return slot;
            }
        }
        let user = self.user_slot(realm, user_name);
        let mut allocation = Allocation::new(endpoint, id, user, at);
        allocation.name_hash = name_hash;
        allocation.realm = self.users[user as usize].as_ref().map_or(0, |u| u.realm);
        let slot = insert_slot(
            &mut self.allocations,
            &mut self.free_allocations,
            allocation,
        );
        if let Some(a) = self.allocations[slot as usize].as_mut() {
            a.slot = slot;
        }
        self.sync_hot(slot);
        self.sync_search(slot);
        self.index.insert(key, slot);
        if let Some(u) = self.users[user as usize].as_mut() {
            u.allocations.push(slot);
        }
        slot
    }

    // ---- queries ------------------------------------------------------------------------------

    /// Every allocation (those that had a status), live or retained after its end.
    pub fn allocations(&self) -> impl Iterator<Item = &Allocation> {
        self.allocations
            .iter()
            .flatten()
            .filter(|a| a.phase != Phase::NoStatus)
    }

    /// One past the highest allocation slot: an upper bound of how many allocations there are.
    pub fn allocation_slot_count(&self) -> usize {
        self.allocations.len()
    }

    pub fn allocation_at(&self, slot: u32) -> Option<&Allocation> {
        self.allocations.get(slot as usize).and_then(Option::as_ref)
    }

    /// The hot fields of every allocation slot, free ones included (their state is `None`).
    pub fn hot_slots(&self) -> impl Iterator<Item = (u32, &Hot)> {
        self.hot.iter().enumerate().map(|(i, h)| (i as u32, h))
    }

    pub fn hot_at(&self, slot: u32) -> Option<&Hot> {
        self.hot.get(slot as usize)
    }

    pub fn search_text_at(&self, slot: u32) -> Option<&SearchText> {
        self.search.get(slot as usize)
    }

    /// Traffic-only sessions (closed before they had an allocation).
    pub fn sessions_without_allocation(&self) -> impl Iterator<Item = &Allocation> {
        self.allocations
            .iter()
            .flatten()
            .filter(|a| a.phase == Phase::NoStatus)
    }

    pub fn user_of(&self, a: &Allocation) -> &User {
        self.users[a.user as usize]
            .as_ref()
            .expect("an allocation's user lives as long as it does")
    }

    pub fn realm_of_user(&self, u: &User) -> &Realm {
        self.realms[u.realm as usize]
            .as_ref()
            .expect("a user's realm lives as long as it does")
    }

    pub fn realm_of(&self, a: &Allocation) -> &Realm {
        self.realm_of_user(self.user_of(a))
    }

    pub fn atom(&self, a: Option<Atom>) -> Option<&str> {
        a.and_then(|a| self.atoms.get(a))
    }

    pub fn users(&self) -> impl Iterator<Item = (u32, &User)> {
        self.users
            .iter()
            .enumerate()
            .filter_map(|(i, u)| u.as_ref().map(|u| (i as u32, u)))
    }

    /// One past the highest user slot: the length of a per-user table.
    pub fn user_slots(&self) -> usize {
        self.users.len()
    }

    pub fn user(&self, slot: u32) -> Option<&User> {
        self.users.get(slot as usize).and_then(Option::as_ref)
    }

    pub fn user_allocations<'a>(
        &'a self,
        u: &'a User,
    ) -> impl Iterator<Item = &'a Allocation> + 'a {
        u.allocations
            .iter()
            .filter_map(|&s| self.allocations[s as usize].as_ref())
            .filter(|a| a.phase != Phase::NoStatus)
    }

    pub fn realms(&self) -> impl Iterator<Item = (u32, &Realm)> {
        self.realms
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (i as u32, r)))
    }

    pub fn realm(&self, slot: u32) -> Option<&Realm> {
        self.realms.get(slot as usize).and_then(Option::as_ref)
    }

    pub fn realm_users<'a>(&'a self, r: &'a Realm) -> impl Iterator<Item = (u32, &'a User)> + 'a {
        r.users
            .values()
            .filter_map(|&s| self.users[s as usize].as_ref().map(|u| (s, u)))
    }

    pub fn user_realm_slot(&self, u: &User) -> u32 {
        u.realm
    }

    pub fn allocation_user_slot(&self, a: &Allocation) -> u32 {
        a.user
    }

    /// Approximate heap + inline bytes the model holds: for the memory benchmark.
    pub fn approx_bytes(&self) -> usize {
        let slots = self.allocations.capacity() * std::mem::size_of::<Option<Allocation>>()
            + self.hot.capacity() * std::mem::size_of::<Hot>()
            + self.search.capacity() * std::mem::size_of::<SearchText>();
        let heap: usize = self
            .allocations
            .iter()
            .flatten()
            .map(Allocation::heap_bytes)
            .sum();
        let index = self.index.capacity()
            * (std::mem::size_of::<((EndpointId, u64, AllocationId), u32)>() + 1);
        let users: usize = self.users.capacity() * std::mem::size_of::<Option<User>>()
            + self
                .users
                .iter()
                .flatten()
                .map(|u| u.name.len() * 2 + u.display.len() + u.allocations.capacity() * 4)
                .sum::<usize>();
        let realms: usize = self
            .realms
            .iter()
            .flatten()
            .map(|r| r.users.capacity() * (std::mem::size_of::<(Box<str>, u32)>() + 1) + 64)
            .sum();
        slots + heap + index + users + realms
    }
}

fn to_ds(base: Time, t: Time) -> Ds {
    let d = ((t - base) * 10.0).round();
    if d.is_nan() || d <= 0.0 {
        0
    } else if d >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        d as u32
    }
}

fn clamp_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn insert_slot<T>(slots: &mut Vec<Option<T>>, free: &mut Vec<u32>, value: T) -> u32 {
    if let Some(slot) = free.pop() {
        slots[slot as usize] = Some(value);
        slot
    } else {
        slots.push(Some(value));
        (slots.len() - 1) as u32
    }
}
