//! Ingest: one published message (or a batch of them, prefetched) changes the model.

use super::atoms::Atoms;
use super::{
    Allocation, Ds, EndReason, EndpointId, Hot, Model, Phase, RateRing, Report, StatusLogKind, Time,
};
use crate::coturn::{self, Leg, Message, ParseError, Payload, Status, StatusFields};
use crate::sanitize::sanitize;

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
    /// Allocations replaced by a new one with the same id on the same listener: their coturn
    /// restarted.
    #[serde(default)]
    pub ids_reused: u64,
    /// Distinct ids that two coturns publishing into the same Redis used at the same time.
    #[serde(default)]
    pub id_collisions: u64,
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

impl Model {
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
        let key = self.key_of(endpoint, ch);
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
        let key = self.key_of(endpoint, ch);
        let slot = match msg.payload {
            Payload::Status(Status::New(f)) => {
                let local = f.local.and_then(|l| self.atoms.intern(l));
                self.note_listener(endpoint, local);
                self.slot_for_new(key, ch, local, at)
            }
            Payload::Status(Status::Refreshed(f)) => {
                let local = f.local.and_then(|l| self.atoms.intern(l));
                self.note_listener(endpoint, local);
                match self.slot_for_status(key, ch, local, at, None) {
                    Some(slot) => slot,
                    None => return,
                }
            }
            _ => self.find_or_create(key, ch.realm, ch.user, at),
        };
        let deleted = matches!(msg.payload, Payload::Status(Status::Deleted));
        if deleted
            && self.allocation_at(slot).is_some_and(|a| a.collision)
            && self.delete_ambiguous(key, slot, at)
        {
            if let Some(a) = self.allocations[slot as usize].as_mut() {
                a.last_event = at;
                a.last_status = Some(at);
            }
            return;
        }
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
        let has_status = matches!(
            msg.payload,
            Payload::Status(Status::New(_) | Status::Refreshed(_))
        );
        // What proves this row alive: its own status, or traffic of an id nobody shares.
        let heard = has_status || (matches!(msg.payload, Payload::Traffic(..)) && !a.collision);
        let mut confirmed = false;
        let mut doubt_cleared = None;
        if heard {
            // Heard during a reconciliation pass: the pass must not take it for gone even if
            // its SCAN passed the key before it was written. (Written only when it changes: a
            // store dirties the line for nothing on the hot path.)
            if a.seed_generation != generation {
                a.seed_generation = generation;
            }
            if a.key_missing_at().is_some() {
                a.set_key_missing(None);
            }
            if a.phase == Phase::Unconfirmed {
                a.phase = Phase::Live;
                a.log(now, StatusLogKind::Confirmed, None);
                confirmed = true;
            }
            if has_status {
                doubt_cleared = a.take_doubted();
            }
        }
        match msg.payload {
            Payload::Status(status) => {
                let fields = match status {
                    Status::New(f) => {
                        if a.phase == Phase::NoStatus || a.first_seen.is_none() {
                            a.first_seen = Some(a.first_seen.unwrap_or(at));
                        }
                        a.log(now, StatusLogKind::New, f.lifetime);
                        self.cumulative.started += 1;
                        Some(f)
                    }
                    Status::Refreshed(f) => {
                        a.log(now, StatusLogKind::Refreshed, f.lifetime);
                        Some(f)
                    }
                    Status::Deleted => {
                        if a.end(at, EndReason::Deleted) {
                            self.cumulative.ended(EndReason::Deleted);
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
                if span_ms > 0 {
                    let (span, bytes) = (f64::from(span_ms) / 1000.0, delta.bytes());
                    let leg_index = usize::from(leg == Leg::Peer);
                    if let Some(rings) = self
                        .realms
                        .get_mut(a.realm as usize)
                        .and_then(Option::as_mut)
                        .and_then(|r| r.history.as_mut())
                    {
                        rings[leg_index].add(at, span, bytes);
                    }
                    let local = a.local.map_or(0, |l| l.index());
                    server_ring(&mut self.server_history, endpoint, local)[leg_index]
                        .add(at, span, bytes);
                }
                if no_status && a.client.reports + a.peer.reports == 1 {
                    // Its first word is traffic: a session without an allocation (so far). If no
                    // status ever comes it is evicted like an ended allocation.
                    self.counters.sessions_without_allocation += 1;
                    self.gone.push_back((at, slot));
                }
            }
            Payload::TotalTraffic(leg, total) => {
                let mismatched = a.totals_mismatch();
                let t = a.total.get_or_insert_with(|| Box::new([None, None]));
                t[matches!(leg, Leg::Peer) as usize] = Some(total);
                if !mismatched && a.totals_mismatch() {
                    self.cumulative.totals_mismatch += 1;
                }
                // A total only follows `deleted`: if we missed the status, it did end.
                if a.phase == Phase::NoStatus && a.end(at, EndReason::Deleted) {
                    self.cumulative.ended(EndReason::Deleted);
                    self.gone.push_back((at, slot));
                }
            }
        }
        if confirmed || !matches!(msg.payload, Payload::Traffic(..)) {
            self.sync_hot(slot);
        }
        if remote_changed {
            self.sync_search(slot);
        }
        if let Some(t) = doubt_cleared {
            self.resolve_doubt(key, slot, t);
        }
    }

    pub(super) fn apply_fields(
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
}

/// The history of one coturn listener (`local`: its atom index, 0 without one), made on first use.
fn server_ring(
    history: &mut Vec<Vec<Option<Box<[RateRing; 2]>>>>,
    endpoint: EndpointId,
    local: usize,
) -> &mut [RateRing; 2] {
    let e = usize::from(endpoint.0);
    if history.len() <= e {
        history.resize_with(e + 1, Vec::new);
    }
    let by_local = &mut history[e];
    if by_local.len() <= local {
        by_local.resize_with(local + 1, || None);
    }
    by_local[local].get_or_insert_with(Default::default)
}

fn clamp_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}
