//! The model's invariants, checked by the tests and the fuzzer (`scripts/fuzz.sh`) after every
//! batch: nothing a publisher sends may break them.

use super::view::Aggregate;
use super::{Model, Phase, Time};
use crate::coturn::Counters;

fn counters_add(sum: &mut Counters, c: &Counters) {
    sum.add(c);
}

impl Model {
    /// Every invariant at `now`; the first one broken, in words.
    pub fn check_invariants(&self, now: Time) -> Result<(), String> {
        self.check_hot()?;
        self.check_rows()?;
        self.check_aggregates(now)
    }

    /// Each row is in one state, findable, and where its user and groups say it is.
    fn check_rows(&self) -> Result<(), String> {
        for (slot, a) in self.allocations.iter().enumerate() {
            let Some(a) = a else { continue };
            let slot = slot as u32;
            if a.slot != slot {
                return Err(format!("slot {slot} holds a row that says {}", a.slot));
            }
            let ended = a.phase == Phase::Deleted;
            if ended != a.ended_at.is_some() || ended != a.end_reason.is_some() {
                return Err(format!(
                    "slot {slot}: phase {:?} with ended_at {:?} and end {:?}",
                    a.phase, a.ended_at, a.end_reason
                ));
            }
            if ended && (a.key_missing_at().is_some() || a.doubted_at().is_some()) {
                return Err(format!("slot {slot}: ended, yet still watched"));
            }
            if a.phase == Phase::Unconfirmed
                && a.key_missing_at().is_none()
                && a.doubted_at().is_none()
            {
                return Err(format!("slot {slot}: unconfirmed for no reason"));
            }
            let Some(user) = self.user(a.user) else {
                return Err(format!("slot {slot}: its user {} is gone", a.user));
            };
            if !user.allocations.contains(&slot) {
                return Err(format!("slot {slot}: not among its user's allocations"));
            }
            if user.realm != a.realm || self.realm(a.realm).is_none() {
                return Err(format!("slot {slot}: realm {} is not its user's", a.realm));
            }
            let key = (a.endpoint, a.name_hash, a.id);
            let Some(&head) = self.index.get(&key) else {
                return Err(format!("slot {slot}: its key has no row"));
            };
            if self
                .allocation_at(head)
                .is_none_or(|h| (h.endpoint, h.name_hash, h.id) != key)
            {
                return Err(format!("slot {slot}: its key leads to another key's row"));
            }
        }
        for (key, &slot) in &self.index {
            if self
                .allocation_at(slot)
                .is_none_or(|a| (a.endpoint, a.name_hash, a.id) != *key)
            {
                return Err(format!("the index leads {key:?} to slot {slot}"));
            }
        }
        for (key, group) in &self.twins {
            for &slot in group {
                match self.allocation_at(slot) {
                    Some(a) if a.collision && (a.endpoint, a.name_hash, a.id) == *key => {}
                    _ => return Err(format!("shared key {key:?}: slot {slot} is not its row")),
                }
            }
        }
        for (slot, u) in self.users() {
            for &a in &u.allocations {
                if self.allocation_at(a).is_none_or(|a| a.user != slot) {
                    return Err(format!("user {slot} lists slot {a}, not one of its rows"));
                }
            }
            if self
                .realm(u.realm)
                .is_none_or(|r| r.users.get(&u.name) != Some(&slot))
            {
                return Err(format!("user {slot} is not in its realm's map"));
            }
        }
        Ok(())
    }

    /// Users, realms, servers and the header's totals are the sums of their allocations.
    fn check_aggregates(&self, now: Time) -> Result<(), String> {
        let mut direct = Aggregate::default();
        let mut client = Counters::default();
        for a in self.allocations() {
            let (Some(state), Some(h)) = (a.state(now), self.hot_at(a.slot)) else {
                continue;
            };
            direct.add(h, state, now);
            counters_add(&mut client, &a.client.sum);
        }
        let counts = |g: &Aggregate| (g.live, g.unconfirmed, g.expired, g.ended, g.client, g.peer);
        let totals = self.totals(now).agg;
        if counts(&totals) != counts(&direct) || direct.client != client {
            return Err(format!(
                "totals {totals:?} but the rows add up to {direct:?}"
            ));
        }
        let mut users = Aggregate::default();
        for u in self.user_rows(now) {
            users.merge(&u.agg);
        }
        let mut realms = Aggregate::default();
        for r in self.realm_rows(now) {
            realms.merge(&r.agg);
        }
        let mut servers = Aggregate::default();
        for s in self.server_rows(now) {
            servers.merge(&s.agg);
        }
        for (what, agg) in [("users", users), ("realms", realms), ("servers", servers)] {
            if counts(&agg) != counts(&direct) {
                return Err(format!("{what} add up to {agg:?}, the rows to {direct:?}"));
            }
        }
        Ok(())
    }
}
