//! The filter over 100k allocations in one pass. Each term is answered where its answer can be
//! shared: a user or realm term once per user (20k) instead of once per allocation (100k), a
//! transport, endpoint or state term once per distinct value; only terms about the allocation
//! itself (rates, bytes, its address or id) are evaluated per allocation. The answers are those
//! of [`Filter::matches`] on the allocation's row: the same [`Term::matches`] decides, on the
//! same fields.

use std::borrow::Cow;

use super::{Col, allocation_number, state_word};
use memchr::memmem::Finder;

use crate::filter::{Filter, Filterable, Needle, Term, Test, any_searches_id, needle_classes};
use crate::model::{Allocation, EndpointId, Hot, Model, SearchText, State, Time};
use crate::sanitize::filter_name;

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

    pub fn field(&self, col: Col) -> Option<Cow<'a, str>> {
        let model = self.model;
        match col {
            Col::User => model
                .user(self.hot.user)
                .map(|u| Cow::Borrowed(filter_name(Some(&u.name)))),
            Col::Realm => model
                .user(self.hot.user)
                .map(|u| Cow::Borrowed(filter_name(model.realm_of_user(u).name.as_deref()))),
            // Both the 18 digits and the short `thread.counter` form match. (The fast path,
            // `Planned::own_match`, searches the same texts in the inline search copy.)
            Col::Id => {
                let a = self.cold()?;
                Some(Cow::Owned(format!("{} {}", a.id, a.id.short())))
            }
            Col::Remote => self.cold()?.remote.as_deref().map(Cow::Borrowed),
            Col::State => Some(Cow::Borrowed(state_word(self.state))),
            Col::Type => model.atom(self.hot.transport()).map(Cow::Borrowed),
            Col::Endpoint => model
                .endpoint(EndpointId(self.hot.endpoint))
                .map(|e| Cow::Borrowed(e.label.as_str())),
            _ => None,
        }
    }
}

impl Filterable for AllocationFields<'_> {
    fn text(&self, col: Col) -> Option<Cow<'_, str>> {
        self.field(col)
    }

    fn number(&self, col: Col) -> Option<f64> {
        allocation_number(self.hot, || self.cold(), self.state, col, self.now)
    }
}

/// Some of an allocation's text fields: a test sees the others as absent. A name or address
/// that cannot contain any needle (its character classes say so) is not even read: absent and
/// not containing the needle are the same answer to a substring test.
struct Only<'r, 'a> {
    fields: &'r AllocationFields<'a>,
    user_and_realm: bool,
    /// Of the term's text needles.
    needle_classes: &'r [u32],
    /// The term has an address range: addresses must be read whatever their classes.
    has_net: bool,
}

impl Filterable for Only<'_, '_> {
    fn text(&self, col: Col) -> Option<Cow<'_, str>> {
        let is_user_or_realm = matches!(col, Col::User | Col::Realm);
        if is_user_or_realm != self.user_and_realm {
            return None;
        }
        let model = self.fields.model;
        let user = || model.user(self.fields.hot.user);
        let classes = match col {
            Col::Remote if self.has_net => None,
            Col::Remote => Some(self.fields.hot.remote_chars),
            Col::User => user().map(|u| u.name_chars),
            Col::Realm => user().map(|u| model.realm_of_user(u).name_chars),
            _ => None,
        };
        if classes.is_some_and(|c| self.needle_classes.iter().all(|n| n & !c != 0)) {
            return None;
        }
        self.fields.field(col)
    }

    fn number(&self, _: Col) -> Option<f64> {
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
            Test::Text(Col::State, _) => Plan::State,
            Test::Text(Col::Type, _) => Plan::Transport,
            Test::Text(Col::Endpoint, _) => Plan::Endpoint,
            Test::Text(Col::User | Col::Realm, _) => Plan::User,
            Test::Num(..) => Plan::Number,
            Test::Any(_) => Plan::Any,
            // Address and id; a column allocations lack (never true) costs no more here.
            Test::Text(..) => Plan::Own,
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

/// A needle of an address-or-id term, ready for the inline search texts. (A few per filter,
/// made once a frame: their size does not matter, an indirection per search would.)
#[allow(clippy::large_enum_variant)]
enum Fast<'f> {
    /// An ASCII substring (already lower-case, as the search texts are).
    Text {
        finder: Finder<'f>,
        classes: u32,
        /// Of a plain term: it also looks at ids.
        searches_id: bool,
    },
    Net(crate::addr::Net),
}

