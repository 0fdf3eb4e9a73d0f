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

/// `n` in decimal, zero-padded to `width`, written into the end of `buf`.
fn decimal(mut n: u64, width: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    while n > 0 || buf.len() - start < width {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    &buf[start..]
}

pub const EMPTY: SearchText = SearchText {
    bytes: [0; CAPACITY],
    remote_len: 0,
    len: 0,
    has_remote: false,
    inline: false,
};

impl SearchText {
    /// Built on every status event, so without allocating or the formatting machinery.
    pub(super) fn of(a: &Allocation) -> SearchText {
        let remote = a.remote.as_deref();
        let remote_text = remote.unwrap_or("");
        if !remote_text.is_ascii() {
            return EMPTY;
        }
        let mut t = EMPTY;
        let mut digits = [0u8; 20];
        let mut len = 0;
        let mut push = |bytes: &[u8], t: &mut SearchText| -> Option<()> {
            let end = len + bytes.len();
            t.bytes.get_mut(len..end)?.copy_from_slice(bytes);
            len = end;
            Some(())
        };
        let fits = push(remote_text.as_bytes(), &mut t)
            .and_then(|()| push(decimal(a.id.0, 18, &mut digits), &mut t))
            .and_then(|()| push(b" ", &mut t))
            .and_then(|()| push(decimal(a.id.relay_thread(), 1, &mut digits), &mut t))
            .and_then(|()| push(b".", &mut t))
            .and_then(|()| push(decimal(a.id.counter(), 1, &mut digits), &mut t));
        if fits.is_none() {
            return EMPTY;
        }
        t.bytes[..remote_text.len()].make_ascii_lowercase();
        t.remote_len = remote_text.len() as u8;
        t.len = len as u8;
        t.has_remote = remote.is_some();
        t.inline = true;
        t
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_pads_and_fits_u64() {
        let mut buf = [0; 20];
        assert_eq!(decimal(42, 18, &mut buf), b"000000000000000042");
        assert_eq!(decimal(0, 1, &mut buf), b"0");
        assert_eq!(decimal(u64::MAX, 1, &mut buf), b"18446744073709551615");
    }
}
