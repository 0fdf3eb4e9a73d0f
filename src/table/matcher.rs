//! The filter over 100k allocations in one pass. Each term is answered where its answer can be
//! shared: a user or realm term once per user (20k) instead of once per allocation (100k), a
//! transport, endpoint or state term once per distinct value; only terms about the allocation
//! itself (rates, bytes, its address or id) are evaluated per allocation. The answers are those
//! of [`Filter::matches`] on the allocation's row: the same [`Term::matches`] decides, on the
//! same fields.

use std::borrow::Cow;

use super::{Col, allocation_number, state_word};
use memchr::memmem::Finder;

use crate::filter::{
    Filter, Filterable, NumField, Term, Test, TextField, any_searches_id, needle_classes,
};
use crate::model::{Allocation, EndpointId, Hot, Model, SearchText, State, Time};

/// An allocation's fields as the filter sees them, read straight from the model: the hot
/// fields first, the allocation itself only for its address and id.
pub(crate) struct AllocationFields<'a> {
    pub model: &'a Model,
    pub slot: u32,
    pub hot: &'a Hot,
    pub state: State,
    pub now: Time,
}

impl<'a> AllocationFields<'a> {
    fn cold(&self) -> Option<&'a Allocation> {
        self.model.allocation_at(self.slot)
    }

    fn search(&self) -> Option<&'a SearchText> {
        self.model.search_text_at(self.slot)
    }

    pub fn field(&self, field: TextField) -> Option<Cow<'a, str>> {
        let model = self.model;
        match field {
            TextField::User => model.user(self.hot.user).map(|u| Cow::Borrowed(&*u.name)),
            TextField::Realm => model
                .user(self.hot.user)
                .map(|u| Cow::Borrowed(model.realm_of_user(u).name.as_deref().unwrap_or(""))),
            // Both the 18 digits and the short `thread.counter` form match. (The fast path,
            // `Planned::own_match`, searches the same texts in the inline search copy.)
            TextField::Id => {
                let a = self.cold()?;
                Some(Cow::Owned(format!("{} {}", a.id, a.id.short())))
            }
            TextField::Remote => self.cold()?.remote.as_deref().map(Cow::Borrowed),
            TextField::State => Some(Cow::Borrowed(state_word(self.state))),
            TextField::Transport => model.atom(self.hot.transport()).map(Cow::Borrowed),
            TextField::Endpoint => model
                .endpoint(EndpointId(self.hot.endpoint))
                .map(|e| Cow::Borrowed(e.label.as_str())),
            TextField::Any => None,
        }
    }
}

impl Filterable for AllocationFields<'_> {
    fn text(&self, field: TextField) -> Option<Cow<'_, str>> {
        self.field(field)
    }

    fn number(&self, field: NumField) -> Option<f64> {
        let col = match field {
            NumField::Rate => Col::Rate,
            NumField::Bytes => Col::Bytes,
            NumField::Age => Col::Age,
            NumField::Left => Col::Left,
            NumField::Live => Col::Live,
        };
        allocation_number(self.hot, || self.cold(), self.state, col, self.now)
    }
}

/// Some of an allocation's text fields: a test sees the others as absent. A name or address
/// that cannot contain the needle (its character classes say so) is not even read: absent
/// and not containing the needle are the same answer to a substring test.
struct Only<'r, 'a> {
    fields: &'r AllocationFields<'a>,
    user_and_realm: bool,
    needle_classes: u32,
}

impl Filterable for Only<'_, '_> {
    fn text(&self, field: TextField) -> Option<Cow<'_, str>> {
        let is_user_or_realm = matches!(field, TextField::User | TextField::Realm);
        if is_user_or_realm != self.user_and_realm {
            return None;
        }
        let model = self.fields.model;
        let user = || model.user(self.fields.hot.user);
        let classes = match field {
            TextField::Remote => Some(self.fields.hot.remote_chars),
            TextField::User => user().map(|u| u.name_chars),
            TextField::Realm => user().map(|u| model.realm_of_user(u).name_chars),
            _ => None,
        };
        if classes.is_some_and(|c| self.needle_classes & !c != 0) {
            return None;
        }
        self.fields.field(field)
    }

    fn number(&self, _: NumField) -> Option<f64> {
        None
    }
}

/// What a term's answer depends on.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Plan {
    /// Only the state: one answer per state.
    State,
    /// Only a value many allocations share: one answer per distinct value.
    Transport,
    Endpoint,
    User,
    /// A number of the allocation.
    Number,
    /// A substring of user, realm, address or id: the user-and-realm half is answered once per
    /// user, the rest per allocation (and only when the first half did not match).
    Any,
    /// Text of the allocation itself (address, id).
    Own,
}

