//! The allocation record: what turntop knows of one allocation (or of a traffic-only session),
//! per-leg traffic, the status log, and the rules that turn what we were told plus the clock
//! into a [`State`].

use super::{Atom, Ds, EndpointId, Rate, Report, Series, Time};
use crate::coturn::{AllocationId, Counters, Leg};

/// What we have been told, before the clock is applied (see [`State`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Phase {
    /// Traffic arrived for a session we never saw a status for: coturn reports the traffic of
    /// sessions closed before authentication (empty user, no allocation) this way. Not an
    /// allocation until a status arrives.
    NoStatus,
    Live,
    /// `refreshed lifetime=0`: the client released it, `deleted` follows.
    Released,
    /// Its status key was missing from Redis and nothing has been heard of it since: it may
    /// have ended unseen (a crashed coturn) or its key may have been deleted under it (another
    /// coturn's start-up, a Redis restart). Traffic or a status confirms it live again; its
    /// lifetime running out with nothing heard ends it.
    Unconfirmed,
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
    /// The status key is gone from Redis and nothing was heard since (see `Phase::Unconfirmed`).
    Unconfirmed,
    /// The lifetime ran out and no `deleted` came (yet): a stuck session or a dead server.
    Expired,
    Deleted,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Live => "live",
            State::Released => "released",
            State::Unconfirmed => "unconfirmed",
            State::Expired => "expired",
            State::Deleted => "deleted",
        }
    }
    /// Not ended: the allocation may still exist on its coturn.
    pub fn is_open(self) -> bool {
        !matches!(self, State::Deleted)
    }
}

/// The state of an allocation in `phase`, at `now`.
pub(super) fn state_at(phase: Phase, expires_at: Option<Time>, now: Time) -> Option<State> {
    match phase {
        Phase::NoStatus => None,
        Phase::Deleted => Some(State::Deleted),
        Phase::Released => Some(State::Released),
        Phase::Live => match expires_at {
            Some(e) if now >= e => Some(State::Expired),
            _ => Some(State::Live),
        },
        // Ended by the next eviction tick once its lifetime has run out.
        Phase::Unconfirmed => match expires_at {
            Some(e) if now >= e => Some(State::Expired),
            _ => Some(State::Unconfirmed),
        },
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
    /// Its status key was missing from a reconciliation pass (a SCAN of the status keys).
    KeyMissing,
    /// Nothing heard since its key went missing: unconfirmed.
    Unconfirmed,
    /// Heard again (traffic, a status, its key) after being unconfirmed.
    Confirmed,
    /// A `new` for its id on the same listener: its coturn restarted and gave the id to a new
    /// allocation, which is another row.
    Replaced,
    /// Another coturn publishing into the same Redis opened an allocation with the same id.
    Collided,
    /// A `deleted` for its id while it shared the id with another server's allocation: one of
    /// them ended, Redis does not say which.
    DeleteAmbiguous,
    /// Its key gone and its lifetime run out with nothing heard: ended unseen.
    Vanished,
}

/// Why an allocation ended.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// coturn published `deleted` (or its totals, which follow only a delete).
    Deleted,
    /// A new allocation took its id on the same listener: the server restarted.
    Replaced,
    /// Its status key was gone from Redis and its lifetime ran out with nothing heard.
    GoneFromRedis,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Deleted => "deleted",
            EndReason::Replaced => "replaced",
            EndReason::GoneFromRedis => "gone_from_redis",
        }
    }

    /// What the detail screen says of it.
    pub fn explain(self) -> &'static str {
        match self {
            EndReason::Deleted => "deleted by coturn",
            EndReason::Replaced => "replaced: the server restarted and reused its id",
            EndReason::GoneFromRedis => "gone from Redis: key missing, lifetime over",
        }
    }
}

const STATUS_LOG_LEN: usize = 16;

