//! The status keys: seeding at connect, and reconciliation passes (after a reconnect, every
//! 30 s, and at once when an id reuse shows a coturn restart). A pass is SCAN + MGET of every
//! `turn/*/allocation/*/status` key of an endpoint, handed over as `begin_seed`, batches of
//! `seed_status`, `end_seed`.
//!
//! A key is the only persistent trace of an allocation, but its absence proves little: coturn
//! deletes *every* status key at its start-up (another coturn's, in a shared Redis, too) and a
//! Redis restarted without persistence has none; coturn SETs a key again only at the next
//! refresh. So a missing key never ends a row by itself:
//!
//! - a row heard from during the pass (a status, or traffic of an id nobody shares) is there;
//! - a `released` row, or one whose lifetime has run out, ends (`gone from Redis`);
//! - any other row becomes *unconfirmed* once nothing has been heard of it for
//!   `ModelConfig::key_grace` seconds ([`KEY_GRACE`] by default: a call reporting every 20 s
//!   is not flagged between two reports);
//! - traffic, a status, or its key in a later pass confirms it live again;
//! - an unconfirmed row whose lifetime runs out with nothing heard ends (`gone from Redis`).
//!
//! The watch list is checked once a second by [`Model::evict`].

use super::{EndReason, EndpointId, Model, Phase, StatusLogKind, Time};
use crate::coturn::{self, ParseError, Status};

/// Seconds of silence after which a row whose key is missing is shown unconfirmed (default).
pub const KEY_GRACE: f64 = 30.0;

/// An unconfirmed row with no known lifetime ends this long after its key went missing
/// (coturn's default `max-allocate-lifetime`).
const UNKNOWN_LIFETIME: f64 = 3600.0;

impl Model {
    /// Start a pass over the status keys of one endpoint (a seed or a reconciliation) at `at`.
    pub fn begin_seed(&mut self, endpoint: EndpointId, at: Time) {
        if let Some(ep) = self.endpoints.get_mut(usize::from(endpoint.0)) {
            ep.seed_generation += 1;
            ep.seed_started = at;
        }
    }