impl Plan {
    fn of(test: &Test) -> Plan {
        match test {
            Test::Text(TextField::State, _) => Plan::State,
            Test::Text(TextField::Transport, _) => Plan::Transport,
            Test::Text(TextField::Endpoint, _) => Plan::Endpoint,
            Test::Text(TextField::User | TextField::Realm, _) => Plan::User,
            Test::Num(..) => Plan::Number,
            Test::Text(TextField::Any, _) => Plan::Any,
            Test::Text(TextField::Id | TextField::Remote, _) => Plan::Own,
        }
    }
}

/// Remembered answers, by the value they depend on: 0 not asked yet, 1 no, 2 yes.
#[derive(Default)]
struct Memo(Vec<u8>);

impl Memo {
    fn get_or(&mut self, index: usize, answer: impl FnOnce() -> bool) -> bool {
        if index >= self.0.len() {
            self.0.resize(index + 1, 0);
        }
        match self.0[index] {
            0 => {
                let yes = answer();
                self.0[index] = 1 + u8::from(yes);
                yes
            }
            known => known == 2,
        }
    }
}

/// A filter prepared for one pass over the allocations of one model at one instant (the
/// remembered answers are only valid for that).
pub(crate) struct AllocationMatcher<'f> {
    terms: Vec<Planned<'f>>,
}

struct Planned<'f> {
    term: &'f Term,
    plan: Plan,
    memo: Memo,
    /// Of a substring term's needle (0 for other terms).
    needle_classes: u32,
    /// For an ASCII needle of a substring term: a search in the allocations' inline,
    /// lower-cased search texts (the needle is lower-case already).
    finder: Option<Finder<'f>>,
    /// A plain substring term that also looks at ids.
    searches_id: bool,
}

impl Planned<'_> {
    /// The address-and-id half of a substring term, from the inline search text; `None` when
    /// that text is not kept (the slow path reads the allocation).
    fn own_match(&self, f: &AllocationFields<'_>) -> Option<bool> {
        let finder = self.finder.as_ref()?;
        let text = f.search()?;
        let remote = || -> Option<bool> {
            // An address (or its absence: no classes) without every class of the needle
            // cannot contain it.
            if self.needle_classes & !f.hot.remote_chars != 0 {
                return Some(false);
            }
            Some(text.remote()?.is_some_and(|r| finder.find(r).is_some()))
        };
        let id = || Some(finder.find(text.id()?).is_some());
        match &self.term.test {
            Test::Text(TextField::Remote, _) => remote(),
            Test::Text(TextField::Id, _) => id(),
            Test::Text(TextField::Any, _) => Some(remote()? || (self.searches_id && id()?)),
            _ => None,
        }
    }
}

impl<'f> AllocationMatcher<'f> {
    pub fn new(filter: &'f Filter, model: &Model) -> Self {
        let mut terms: Vec<Planned<'_>> = filter
            .terms
            .iter()
            .map(|term| {
                let plan = Plan::of(&term.test);
                let memo = match plan {
                    Plan::User | Plan::Any => Memo(vec![0; model.user_slots()]),
                    _ => Memo::default(),
                };
                let (needle_classes, finder, searches_id) = match &term.test {
                    Test::Text(field, needle) => (
                        needle_classes(needle),
                        (matches!(field, TextField::Any | TextField::Remote | TextField::Id)
                            && needle.is_ascii())
                        .then(|| Finder::new(needle.as_bytes())),
                        *field == TextField::Any && any_searches_id(needle),
                    ),
                    Test::Num(..) => (0, None, false),
                };
                Planned {
                    term,
                    plan,
                    memo,
                    needle_classes,
                    finder,
                    searches_id,
                }
            })
            .collect();
        // Every term must match, so any order gives the same answer: cheapest first.
        terms.sort_by_key(|p| p.plan);
        AllocationMatcher { terms }
    }

    pub fn matches(&mut self, f: &AllocationFields<'_>) -> bool {
        let user = f.hot.user as usize;
        self.terms.iter_mut().all(|p| {
            let term = p.term;
            let own = || Only {
                fields: f,
                user_and_realm: false,
                needle_classes: p.needle_classes,
            };
            match p.plan {
                Plan::State => p.memo.get_or(f.state as usize, || term.matches(f)),
                Plan::Transport => p
                    .memo
                    .get_or(f.hot.transport().map_or(0, |t| t.index()), || {
                        term.matches(f)
                    }),
                Plan::Endpoint => p
                    .memo
                    .get_or(usize::from(f.hot.endpoint), || term.matches(f)),
                Plan::User => p.memo.get_or(user, || term.matches(f)),
                Plan::Number => term.matches(f),
                Plan::Own => match p.own_match(f) {
                    Some(found) => found != term.negate,
                    None => term.matches(&own()),
                },
                Plan::Any => {
                    let by_name = p.memo.get_or(user, || {
                        term.test.matches(&Only {
                            fields: f,
                            user_and_realm: true,
                            needle_classes: p.needle_classes,
                        })
                    });
                    let found =
                        by_name || p.own_match(f).unwrap_or_else(|| term.test.matches(&own()));
                    found != term.negate
                }
            }
        })
    }
}
