//! Identity: which row a message or a status key belongs to, when coturn reuses ids.
//!
//! coturn numbers allocations per process (`relay thread × 10^15 + a counter from 1`), so the
//! same `(endpoint, realm, user, id)` comes back after every restart of a coturn, and from every
//! coturn that publishes into the same Redis. What tells them apart is the `local=` address of
//! the status (the listener the client reached); `traffic`, `total_traffic` and `deleted` carry
//! none. The rules:
//!
//! - **Restart.** A `new` for a key whose open row has the same listener (or an unknown one)
//!   means that coturn restarted: the old row ends (reason `replaced`), the new allocation is a
//!   new row from zero, `counters.ids_reused` counts it, and the key reconciliation of the
//!   endpoint is asked for at once (the restart deleted every status key).
//! - **Collision.** A `new` (or a status or key we had no `new` for) on a *different* listener
//!   while a row of the key is open: both rows stay, both are flagged, `counters.id_collisions`
//!   counts the key once.
//! - **Whose traffic?** Redis alone cannot say, so the rule is: traffic and totals of a collided
//!   key go to the row that last had a status of its own (a `new` or `refreshed`, which carry the
//!   listener); they never confirm a row, and a collided row never shows its deltas as exact
//!   (no `Σdeltas = total ✓`, no `Σ≠` either).
//! - **Whose `deleted`?** While several rows of the key are open, none is ended: each becomes
//!   unconfirmed ("deleted by one of the servers sharing the id"); the next status of a row
//!   confirms it, and when all but one are confirmed that one is the allocation that ended, at
//!   the time of the `deleted`. A row never confirmed ends when its lifetime runs out.
//!
//! A normal event costs one lookup of the fixed-size key (the local check reads the row the
//! lookup found); only collided keys look into `twins`.

use super::{AllocKey, Atom, EndReason, EndpointId, Model, Phase, StatusLogKind, Time};
use crate::coturn::Channel;

/// A seeded row and a `new` for its key within this many seconds are one allocation: the seed
/// read the key of an allocation whose `new` was still on its way (coturn SETs, then
/// publishes). A restart cannot be that quick: it deletes every key first.
const SEED_RACE: f64 = 5.0;