    /// One status key and its value, as found by SCAN + MGET.
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
        let (generation, pass_start, gap_until) = self
            .endpoints
            .get(usize::from(endpoint.0))
            .map_or((0, at, at), |e| {
                (e.seed_generation, e.seed_started, e.gap_until)
            });
        let alloc_key = self.key_of(endpoint, &ch);
        let local = fields.local.and_then(|l| self.atoms.intern(l));
        self.note_listener(endpoint, local);
        let Some(slot) = self.slot_for_status(alloc_key, &ch, local, at, Some(pass_start)) else {
            return;
        };
        let Some(a) = self.allocations[slot as usize].as_mut() else {
            return;
        };
        a.seed_generation = generation;
        a.set_key_missing(None);
        let known = a.phase != Phase::NoStatus;
        if !known {
            self.counters.seeded += 1;
            a.seeded_at = Some(at);
            a.log(now, StatusLogKind::Seeded, fields.lifetime);
        }
        if a.phase == Phase::Unconfirmed && a.doubted_at().is_none() {
            a.phase = Phase::Live;
            a.log(now, StatusLogKind::Confirmed, None);
        }
        // A row we already follow keeps its exact expiry, unless we were away since its last
        // status and the key says it must have been refreshed meanwhile (it would have expired
        // otherwise). Subscribed all along, we heard every refresh: the key of an expired row
        // is a dead coturn's, not news.
        let away = a.last_status.or(a.seeded_at).is_none_or(|t| t < gap_until);
        let keep_expiry = known && (!away || a.expires_at.is_some_and(|e| e > at));
        let saved = (a.expires_at, a.expiry_is_upper_bound, a.phase);
        let remote_changed = Self::apply_fields(&mut self.atoms, a, at, &fields, true);
        if keep_expiry && a.phase == Phase::Live && saved.2 == Phase::Live {
            a.expires_at = saved.0;
            a.expiry_is_upper_bound = saved.1;
        }
        if saved.2 == Phase::Unconfirmed && a.doubted_at().is_some() {
            // The key of a shared id does not say whose it is: the doubt stays.
            a.phase = Phase::Unconfirmed;
        }
        self.sync_hot(slot);
        if remote_changed {
            self.sync_search(slot);
        }
    }

    /// Finish a pass: open rows of this endpoint whose key it did not find, and that were not
    /// heard from while it ran, are watched (see the module doc).
    pub fn end_seed(&mut self, endpoint: EndpointId, at: Time) {
        let Some((generation, pass_start)) = self
            .endpoints
            .get(usize::from(endpoint.0))
            .map(|e| (e.seed_generation, e.seed_started))
        else {
            return;
        };
        let now = self.ds(at);
        let grace = self.config.key_grace;
        // Drop the entries of rows heard from since, before watching them again.
        self.check_watched(at);
        let mut changed = Vec::new();
        for (slot, a) in self.allocations.iter_mut().enumerate() {
            let Some(a) = a else { continue };
            if a.endpoint != endpoint || a.seed_generation == generation || !a.is_open_phase() {
                continue;
            }
            let slot = slot as u32;
            let out_of_time =
                a.phase == Phase::Released || a.expires_at.is_some_and(|e| e <= pass_start);
            if out_of_time {
                if a.end(at, EndReason::GoneFromRedis) {
                    self.cumulative.ended(EndReason::GoneFromRedis);
                }
                a.log(now, StatusLogKind::Vanished, None);
                self.gone.push_back((at, slot));
                changed.push(slot);
            } else if a.key_missing_at().is_none() {
                a.set_key_missing(Some(pass_start));
                a.log(now, StatusLogKind::KeyMissing, None);
                // The silence so far counts: a row not heard of for the grace already is
                // unconfirmed at once.
                let due = pass_start.max(a.last_event + grace);
                self.watched.push((slot, a.id, due));
            }
        }
        for slot in changed {
            self.sync_hot(slot);
        }
        self.check_watched(at);
    }

    /// Once a second (from [`Model::evict`]): rows whose key is missing become unconfirmed when
    /// their grace is over, and unconfirmed rows end when their lifetime runs out.
    pub(super) fn check_watched(&mut self, now: Time) {
        let mut watched = std::mem::take(&mut self.watched);
        let mut changed = Vec::new();
        watched.retain(|&(slot, id, due)| {
            let Some(a) = self.allocations[slot as usize]
                .as_mut()
                .filter(|a| a.id == id)
            else {
                return false;
            };
            match a.phase {
                Phase::Live if a.key_missing_at().is_some() => {
                    if now < due {
                        return true;
                    }
                    a.phase = Phase::Unconfirmed;
                    let at = self.base.map_or(0, |b| super::to_ds(b, now));
                    a.log(at, StatusLogKind::Unconfirmed, None);
                    changed.push(slot);
                    true
                }
                Phase::Unconfirmed => {
                    let since = a.key_missing_at().or(a.doubted_at()).unwrap_or(due);
                    let end = a.expires_at.unwrap_or(since + UNKNOWN_LIFETIME);
                    if now < end {
                        return true;
                    }
                    let at = self.base.map_or(0, |b| super::to_ds(b, end));
                    if a.end(end, EndReason::GoneFromRedis) {
                        self.cumulative.ended(EndReason::GoneFromRedis);
                        a.log(at, StatusLogKind::Vanished, None);
                        self.gone.push_back((end, slot));
                        changed.push(slot);
                    }
                    false
                }
                _ => false,
            }
        });
        // Entries added while this ran (none today) are kept.
        watched.append(&mut self.watched);
        self.watched = watched;
        for slot in changed {
            self.sync_hot(slot);
        }
    }
}
