//! The filter over 100k allocations in one pass. Each term is answered where its answer can be
//! shared: a user or realm term once per user (20k) instead of once per allocation (100k), a
//! transport, endpoint or state term once per distinct value; only terms about the allocation
//! itself (rates, bytes, its address or id) are evaluated per allocation. The answers are those
//! of [`Filter::matches`] on the allocation's row: the same [`Term::matches`] decides, on the
//! same fields.

use std::borrow::Cow;

use super::{Col, allocation_number, state_word};
use crate::filter::{Filter, Filterable, NumField, Term, Test, TextField};
use crate::model::{Allocation, Model, State, Time};

/// An allocation's fields as the filter sees them, read straight from the model.
pub(crate) struct AllocationFields<'a> {
    pub model: &'a Model,
    pub a: &'a Allocation,
    pub state: State,
    pub now: Time,
}

impl<'a> AllocationFields<'a> {
    pub fn field(&self, field: TextField) -> Option<Cow<'a, str>> {
        let (model, a) = (self.model, self.a);
        match field {
            TextField::User => Some(Cow::Borrowed(&*model.user_of(a).name)),
            TextField::Realm => Some(Cow::Borrowed(
                model.realm_of(a).name.as_deref().unwrap_or(""),
            )),
            // Both the 18 digits and the short `thread.counter` form match.
            TextField::Id => Some(Cow::Owned(format!("{} {}", a.id, a.id.short()))),
            TextField::Remote => a.remote.as_deref().map(Cow::Borrowed),
            TextField::State => Some(Cow::Borrowed(state_word(self.state))),
            TextField::Transport => model.atom(a.transport).map(Cow::Borrowed),
            TextField::Endpoint => model
                .endpoint(a.endpoint)
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
        allocation_number(self.a, self.state, col, self.now)
    }
}

/// Some of an allocation's text fields: a test sees the others as absent.
struct Only<'r, 'a> {
    fields: &'r AllocationFields<'a>,
    user_and_realm: bool,
}

impl Filterable for Only<'_, '_> {
    fn text(&self, field: TextField) -> Option<Cow<'_, str>> {
        let is_user_or_realm = matches!(field, TextField::User | TextField::Realm);
        if is_user_or_realm == self.user_and_realm {
            self.fields.field(field)
        } else {
            None
        }
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
    terms: Vec<(&'f Term, Plan, Memo)>,
}

impl<'f> AllocationMatcher<'f> {
    pub fn new(filter: &'f Filter, model: &Model) -> Self {
        let mut terms: Vec<(&Term, Plan, Memo)> = filter
            .terms
            .iter()
            .map(|t| {
                let plan = Plan::of(&t.test);
                let memo = match plan {
                    Plan::User | Plan::Any => Memo(vec![0; model.user_slots()]),
                    _ => Memo::default(),
                };
                (t, plan, memo)
            })
            .collect();
        // Every term must match, so any order gives the same answer: cheapest first.
        terms.sort_by_key(|(_, plan, _)| *plan);
        AllocationMatcher { terms }
    }

    pub fn matches(&mut self, f: &AllocationFields<'_>) -> bool {
        let user = f.model.allocation_user_slot(f.a) as usize;
        self.terms.iter_mut().all(|(term, plan, memo)| match plan {
            Plan::State => memo.get_or(f.state as usize, || term.matches(f)),
            Plan::Transport => {
                memo.get_or(f.a.transport.map_or(0, |t| t.index()), || term.matches(f))
            }
            Plan::Endpoint => memo.get_or(usize::from(f.a.endpoint.0), || term.matches(f)),
            Plan::User => memo.get_or(user, || term.matches(f)),
            Plan::Number | Plan::Own => term.matches(f),
            Plan::Any => {
                let by_name = memo.get_or(user, || {
                    term.test.matches(&Only {
                        fields: f,
                        user_and_realm: true,
                    })
                });
                let found = by_name
                    || term.test.matches(&Only {
                        fields: f,
                        user_and_realm: false,
                    });
                found != term.negate
            }
        })
    }
}