/// Two listeners are the same unless both are known and differ.
fn same_listener(a: Option<Atom>, b: Option<Atom>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

impl Model {
    pub(super) fn key_of(&self, endpoint: EndpointId, ch: &Channel<'_>) -> AllocKey {
        use std::hash::BuildHasher;
        // A collision needs the same id and the same seeded 64-bit hash of another realm+user.
        (
            endpoint,
            self.name_hasher.hash_one((ch.realm, ch.user)),
            ch.id,
        )
    }

    /// The open rows of `key` (the newest first when it is among them).
    fn open_rows(&self, key: &AllocKey, head: u32) -> Vec<u32> {
        let Some(h) = self.allocation_at(head) else {
            return Vec::new();
        };
        if h.collision
            && let Some(group) = self.twins.get(key)
        {
            let mut open: Vec<u32> = group
                .iter()
                .copied()
                .filter(|&s| s != head && self.allocation_at(s).is_some_and(|a| a.is_open_phase()))
                .collect();
            if h.is_open_phase() {
                open.insert(0, head);
            }
            return open;
        }
        if h.is_open_phase() {
            vec![head]
        } else {
            Vec::new()
        }
    }

    /// The row of a `new` status on `local`: always a new row, except for a traffic-only session
    /// (which gets its status) and a row the seed created from this allocation's own key.
    pub(super) fn slot_for_new(
        &mut self,
        key: AllocKey,
        ch: &Channel<'_>,
        local: Option<Atom>,
        at: Time,
    ) -> u32 {
        let Some(&head) = self.index.get(&key) else {
            return self.create_allocation(key, ch.realm, ch.user, at);
        };
        if let Some(h) = self.allocation_at(head) {
            let just_seeded = h.first_seen.is_none()
                && h.seeded_at
                    .is_some_and(|t| at - t < SEED_RACE && h.last_event <= t);
            if h.phase == Phase::NoStatus
                || (just_seeded && h.is_open_phase() && same_listener(h.local, local))
            {
                return head;
            }
        }
        let mut open = self.open_rows(&key, head);
        if let Some(i) = open.iter().position(|&s| {
            self.allocation_at(s)
                .is_some_and(|a| same_listener(a.local, local))
        }) {
            let old = open.remove(i);
            self.replace(old, at);
        }
        let slot = self.create_allocation(key, ch.realm, ch.user, at);
        if !open.is_empty() {
            self.collide(key, slot, &open, at);
        }
        slot
    }

    /// The row of a `refreshed` status on `local` (`seed`: of a status key, at a
    /// reconciliation pass that started at `pass_start`). `None`: the key is stale (its row
    /// was deleted while the pass ran).
    pub(super) fn slot_for_status(
        &mut self,
        key: AllocKey,
        ch: &Channel<'_>,
        local: Option<Atom>,
        at: Time,
        pass_start: Option<Time>,
    ) -> Option<u32> {
        let Some(&head) = self.index.get(&key) else {
            return Some(self.create_allocation(key, ch.realm, ch.user, at));
        };
        let (collided, head_open, head_ended_at) = match self.allocation_at(head) {
            Some(h) => (
                h.collision,
                h.is_open_phase() || h.phase == Phase::NoStatus,
                h.ended_at,
            ),
            None => return Some(self.create_allocation(key, ch.realm, ch.user, at)),
        };
        let open = if collided {
            self.open_rows(&key, head)
        } else if head_open {
            vec![head]
        } else {
            Vec::new()
        };
        let mine = open.iter().copied().find(|&s| {
            self.allocation_at(s)
                .is_some_and(|a| same_listener(a.local, local))
        });
        if let Some(slot) = mine {
            if slot != head {
                // The row with a status of its own is where the key's traffic goes from now on.
                self.index.insert(key, slot);
            }
            return Some(slot);
        }
        if open.is_empty() {
            return match pass_start {
                // A status after `deleted` (a refresh racing the delete) stays with its row.
                None => Some(head),
                // The key of a row deleted during this pass was read before its DEL.
                Some(start) if head_ended_at.is_some_and(|t| t >= start) => None,
                // A key for an allocation we never heard of (it started while we were away).
                Some(_) => Some(self.create_allocation(key, ch.realm, ch.user, at)),
            };
        }
        // An allocation we had no `new` for, on another listener than the open rows of its id.
        let slot = self.create_allocation(key, ch.realm, ch.user, at);
        self.collide(key, slot, &open, at);
        Some(slot)
    }

    /// `old` was replaced by a new allocation with its id on its listener: its coturn restarted.
    fn replace(&mut self, old: u32, at: Time) {
        let now = self.ds(at);
        let Some(a) = self.allocations[old as usize].as_mut() else {
            return;
        };
        if a.end(at, EndReason::Replaced) {
            self.cumulative.ended(EndReason::Replaced);
            a.log(now, StatusLogKind::Replaced, None);
            let endpoint = a.endpoint;
            self.gone.push_back((at, old));
            self.counters.ids_reused += 1;
            self.want_reconcile(endpoint);
            self.sync_hot(old);
        }
    }

    /// `new_slot` and the `open` rows share `key` at once: flag them all and group them.
    fn collide(&mut self, key: AllocKey, new_slot: u32, open: &[u32], at: Time) {
        let now = self.ds(at);
        let group = self.twins.entry(key).or_default();
        if group.is_empty() {
            self.counters.id_collisions += 1;
        }
        for &slot in open {
            if !group.contains(&slot) {
                group.push(slot);
            }
        }
        // The newest last: the row the index falls back to when the newest is evicted.
        group.push(new_slot);
        for &slot in open.iter().chain([&new_slot]) {
            if let Some(a) = self.allocations[slot as usize].as_mut()
                && !a.collision
            {
                a.collision = true;
                a.log(now, StatusLogKind::Collided, None);
            }
            self.sync_hot(slot);
        }
    }

    /// A `deleted` for a collided key while several of its rows are open: one of them ended.
    /// Returns false when `slot` is the only open row (an ordinary delete).
    pub(super) fn delete_ambiguous(&mut self, key: AllocKey, slot: u32, at: Time) -> bool {
        let open = self.open_rows(&key, slot);
        if open.len() < 2 {
            return false;
        }
        let now = self.ds(at);
        for s in open {
            let Some(a) = self.allocations[s as usize].as_mut() else {
                continue;
            };
            a.set_doubted(Some(at));
            a.log(now, StatusLogKind::DeleteAmbiguous, None);
            if a.phase == Phase::Live {
                a.phase = Phase::Unconfirmed;
            }
            let id = a.id;
            self.watched.push((s, id, at));
            self.sync_hot(s);
        }
        self.want_reconcile(key.0);
        true
    }

    /// A collided row had a status of its own after an ambiguous `deleted`: it was not the one
    /// deleted. If that leaves one doubted row, that one was.
    pub(super) fn resolve_doubt(&mut self, key: AllocKey, confirmed: u32, deleted_at: Time) {
        let Some(group) = self.twins.get(&key) else {
            return;
        };
        let doubted: Vec<u32> = group
            .iter()
            .copied()
            .filter(|&s| {
                s != confirmed
                    && self
                        .allocation_at(s)
                        .is_some_and(|a| a.is_open_phase() && a.doubted_at() == Some(deleted_at))
            })
            .collect();
        if let [last] = doubted[..] {
            let now = self.ds(deleted_at);
            if let Some(a) = self.allocations[last as usize].as_mut()
                && a.end(deleted_at, EndReason::Deleted)
            {
                self.cumulative.ended(EndReason::Deleted);
                a.log(now, StatusLogKind::Deleted, None);
                self.gone.push_back((deleted_at, last));
                self.sync_hot(last);
            }
        }
    }

    /// Remember a listener a status named.
    pub(super) fn note_listener(&mut self, endpoint: EndpointId, local: Option<Atom>) {
        if let Some(l) = local
            && !self.listeners.contains(&(endpoint, l))
        {
            self.listeners.push((endpoint, l));
        }
    }

    /// How many coturn listeners statuses have named (the allocations' SERVER column is worth
    /// showing when there are several, or several endpoints).
    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }

    pub(super) fn want_reconcile(&mut self, endpoint: EndpointId) {
        if !self.reconcile_wanted.contains(&endpoint) {
            self.reconcile_wanted.push(endpoint);
        }
    }

    /// Endpoints whose status keys should be reconciled now: an id reuse showed that a coturn
    /// restarted (and so deleted every status key), or a `deleted` of a shared id left its rows
    /// in doubt. The loop hands these to the sources.
    pub fn take_reconcile_requests(&mut self) -> Vec<EndpointId> {
        std::mem::take(&mut self.reconcile_wanted)
    }
}
