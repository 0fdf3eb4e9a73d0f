//! The emitter: coturn's allocation ids, and its channels and payloads for a simulated
//! allocation, built with the parser's inverses ([`coturn::channel_name`],
//! [`coturn::counters_payload`]).

use super::{Demo, DemoMessage};
use crate::coturn::{self, AllocationId, Counters, EventKind, Leg};

impl Demo {
    /// The next id of a random relay thread (see the module documentation of `demo`).
    pub(super) fn next_id(&mut self) -> AllocationId {
        let thread = self.rng.below(self.counters.len() as u64) as usize;
        self.counters[thread] += 1;
        AllocationId(thread as u64 * 1_000_000_000_000_000 + self.counters[thread])
    }

    pub(super) fn emit(
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

    pub(super) fn emit_status(&mut self, at: f64, key: u64, word: &str, lifetime: u32) {
        let Some(a) = self.allocs.get(&key) else {
            return;
        };
        let payload = format!("{word} lifetime={lifetime}, {}", a.status_fields);
        let (realm, user, id) = (a.realm.clone(), a.user.clone(), a.id);
        self.emit(at, realm.as_deref(), &user, id, EventKind::Status, payload);
    }

    pub(super) fn emit_traffic(
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
        // Client leg first, then peer, as coturn publishes them.
        for (leg, counters) in [Leg::Client, Leg::Peer].into_iter().zip(&legs) {
            let payload = coturn::counters_payload(counters);
            self.emit(at, realm, user, id, kind(leg), payload);
        }
    }
}