struct Planned<'f> {
    term: &'f Term,
    plan: Plan,
    memo: Memo,
    /// Of the term's text needles.
    needle_classes: Vec<u32>,
    has_net: bool,
    /// For an address or id term whose needles are all ASCII or ranges: a search in the
    /// allocations' inline search texts.
    fast: Option<Vec<Fast<'f>>>,
}

impl Planned<'_> {
    /// The address-and-id half of a term, from the inline search text; `None` when that text
    /// is not kept (the slow path reads the allocation).
    fn own_match(&self, f: &AllocationFields<'_>) -> Option<bool> {
        let fast = self.fast.as_ref()?;
        let (on_remote, on_id) = match &self.term.test {
            Test::Text(Col::Remote, _) => (true, false),
            Test::Text(Col::Id, _) => (false, true),
            Test::Any(_) => (true, true),
            _ => return None,
        };
        // Only a reference: the text itself is read below, and only when a needle can be in
        // it (most substring needles are ruled out of most addresses by their classes alone,
        // and not reading 100k search texts is most of what that saves).
        let text = f.search()?;
        for n in fast {
            let found = match n {
                Fast::Text {
                    finder,
                    classes,
                    searches_id,
                } => {
                    // An address (or its absence: no classes) without every class of the
                    // needle cannot contain it.
                    (on_remote
                        && classes & !f.hot.remote_chars == 0
                        && text.remote()?.is_some_and(|r| finder.find(r).is_some()))
                        || (on_id && *searches_id && finder.find(text.id()?).is_some())
                }
                Fast::Net(net) => {
                    on_remote && text.remote()?.is_some_and(|r| net.contains_bytes(r))
                }
            };
            if found {
                return Some(true);
            }
        }
        Some(false)
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
                let (needles, own) = match &term.test {
                    Test::Any(n) => (&n[..], true),
                    Test::Text(col, n) => (&n[..], matches!(col, Col::Remote | Col::Id)),
                    Test::Num(..) => (&[][..], false),
                };
                let text_classes: Vec<u32> = needles
                    .iter()
                    .filter_map(|n| match n {
                        Needle::Text(t) => Some(needle_classes(t)),
                        Needle::Net(_) => None,
                    })
                    .collect();
                let has_net = needles.iter().any(|n| matches!(n, Needle::Net(_)));
                let fast = own
                    .then(|| {
                        needles
                            .iter()
                            .map(|n| match n {
                                Needle::Text(t) if t.is_ascii() => Some(Fast::Text {
                                    finder: Finder::new(t.as_bytes()),
                                    classes: needle_classes(t),
                                    searches_id: !matches!(term.test, Test::Any(_))
                                        || any_searches_id(t),
                                }),
                                Needle::Text(_) => None,
                                Needle::Net(net) => Some(Fast::Net(*net)),
                            })
                            .collect::<Option<Vec<_>>>()
                    })
                    .flatten();
                Planned {
                    term,
                    plan,
                    memo,
                    needle_classes: text_classes,
                    has_net,
                    fast,
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
            let only = |user_and_realm| Only {
                fields: f,
                user_and_realm,
                needle_classes: &p.needle_classes,
                has_net: p.has_net,
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
                    None => term.matches(&only(false)),
                },
                Plan::Any => {
                    let by_name = p.memo.get_or(user, || term.test.matches(&only(true)));
                    let found = by_name
                        || p.own_match(f)
                            .unwrap_or_else(|| term.test.matches(&only(false)));
                    found != term.negate
                }
            }
        })
    }
}
