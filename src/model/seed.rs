//! Seeding from the status keys (SCAN + GET) at connect and after a gap, and reconciling
//! what vanished meanwhile.

use super::{EndpointId, Model, Phase, StatusLogKind, Time};
use crate::coturn::{self, ParseError, Status};

impl Model {
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
}
