//! Users and realms: found or created by name when an event names them, removed with their
//! last allocation.

use super::slots::insert_slot;
use super::{Model, RateRing, StrMap};
use crate::sanitize::{display_name, filter_name};

#[derive(Clone, Debug)]
pub struct User {
    pub(super) realm: u32,
    /// Raw name as published (map key); `display` is what may reach a terminal.
    pub name: Box<str>,
    pub display: Box<str>,
    /// [`crate::filter::char_classes`] of `name`: lets a filter rule a user out unread.
    pub name_chars: u32,
    /// Allocation slots (live, ended and traffic-only) that belong to this user.
    pub(super) allocations: Vec<u32>,
}

#[derive(Clone, Debug)]
pub struct Realm {
    /// `None` for realm-less servers.
    pub name: Option<Box<str>>,
    pub display: Box<str>,
    /// [`crate::filter::char_classes`] of `name` (0 without one).
    pub name_chars: u32,
    pub(super) users: StrMap<u32>,
    /// Its allocation slots' count (live, ended and traffic-only).
    pub(super) allocations: u32,
    /// Client and peer rates of all its allocations, per second: made once it has
    /// [`REALM_RING_MIN`] allocations (28 KB). A smaller realm's history is the sum of its
    /// allocations' own (a few reports each), so a realm costs a few hundred bytes, not 28 KB:
    /// REST deployments put each tenant in its own realm.
    pub history: Option<Box<[RateRing; 2]>>,
}

/// Allocations from which a realm keeps its own history ring.
pub const REALM_RING_MIN: u32 = 8;

impl Model {
    pub(super) fn realm_slot(&mut self, realm: Option<&str>) -> u32 {
        let existing = match realm {
            Some(r) => self.realm_index.get(r).copied(),
            None => self.realmless,
        };
        if let Some(s) = existing {
            return s;
        }
        let value = Realm {
            name: realm.map(Into::into),
            display: display_name(realm).into(),
            name_chars: crate::filter::char_classes(filter_name(realm)),
            users: StrMap::default(),
            allocations: 0,
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

    pub(super) fn user_slot(&mut self, realm: Option<&str>, user: &str) -> u32 {
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
            display: display_name(Some(user)).into(),
            name_chars: crate::filter::char_classes(filter_name(Some(user))),
            allocations: Vec::new(),
        };
        let slot = insert_slot(&mut self.users, &mut self.free_users, value);
        if let Some(r) = self.realms[realm_slot as usize].as_mut() {
            r.users.insert(user.into(), slot);
        }
        slot
    }

    /// A new allocation slot of `realm_slot`: from [`REALM_RING_MIN`] on, the realm keeps its
    /// own history ring, filled from its allocations' reports so far.
    pub(super) fn realm_gained_allocation(&mut self, realm_slot: u32) {
        let Some(realm) = self
            .realms
            .get_mut(realm_slot as usize)
            .and_then(Option::as_mut)
        else {
            return;
        };
        realm.allocations += 1;
        if realm.allocations < REALM_RING_MIN || realm.history.is_some() {
            return;
        }
        let mut rings: Box<[RateRing; 2]> = Box::default();
        for &user in realm.users.values() {
            let Some(u) = self.users.get(user as usize).and_then(Option::as_ref) else {
                continue;
            };
            for &slot in &u.allocations {
                let Some(a) = self.allocations.get(slot as usize).and_then(Option::as_ref) else {
                    continue;
                };
                for (i, leg) in [&a.client, &a.peer].into_iter().enumerate() {
                    for r in leg.series.reports().filter(|r| r.span_ms > 0) {
                        let end = self.base.unwrap_or(0.0) + f64::from(r.end) / 10.0;
                        rings[i].add(end, r.span_secs(), r.bytes());
                    }
                }
            }
        }
        realm.history = Some(rings);
    }

    pub(super) fn realm_lost_allocation(&mut self, realm_slot: u32) {
        if let Some(realm) = self
            .realms
            .get_mut(realm_slot as usize)
            .and_then(Option::as_mut)
        {
            realm.allocations = realm.allocations.saturating_sub(1);
        }
    }

    pub(super) fn remove_user(&mut self, slot: u32) {
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
}
