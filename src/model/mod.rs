//! The store: every allocation turntop knows of, grouped by user and realm, with traffic totals,
//! rates and a sparse history. Pure: no I/O, and time is always passed in (seconds since the
//! Unix epoch, as `f64`), so replays, tests and the live source drive it the same way.
//!
//! `Model` and its configuration live here; each concern adds its own `impl Model` in a child
//! module, which sees the private fields: `ingest` (apply a message), `identity` (which row a
//! message or key belongs to when coturn reuses ids), `seed` (status keys: seeding and
//! reconciliation), `slots` (find, create, evict), `users` (users and realms), `endpoint`
//! (connections) and `query` (read accessors).

mod allocation;
mod atoms;
mod check;
mod cumulative;
mod endpoint;
mod hot;
mod identity;
mod ingest;
pub mod problems;
mod query;
mod ring;
mod search;
mod seed;
mod series;
mod slots;
mod users;
pub mod view;

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::coturn::AllocationId;
use allocation::Phase;
pub use allocation::{Allocation, EndReason, LegStats, State, StatusLogEntry, StatusLogKind};
pub use atoms::Atom;
use atoms::Atoms;
pub use cumulative::Cumulative;
pub use endpoint::{ConnectionState, Endpoint, EndpointId};
pub use hot::Hot;
pub use ingest::{BadMessage, EventCounters};
pub use problems::{Problem, ProblemKind, Problems, Severity, Subject, Thresholds};
pub use ring::RateRing;
pub use search::SearchText;
pub use seed::KEY_GRACE;
pub use series::{Ds, Rate, Report, Series};
pub use users::{Realm, User};

/// Names from the network key these maps: a seeded hasher keeps them fast without letting a
/// publisher pick colliding names.
type StrMap<V> = std::collections::HashMap<Box<str>, V, foldhash::fast::RandomState>;

/// Seconds since the Unix epoch.
pub type Time = f64;

/// What identifies an allocation's row for an event: endpoint, hash of realm + user, id.
/// Several rows can have one key over time (coturn restarts reuse ids) and at once (coturns
/// sharing a Redis): see `identity`.
type AllocKey = (EndpointId, u64, AllocationId);

#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// How long an ended allocation (and a user with nothing left) stays visible, in seconds.
    pub retention: f64,
    /// The longest history kept for sparklines and charts, in seconds.
    pub history_window: f64,
    /// Seconds of silence after which a row whose status key is missing is shown unconfirmed
    /// (see `seed`).
    pub key_grace: f64,
    /// When a condition becomes a problem, and how severe (see `problems`).
    pub problems: Thresholds,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            retention: 600.0,
            history_window: 600.0,
            key_grace: seed::KEY_GRACE,
            problems: Thresholds::default(),
        }
    }
}

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
    /// of fixed-size keys, without touching the realm and user maps. The slot is the newest row
    /// of the key (for a collided key: the row that last had a status of its own).
    index: FxHashMap<AllocKey, u32>,
    /// Every row of a key that several coturns use at once (collided rows only look here).
    twins: FxHashMap<AllocKey, Vec<u32>>,
    /// Rows whose status key went missing, checked once a second: (slot, id, when it becomes
    /// unconfirmed if nothing is heard).
    watched: Vec<(u32, AllocationId, Time)>,
    /// Endpoints whose status keys should be reconciled now (an id reuse showed a restart).
    reconcile_wanted: Vec<EndpointId>,
    /// Client and peer rates of each coturn listener, per second: `[endpoint][local atom
    /// index]` (index 0: statuses without `local=`), allocated at its first report.
    server_history: Vec<Vec<Option<Box<[RateRing; 2]>>>>,
    /// Every coturn listener a status named (few: a fleet's servers).
    listeners: Vec<(EndpointId, Atom)>,
    name_hasher: foldhash::fast::RandomState,
    users: Vec<Option<User>>,
    free_users: Vec<u32>,
    realms: Vec<Option<Realm>>,
    free_realms: Vec<u32>,
    realm_index: StrMap<u32>,
    realmless: Option<u32>,
    atoms: Atoms,
    pub counters: EventCounters,
    /// Totals that only grow (ended and evicted rows included): for the metrics exporter.
    cumulative: Cumulative,
    pub bad_messages: VecDeque<BadMessage>,
    /// Allocations that ended (or never had a status), oldest first, with the instant they were
    /// queued: eviction pops from the front instead of scanning every allocation each second.
    gone: VecDeque<(Time, u32)>,
    last_event: Option<Time>,
    problems: Problems,
}

impl Default for Model {
    fn default() -> Self {
        Model::new(ModelConfig::default())
    }
}

impl Model {
    pub fn new(config: ModelConfig) -> Self {
        Model {
            problems: Problems::new(config.problems.clone()),
            config,
            base: None,
            endpoints: Vec::new(),
            allocations: Vec::new(),
            hot: Vec::new(),
            search: Vec::new(),
            free_allocations: Vec::new(),
            index: FxHashMap::default(),
            twins: FxHashMap::default(),
            watched: Vec::new(),
            reconcile_wanted: Vec::new(),
            server_history: Vec::new(),
            listeners: Vec::new(),
            name_hasher: foldhash::fast::RandomState::default(),
            users: Vec::new(),
            free_users: Vec::new(),
            realms: Vec::new(),
            free_realms: Vec::new(),
            realm_index: StrMap::default(),
            realmless: None,
            atoms: Atoms::default(),
            counters: EventCounters::default(),
            cumulative: Cumulative::default(),
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
