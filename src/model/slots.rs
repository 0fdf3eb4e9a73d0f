//! Allocation slots: found or created for an event, kept in step with their hot and search
//! copies, and freed when retention runs out (eviction).

use super::{AllocKey, Allocation, Hot, Model, Phase, SearchText, Time, hot, search};

impl Model {
    /// The row an event of `key` goes to when it says nothing of its listener (traffic,
    /// totals, `deleted`): the key's newest row, created if there is none.
    pub(super) fn find_or_create(
        &mut self,
        key: AllocKey,
        realm: Option<&str>,
        user_name: &str,
        at: Time,
    ) -> u32 {
        match self.index.get(&key) {
            Some(&slot) => slot,
            None => self.create_allocation(key, realm, user_name, at),
        }
    }

    /// A new row for `key`, which becomes the key's newest.
    pub(super) fn create_allocation(
        &mut self,
        key: AllocKey,
        realm: Option<&str>,
        user_name: &str,
        at: Time,
    ) -> u32 {
        let (endpoint, name_hash, id) = key;
        let user = self.user_slot(realm, user_name);
        let mut allocation = Allocation::new(endpoint, id, user, at);
        allocation.name_hash = name_hash;
        allocation.realm = self.users[user as usize].as_ref().map_or(0, |u| u.realm);
        self.realm_gained_allocation(allocation.realm);
        let slot = insert_slot(
            &mut self.allocations,
            &mut self.free_allocations,
            allocation,
        );
        if let Some(a) = self.allocations[slot as usize].as_mut() {
            a.slot = slot;
        }
        self.sync_hot(slot);
        self.sync_search(slot);
        self.index.insert(key, slot);
        if let Some(u) = self.users[user as usize].as_mut() {
            u.allocations.push(slot);
        }
        slot
    }

    /// Copy an allocation slot's hot fields after a change (a free slot gets the empty entry).
    pub(super) fn sync_hot(&mut self, slot: u32) {
        let hot = self.allocation_at(slot).map_or(hot::EMPTY, Hot::of);
        self.grow_copies(slot);
        self.hot[slot as usize] = hot;
    }

    /// Rewrite a slot's search text: when the slot is taken or freed, or its address changes
    /// (the id never does).
    pub(super) fn sync_search(&mut self, slot: u32) {
        let search = self
            .allocation_at(slot)
            .map_or(search::EMPTY, SearchText::of);
        self.grow_copies(slot);
        self.search[slot as usize] = search;
    }

    /// Make room in both copies for `slot` (they always have the same length).
    fn grow_copies(&mut self, slot: u32) {
        let len = slot as usize + 1;
        if len > self.hot.len() {
            self.hot.resize(len, hot::EMPTY);
            self.search.resize(len, search::EMPTY);
        }
    }

    /// Whether every hot entry is the copy of its allocation: for tests.
    pub fn check_hot(&self) -> Result<(), String> {
        if self.hot.len() < self.allocations.len() || self.search.len() != self.hot.len() {
            return Err(format!(
                "{} hot entries and {} search texts for {} slots",
                self.hot.len(),
                self.search.len(),
                self.allocations.len()
            ));
        }
        for (i, (h, s)) in self.hot.iter().zip(&self.search).enumerate() {
            let a = self.allocation_at(i as u32);
            let want = a.map_or(hot::EMPTY, Hot::of);
            if !h.same_as(&want) {
                return Err(format!("slot {i}: hot {h:?}, allocation says {want:?}"));
            }
            let want = a.map_or(search::EMPTY, SearchText::of);
            if *s != want {
                return Err(format!("slot {i}: search {s:?}, allocation says {want:?}"));
            }
        }
        Ok(())
    }

    /// Evict what has been gone for longer than the retention: ended allocations, sessions that
    /// never got a status, then users and realms with nothing left. Also moves the rows whose
    /// status key went missing on (see `seed`). Call it once a second (or `tick`, which also
    /// finds the problems).
    pub fn evict(&mut self, now: Time) {
        self.check_watched(now);
        let retention = self.config.retention;
        while let Some(&(queued, slot)) = self.gone.front() {
            if now - queued <= retention {
                break;
            }
            self.gone.pop_front();
            let Some(a) = self.allocations.get(slot as usize).and_then(Option::as_ref) else {
                continue;
            };
            // The queue entry may be stale: the slot was reused, or the session kept talking.
            let gone_since = match a.phase {
                Phase::Deleted => a.ended_at,
                Phase::NoStatus => Some(a.last_event),
                Phase::Live | Phase::Released | Phase::Unconfirmed => None,
            };
            match gone_since {
                Some(t) if now - t > retention => self.remove_allocation(slot),
                Some(t) if t > queued => self.gone.push_back((t, slot)),
                _ => {}
            }
        }
    }

    fn remove_allocation(&mut self, slot: u32) {
        let Some(a) = self.allocations[slot as usize].take() else {
            return;
        };
        self.sync_hot(slot);
        self.sync_search(slot);
        self.free_allocations.push(slot);
        let key = (a.endpoint, a.name_hash, a.id);
        let mut newest_twin = None;
        if a.collision
            && let Some(group) = self.twins.get_mut(&key)
        {
            group.retain(|&s| s != slot);
            newest_twin = group.last().copied();
            if group.len() < 2 {
                // Nothing shares the key any more (the survivor keeps its flag: it did).
                self.twins.remove(&key);
            }
        }
        if self.index.get(&key) == Some(&slot) {
            match newest_twin {
                Some(twin) => self.index.insert(key, twin),
                None => self.index.remove(&key),
            };
        }
        let realm = self.realm(a.realm).and_then(|r| r.name.clone());
        self.keep_evicted_traffic(&a, realm);
        self.realm_lost_allocation(a.realm);
        let Some(user) = self.users[a.user as usize].as_mut() else {
            return;
        };
        if let Some(pos) = user.allocations.iter().position(|&s| s == slot) {
            user.allocations.swap_remove(pos);
        }
        if user.allocations.is_empty() {
            self.remove_user(a.user);
        }
    }
}

// Inlined as it was when its callers shared its module (it is three lines, on the path that
// creates allocations, users and realms).
#[inline]
pub(super) fn insert_slot<T>(slots: &mut Vec<Option<T>>, free: &mut Vec<u32>, value: T) -> u32 {
    if let Some(slot) = free.pop() {
        slots[slot as usize] = Some(value);
        slot
    } else {
        slots.push(Some(value));
        (slots.len() - 1) as u32
    }
}
