//! Read accessors: allocations, users, realms, endpoints and atoms as the views and the UI read
//! them.

use super::{
    Allocation, Atom, Endpoint, EndpointId, Hot, Model, Phase, Realm, SearchText, Time, User,
};
use crate::coturn::AllocationId;

impl Model {
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    pub fn endpoint(&self, id: EndpointId) -> Option<&Endpoint> {
        self.endpoints.get(usize::from(id.0))
    }

    pub fn last_event(&self) -> Option<Time> {
        self.last_event
    }

    /// Every allocation (those that had a status), live or retained after its end.
    pub fn allocations(&self) -> impl Iterator<Item = &Allocation> {
        self.allocations
            .iter()
            .flatten()
            .filter(|a| a.phase != Phase::NoStatus)
    }

    /// One past the highest allocation slot: an upper bound of how many allocations there are.
    pub fn allocation_slot_count(&self) -> usize {
        self.allocations.len()
    }

    pub fn allocation_at(&self, slot: u32) -> Option<&Allocation> {
        self.allocations.get(slot as usize).and_then(Option::as_ref)
    }

    /// The hot fields of every allocation slot, free ones included (their state is `None`).
    pub fn hot_slots(&self) -> impl Iterator<Item = (u32, &Hot)> {
        self.hot.iter().enumerate().map(|(i, h)| (i as u32, h))
    }

    pub fn hot_at(&self, slot: u32) -> Option<&Hot> {
        self.hot.get(slot as usize)
    }

    pub fn search_text_at(&self, slot: u32) -> Option<&SearchText> {
        self.search.get(slot as usize)
    }

    /// Traffic-only sessions (closed before they had an allocation).
    pub fn sessions_without_allocation(&self) -> impl Iterator<Item = &Allocation> {
        self.allocations
            .iter()
            .flatten()
            .filter(|a| a.phase == Phase::NoStatus)
    }

    pub fn user_of(&self, a: &Allocation) -> &User {
        self.users[a.user as usize]
            .as_ref()
            .expect("an allocation's user lives as long as it does")
    }

    pub fn realm_of_user(&self, u: &User) -> &Realm {
        self.realms[u.realm as usize]
            .as_ref()
            .expect("a user's realm lives as long as it does")
    }

    pub fn realm_of(&self, a: &Allocation) -> &Realm {
        self.realm_of_user(self.user_of(a))
    }

    pub fn atom(&self, a: Option<Atom>) -> Option<&str> {
        a.and_then(|a| self.atoms.get(a))
    }

    pub fn users(&self) -> impl Iterator<Item = (u32, &User)> {
        self.users
            .iter()
            .enumerate()
            .filter_map(|(i, u)| u.as_ref().map(|u| (i as u32, u)))
    }

    /// One past the highest user slot: the length of a per-user table.
    pub fn user_slots(&self) -> usize {
        self.users.len()
    }

    pub fn user(&self, slot: u32) -> Option<&User> {
        self.users.get(slot as usize).and_then(Option::as_ref)
    }

    pub fn user_allocations<'a>(
        &'a self,
        u: &'a User,
    ) -> impl Iterator<Item = &'a Allocation> + 'a {
        u.allocations
            .iter()
            .filter_map(|&s| self.allocations[s as usize].as_ref())
            .filter(|a| a.phase != Phase::NoStatus)
    }

    pub fn realms(&self) -> impl Iterator<Item = (u32, &Realm)> {
        self.realms
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (i as u32, r)))
    }

    pub fn realm(&self, slot: u32) -> Option<&Realm> {
        self.realms.get(slot as usize).and_then(Option::as_ref)
    }

    pub fn realm_users<'a>(&'a self, r: &'a Realm) -> impl Iterator<Item = (u32, &'a User)> + 'a {
        r.users
            .values()
            .filter_map(|&s| self.users[s as usize].as_ref().map(|u| (s, u)))
    }

    pub fn user_realm_slot(&self, u: &User) -> u32 {
        u.realm
    }

    pub fn allocation_user_slot(&self, a: &Allocation) -> u32 {
        a.user
    }

    /// Approximate heap + inline bytes the model holds: for the memory benchmark.
    pub fn approx_bytes(&self) -> usize {
        let slots = self.allocations.capacity() * std::mem::size_of::<Option<Allocation>>()
            + self.hot.capacity() * std::mem::size_of::<Hot>()
            + self.search.capacity() * std::mem::size_of::<SearchText>();
        let heap: usize = self
            .allocations
            .iter()
            .flatten()
            .map(Allocation::heap_bytes)
            .sum();
        let index = self.index.capacity()
            * (std::mem::size_of::<((EndpointId, u64, AllocationId), u32)>() + 1);
        let users: usize = self.users.capacity() * std::mem::size_of::<Option<User>>()
            + self
                .users
                .iter()
                .flatten()
                .map(|u| u.name.len() * 2 + u.display.len() + u.allocations.capacity() * 4)
                .sum::<usize>();
        let realms: usize = self
            .realms
            .iter()
            .flatten()
            .map(|r| r.users.capacity() * (std::mem::size_of::<(Box<str>, u32)>() + 1) + 64)
            .sum();
        slots + heap + index + users + realms
    }
}
