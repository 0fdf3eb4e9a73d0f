//! The server crashes and restarts; and what its Redis holds: the status keys a
//! reconciliation pass finds.

use super::alloc::{Alloc, Phase};
use super::plan::{AllocPlan, Flow, Profile};
use super::scheduler::Ev;
use super::{Demo, INITIAL_LIFETIME};
use crate::coturn::{self, Counters, EventKind};

impl Demo {
    /// The server crashes and restarts: its allocations vanish without a word, its keys are
    /// deleted, its counters start again; most calls in progress reconnect, to the same
    /// listener, with their old ids.
    pub(super) fn restart(&mut self, at: f64) {
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
                    trouble: a.trouble,
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
}
