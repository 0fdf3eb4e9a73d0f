//! Interned small strings that many allocations share.

use super::StrMap;
use crate::sanitize::sanitize;

/// A small string that many allocations share (transport, local address, TLS method, cipher).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Atom(u32);

impl Atom {
    /// A small dense number (1-based), for per-atom tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The atom of an [`Atom::index`]; `None` for 0.
    pub fn from_index(index: usize) -> Option<Atom> {
        u32::try_from(index).ok().filter(|&i| i > 0).map(Atom)
    }
}

#[derive(Default, Debug, Clone)]
pub(super) struct Atoms {
    list: Vec<Box<str>>,
    map: StrMap<u32>,
}

/// Values of these fields come from coturn's own configuration, so a few hundred distinct
/// values is already strange; past this, new values are not interned (shown as "?").
const MAX_ATOMS: usize = 4096;

impl Atoms {
    pub(super) fn intern(&mut self, s: &str) -> Option<Atom> {
        if let Some(&i) = self.map.get(s) {
            return Some(Atom(i + 1));
        }
        if self.list.len() >= MAX_ATOMS {
            return None;
        }
        let clean: Box<str> = sanitize(s).into();
        let i = self.list.len() as u32;
        self.list.push(clean);
        self.map.insert(s.into(), i);
        Some(Atom(i + 1))
    }
    pub(super) fn get(&self, a: Atom) -> Option<&str> {
        a.0.checked_sub(1)
            .and_then(|i| self.list.get(i as usize))
            .map(|s| &**s)
    }
}