#[derive(Clone, Debug)]
pub struct Allocation {
    pub endpoint: EndpointId,
    pub id: AllocationId,
    pub(super) user: u32,
    /// Its own slab slot (stable while it lives): part of its identity on screen.
    pub slot: u32,
    /// The user's realm (kept here so a report reaches the realm's history without a lookup).
    pub(super) realm: u32,
    pub(super) name_hash: u64,
    pub(super) phase: Phase,
    pub transport: Option<Atom>,
    pub local: Option<Atom>,
    pub ssl: Option<Atom>,
    pub cipher: Option<Atom>,
    /// Sanitized (it could carry anything a client put in an address field, in principle).
    pub remote: Option<Box<str>>,
    /// [`crate::filter::char_classes`] of `remote` (0 without one).
    pub(super) remote_chars: u32,
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
    pub end_reason: Option<EndReason>,
    /// Another allocation (of another coturn on the same Redis) had the same id while this one
    /// was open: traffic, totals and `deleted` of the id cannot be told apart (see
    /// [`super::Model`]'s identity rules), so its numbers are not exact.
    pub collision: bool,
    /// The start of the reconciliation pass that found its status key missing, while nothing
    /// has been heard of it since (NaN: none). A bare `f64`, as `doubted`: an `Option` would
    /// make the record one cache line longer, and every event reads it.
    key_missing: Time,
    /// A `deleted` for its id came while it shared the id: it may be the one that ended (NaN:
    /// none).
    doubted: Time,
    pub client: LegStats,
    pub peer: LegStats,
    /// `total_traffic` / `total_traffic/peer` as coturn reported them after `deleted`.
    pub total: Option<Box<[Option<Counters>; 2]>>,
    pub status_log: Vec<StatusLogEntry>,
    pub(super) seed_generation: u32,
}

impl Allocation {
    pub(super) fn new(endpoint: EndpointId, id: AllocationId, user: u32, at: Time) -> Self {
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
            end_reason: None,
            collision: false,
            key_missing: f64::NAN,
            doubted: f64::NAN,
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

    pub(super) fn leg_mut(&mut self, leg: Leg) -> &mut LegStats {
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
            Phase::Live | Phase::Unconfirmed => self.expires_at.map(|e| e - now),
            _ => None,
        }
    }

    /// A leg whose `total_traffic` arrived and differs from the sum of the deltas we saw:
    /// messages were lost (e.g. during a reconnect). Never for a collided id: whose deltas and
    /// whose total they were is unknown, so neither agreement nor disagreement means anything.
    pub fn totals_mismatch(&self) -> bool {
        !self.collision
            && [Leg::Client, Leg::Peer]
                .into_iter()
                .any(|leg| self.total_of(leg).is_some_and(|t| t != self.leg(leg).sum))
    }

    /// When a reconciliation pass found its status key missing, while nothing was heard of it
    /// since.
    pub fn key_missing_at(&self) -> Option<Time> {
        (!self.key_missing.is_nan()).then_some(self.key_missing)
    }

    pub(super) fn set_key_missing(&mut self, at: Option<Time>) {
        self.key_missing = at.unwrap_or(f64::NAN);
    }

    /// When a `deleted` of its shared id left it in doubt.
    pub(super) fn doubted_at(&self) -> Option<Time> {
        (!self.doubted.is_nan()).then_some(self.doubted)
    }

    pub(super) fn set_doubted(&mut self, at: Option<Time>) {
        self.doubted = at.unwrap_or(f64::NAN);
    }

    pub(super) fn take_doubted(&mut self) -> Option<Time> {
        let at = self.doubted_at();
        self.doubted = f64::NAN;
        at
    }

    /// It ended without coturn saying so (its server restarted, or its key vanished).
    pub fn ended_unseen(&self) -> bool {
        matches!(
            self.end_reason,
            Some(EndReason::Replaced | EndReason::GoneFromRedis)
        )
    }

    /// Not ended, and an allocation (not a traffic-only session).
    pub(super) fn is_open_phase(&self) -> bool {
        matches!(
            self.phase,
            Phase::Live | Phase::Released | Phase::Unconfirmed
        )
    }

    /// How long it has lived: to `now`, or, once ended, its lifetime (start to end), which
    /// stops counting. `None` for a seeded row (its start is unknown).
    pub fn age(&self, now: Time) -> Option<f64> {
        let end = self.ended_at.map_or(now, |e| e.min(now));
        self.first_seen.map(|t| (end - t).max(0.0))
    }

    /// End it now (`at`) for `reason`; false if it had already ended.
    pub(super) fn end(&mut self, at: Time, reason: EndReason) -> bool {
        if self.phase == Phase::Deleted {
            return false;
        }
        self.phase = Phase::Deleted;
        self.ended_at = Some(at);
        self.end_reason = Some(reason);
        self.key_missing = f64::NAN;
        self.doubted = f64::NAN;
        true
    }

    pub(super) fn log(&mut self, at: Ds, kind: StatusLogKind, lifetime: Option<u32>) {
        if self.status_log.len() >= STATUS_LOG_LEN {
            // Keep the first entry (how it started) and the most recent ones.
            self.status_log.remove(1);
        }
        self.status_log.push(StatusLogEntry { at, kind, lifetime });
    }

    pub(super) fn heap_bytes(&self) -> usize {
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
