//! What a substring filter searches in an allocation besides its user and realm: its address
//! and its id (both forms), as text, inline in one array beside the slab.
//!
//! Why: a filter like `10.0.3` (an address prefix, as an operator types it) must look at every
//! allocation's address and id. Read from the allocations, that is 100k scattered visits to
//! ~420-byte structs plus a heap string each, and formatting 100k ids: 30 ms a frame. Read from
//! here it is one stream of 80-byte records. Like [`super::Hot`], this is a copy the model
//! rewrites whenever the allocation's status changes, checked by [`super::Model::check_hot`].

use super::Allocation;

const CAPACITY: usize = 77;

/// One allocation slot's search text: the address lower-cased, then `{id:018} {short id}`
/// (the text the filter's `id` field is). Empty when the slot is free, or when the text does not
/// fit or the address is not ASCII: the filter then reads the allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SearchText {
    bytes: [u8; CAPACITY],
    remote_len: u8,
    len: u8,
    has_remote: bool,
    inline: bool,
}

impl std::fmt::Debug for SearchText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchText")
            .field("remote", &self.remote())
            .field("id", &self.id())
            .finish()
    }
}

pub const EMPTY: SearchText = SearchText {
    bytes: [0; CAPACITY],
    remote_len: 0,
    len: 0,
    has_remote: false,
    inline: false,
};

impl SearchText {
    pub(super) fn of(a: &Allocation) -> SearchText {
        let remote = a.remote.as_deref();
        if remote.is_some_and(|r| !r.is_ascii()) {
            return EMPTY;
        }
        let remote = remote.unwrap_or("").to_ascii_lowercase();
        let text = format!("{remote}{} {}", a.id, a.id.short());
        if text.len() > CAPACITY {
            return EMPTY;
        }
        let mut bytes = [0; CAPACITY];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        SearchText {
            bytes,
            remote_len: remote.len() as u8,
            len: text.len() as u8,
            has_remote: a.remote.is_some(),
            inline: true,
        }
    }

    fn part(&self, from: u8, to: u8) -> Option<&[u8]> {
        if !self.inline {
            return None;
        }
        self.bytes.get(usize::from(from)..usize::from(to))
    }

    /// The address, lower-cased ASCII (`Some(None)`: it has none); `None`: not kept here.
    pub fn remote(&self) -> Option<Option<&[u8]>> {
        let text = self.part(0, self.remote_len)?;
        Some(self.has_remote.then_some(text))
    }

    /// `{id:018} {short id}`, ASCII; `None`: not kept here.
    pub fn id(&self) -> Option<&[u8]> {
        self.part(self.remote_len, self.len)
    }
}
