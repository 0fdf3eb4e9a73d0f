//! What each table shows: columns, cells, sort keys and filter fields of allocation, user,
//! realm and server rows (pure). The TUI and the headless `--once` table/CSV both use this, so they show
//! exactly the same rows and columns.

use std::borrow::Cow;

use crate::column;
pub use crate::column::Col;
use crate::coturn::Leg;
use crate::filter::Filterable;
use crate::format::{self, RateUnits};
use crate::model::view::{Aggregate, AllocationRow, RealmRow, ServerRow, UserRow};
use crate::model::{
    Allocation, EndpointId, Hot, Model, Problem, ProblemKind, State, Subject, Time,
};
use crate::sanitize::filter_name;

mod matcher;
mod order;
mod order_cache;
mod problems;
mod raw;
mod servers;

use matcher::AllocationFields;
pub use order::{TableRows, rows, sorted_rows};
pub use order_cache::OrderCache;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    Allocations,
    Users,
    Realms,
    Problems,
    Servers,
}

impl TableKind {
    pub const COUNT: usize = 5;
    /// In the order of their keys (1 to 5) and of Tab.
    pub const ALL: [TableKind; TableKind::COUNT] = [
        TableKind::Allocations,
        TableKind::Users,
        TableKind::Realms,
        TableKind::Problems,
        TableKind::Servers,
    ];
    pub fn title(self) -> &'static str {
        match self {
            TableKind::Allocations => "Allocations",
            TableKind::Users => "Users",
            TableKind::Realms => "Realms",
            TableKind::Problems => "Problems",
            TableKind::Servers => "Servers",
        }
    }
    pub fn index(self) -> usize {
        self as usize
    }
    /// `allocations`, `users`, `realms`, `problems` or `servers`, as `--view` and the config file spell it.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Allocations => "allocations",
            TableKind::Users => "users",
            TableKind::Realms => "realms",
            TableKind::Problems => "problems",
            TableKind::Servers => "servers",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct ColumnSpec {
    pub col: Col,
    pub title: &'static str,
    /// Preferred width; text columns may get more, sparklines take what is left.
    pub width: u16,
    /// 0 is never dropped; higher numbers are dropped first on narrow terminals.
    pub priority: u8,
    pub right: bool,
}

pub(crate) const fn c(
    col: Col,
    title: &'static str,
    width: u16,
    priority: u8,
    right: bool,
) -> ColumnSpec {
    ColumnSpec {
        col,
        title,
        width,
        priority,
        right,
    }
}

const ALLOCATION_COLUMNS: &[ColumnSpec] = &[
    // At 120 columns: the client's address, age and volume (what an operator asks first) stay;
    // the per-direction rates, the sparklines and LAST go first. At 80 the names, id, type,
    // lifetime, state and rate; at 60 the user, id, lifetime, state and rate.
    c(Col::User, "USER", 16, 0, false),
    c(Col::Realm, "REALM", 12, 5, false),
    c(Col::Id, "ID", 8, 3, false),
    c(Col::Endpoint, "SERVER", 14, 3, false),
    c(Col::Type, "TYPE", 7, 4, false),
    c(Col::Remote, "REMOTE", 21, 5, false),
    c(Col::Age, "AGE", 6, 5, true),
    c(Col::Left, "LEFT", 7, 2, true),
    // Wide enough for "◌ unconfirmed".
    c(Col::State, "STATE", 13, 0, false),
    c(Col::Rate, "RATE", 9, 1, true),
    c(Col::ClientRx, "CLI RX", 9, 8, true),
    c(Col::ClientTx, "CLI TX", 9, 8, true),
    c(Col::PeerRx, "PEER RX", 9, 8, true),
    c(Col::PeerTx, "PEER TX", 9, 8, true),
    c(Col::Bytes, "BYTES", 8, 5, true),
    c(Col::ClientHistory, "CLIENT", 12, 6, false),
    c(Col::PeerHistory, "PEER", 12, 7, false),
    c(Col::LastReport, "LAST", 6, 7, true),
    // From coturn's CLI: shown only while one is up (`App::table_columns`).
    c(Col::Peers, "PEERS", 5, 6, true),
];

const USER_COLUMNS: &[ColumnSpec] = &[
    c(Col::User, "USER", 18, 0, false),
    c(Col::Realm, "REALM", 14, 3, false),
    c(Col::Live, "LIVE", 5, 0, true),
    c(Col::Expired, "EXP", 4, 4, true),
    c(Col::Ended, "ENDED", 5, 5, true),
    c(Col::Rate, "RATE", 9, 0, true),
    c(Col::ClientRx, "CLI RX", 9, 1, true),
    c(Col::ClientTx, "CLI TX", 9, 1, true),
    c(Col::PeerRx, "PEER RX", 9, 2, true),
    c(Col::PeerTx, "PEER TX", 9, 2, true),
    c(Col::Bytes, "BYTES", 8, 3, true),
    c(Col::ClientHistory, "CLIENT", 12, 2, false),
    c(Col::PeerHistory, "PEER", 12, 4, false),
    c(Col::LastReport, "LAST", 6, 4, true),
];

const REALM_COLUMNS: &[ColumnSpec] = &[
    c(Col::Realm, "REALM", 20, 0, false),
    c(Col::Users, "USERS", 6, 1, true),
    c(Col::Live, "LIVE", 5, 0, true),
    c(Col::Expired, "EXP", 4, 4, true),
    c(Col::Ended, "ENDED", 5, 5, true),
    c(Col::Rate, "RATE", 9, 0, true),
    c(Col::ClientRx, "CLI RX", 9, 1, true),
    c(Col::ClientTx, "CLI TX", 9, 1, true),
    c(Col::PeerRx, "PEER RX", 9, 2, true),
    c(Col::PeerTx, "PEER TX", 9, 2, true),
    c(Col::Bytes, "BYTES", 8, 3, true),
    c(Col::ClientHistory, "CLIENT", 12, 2, false),
    c(Col::PeerHistory, "PEER", 12, 4, false),
    c(Col::LastReport, "LAST", 6, 4, true),
];

pub fn columns(kind: TableKind) -> &'static [ColumnSpec] {
    match kind {
        TableKind::Allocations => ALLOCATION_COLUMNS,
        TableKind::Users => USER_COLUMNS,
        TableKind::Realms => REALM_COLUMNS,
        TableKind::Problems => problems::PROBLEM_COLUMNS,
        TableKind::Servers => servers::SERVER_COLUMNS,
    }
}

/// Whether a view has a column.
pub fn has_column(kind: TableKind, col: Col) -> bool {
    columns(kind).iter().any(|c| c.col == col)
}

/// The column of a view a name means (see [`crate::column`] for the names), or an error that
/// lists the view's columns.
pub fn view_column(kind: TableKind, name: &str) -> Result<Col, String> {
    match Col::parse(name) {
        Some(col) if has_column(kind, col) => Ok(col),
        _ => Err(format!(
            "the {} view has no column '{}'; its columns: {}",
            kind.name(),
            name.trim(),
            column::names(columns(kind).iter().map(|c| c.col))
        )),
    }
}

impl Col {
    pub fn is_history(self) -> bool {
        matches!(self, Col::ClientHistory | Col::PeerHistory)
    }
    pub fn leg(self) -> Option<Leg> {
        match self {
            Col::ClientHistory => Some(Leg::Client),
            Col::PeerHistory => Some(Leg::Peer),
            _ => None,
        }
    }
    /// Text columns sort ascending first; numbers (rates, bytes) descending: the biggest first.
    pub fn default_descending(self) -> bool {
        !matches!(
            self,
            Col::User
                | Col::Realm
                | Col::Id
                | Col::Endpoint
                | Col::Type
                | Col::Remote
                | Col::State
                | Col::Left
                | Col::Problem
                | Col::Subject
                | Col::Detail
        )
    }
}

/// Which rows a table shows (drill-down narrows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    All,
    Realm(u32),
    User(u32),
    /// The allocations of one coturn listener: endpoint, and local atom index (0: none).
    Server(EndpointId, u16),
}

/// A stable identity for keeping the selection on the same thing when rows move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowKey {
    /// Slab slot and id: the id guards against a slot reused after eviction.
    Allocation {
        slot: u32,
        id: u64,
    },
    User(u32),
    Realm(u32),
    /// Endpoint and local atom index.
    Server(u16, u16),
    /// A problem: its kind and what it is about.
    Problem(ProblemKind, Subject),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sort {
    pub col: Col,
    pub descending: bool,
}

/// What a cell needs besides its row.
pub struct Ctx<'a> {
    pub model: &'a Model,
    pub now: Time,
    pub units: RateUnits,
}

/// One row of any table.
#[derive(Clone, Debug)]
pub enum Row<'a> {
    Allocation(AllocationRow<'a>),
    User(UserRow<'a>),
    Realm(RealmRow<'a>),
    Server(ServerRow),
    Problem(&'a Problem),
}

/// A number of an allocation from its hot fields: what sorting 100k allocations needs without
/// building their rows. `Row::number` uses it for allocation rows, so both agree. `cold` gives
/// the allocation itself, read only for the columns the hot fields lack (age, id).
pub fn allocation_number<'a>(
    h: &Hot,
    cold: impl FnOnce() -> Option<&'a Allocation>,
    state: State,
    col: Col,
    now: Time,
) -> Option<f64> {
    // An ended allocation moves nothing: it has no current rate.
    let rate = |leg: Leg| {
        if state.is_open() {
            h.rate(leg, now)
        } else {
            None
        }
    };
    match col {
        Col::ClientRx => rate(Leg::Client).map(|r| r.rx),
        Col::ClientTx => rate(Leg::Client).map(|r| r.tx),
        Col::PeerRx => rate(Leg::Peer).map(|r| r.rx),
        Col::PeerTx => rate(Leg::Peer).map(|r| r.tx),
        Col::ClientHistory => rate(Leg::Client).map(|r| r.total()),
        Col::PeerHistory => rate(Leg::Peer).map(|r| r.total()),
        Col::Rate => sum_rates(
            rate(Leg::Client).map(|r| r.total()),
            rate(Leg::Peer).map(|r| r.total()),
        ),
        Col::Bytes => Some(
            h.leg_sum(Leg::Client)
                .bytes()
                .saturating_add(h.leg_sum(Leg::Peer).bytes()) as f64,
        ),
        Col::LastReport => h.last_report().map(|t| (now - t).max(0.0)),
        Col::Age => cold()?.age(now),
        Col::Left => h.lifetime_left(now),
        Col::Id => Some(cold()?.id.0 as f64),
        _ => None,
    }
}

/// A number of a user or realm row, from its aggregate (`realm_users`: a realm's user count):
/// what sorting 20k users needs without building their rows. `Row::number` uses it for user and
/// realm rows, so both agree.
pub fn aggregate_number(
    agg: &Aggregate,
    realm_users: Option<u32>,
    col: Col,
    now: Time,
) -> Option<f64> {
    let (c, p) = (agg.rate(Leg::Client), agg.rate(Leg::Peer));
    Some(match col {
        Col::ClientRx => c?.rx,
        Col::ClientTx => c?.tx,
        Col::PeerRx => p?.rx,
        Col::PeerTx => p?.tx,
        Col::ClientHistory => c?.total(),
        Col::PeerHistory => p?.total(),
        Col::Rate => sum_rates(c.map(|r| r.total()), p.map(|r| r.total()))?,
        Col::Bytes => agg.client.bytes().saturating_add(agg.peer.bytes()) as f64,
        Col::LastReport => (now - agg.last_report?).max(0.0),
        Col::Live => f64::from(agg.live),
        Col::Unconfirmed => f64::from(agg.unconfirmed),
        Col::Expired => f64::from(agg.expired),
        Col::Ended => f64::from(agg.ended),
        Col::Users => f64::from(realm_users?),
        _ => return None,
    })
}

/// Columns that sort as text (the rest sort as numbers, ids included: 0.2 before 0.10).
pub fn sorts_as_text(col: Col) -> bool {
    matches!(
        col,
        Col::User
            | Col::Realm
            | Col::Endpoint
            | Col::Type
            | Col::Remote
            | Col::State
            | Col::Problem
            | Col::Subject
            | Col::Detail
    )
}

/// Whether an allocation belongs to a drill-down scope.
fn allocation_in_scope(model: &Model, h: &Hot, scope: Scope) -> bool {
    match scope {
        Scope::All => true,
        Scope::User(u) => h.user == u,
        Scope::Realm(realm) => model
            .user(h.user)
            .is_some_and(|u| model.user_realm_slot(u) == realm),
        Scope::Server(endpoint, local) => h.endpoint == endpoint.0 && h.local_index() == local,
    }
}

fn state_word(s: State) -> &'static str {
    s.as_str()
}

fn sum_rates(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

impl<'a> Row<'a> {
    pub fn key(&self) -> RowKey {
        match self {
            Row::Allocation(r) => RowKey::Allocation {
                slot: r.alloc.slot,
                id: r.alloc.id.0,
            },
            Row::User(u) => RowKey::User(u.slot),
            Row::Realm(r) => RowKey::Realm(r.slot),
            Row::Server(s) => RowKey::Server(s.endpoint.0, local_index(s)),
            Row::Problem(p) => RowKey::Problem(p.kind, p.subject),
        }
    }

    fn agg(&self) -> Option<&Aggregate> {
        match self {
            Row::Allocation(_) | Row::Problem(_) => None,
            Row::User(u) => Some(&u.agg),
            Row::Realm(r) => Some(&r.agg),
            Row::Server(s) => Some(&s.agg),
        }
    }

    /// Rates of one direction of one leg, bytes/s.
    pub fn rate(&self, col: Col) -> Option<f64> {
        let pick = |r: crate::model::Rate| match col {
            Col::ClientRx | Col::PeerRx => r.rx,
            _ => r.tx,
        };
        match self {
            Row::Allocation(a) => {
                let leg = if matches!(col, Col::ClientRx | Col::ClientTx) {
                    a.client_rate
                } else {
                    a.peer_rate
                };
                leg.map(pick)
            }
            Row::User(_) | Row::Realm(_) | Row::Server(_) | Row::Problem(_) => {
                let agg = self.agg()?;
                let leg = if matches!(col, Col::ClientRx | Col::ClientTx) {
                    agg.rate(Leg::Client)
                } else {
                    agg.rate(Leg::Peer)
                };
                leg.map(pick)
            }
        }
    }

    pub fn total_rate(&self) -> Option<f64> {
        let client = sum_rates(self.rate(Col::ClientRx), self.rate(Col::ClientTx));
        let peer = sum_rates(self.rate(Col::PeerRx), self.rate(Col::PeerTx));
        sum_rates(client, peer)
    }

    pub fn total_bytes(&self) -> u64 {
        match self {
            Row::Allocation(a) => a
                .alloc
                .client
                .sum
                .bytes()
                .saturating_add(a.alloc.peer.sum.bytes()),
            _ => self
                .agg()
                .map_or(0, |g| g.client.bytes().saturating_add(g.peer.bytes())),
        }
    }

    pub fn last_report_age(&self, now: Time) -> Option<f64> {
        match self {
            Row::Allocation(a) => a.last_report_age,
            _ => self.agg()?.last_report.map(|t| (now - t).max(0.0)),
        }
    }

    pub fn state(&self) -> Option<State> {
        match self {
            Row::Allocation(a) => Some(a.state),
            _ => None,
        }
    }

    /// The number for numeric sorting (and the filter), if the column is numeric.
    pub fn number(&self, col: Col, now: Time) -> Option<f64> {
        match (self, col) {
            (Row::Allocation(a), _) => {
                allocation_number(a.hot, || Some(a.alloc), a.state, col, now)
            }
            (Row::User(u), _) => aggregate_number(&u.agg, None, col, now),
            (Row::Realm(r), _) => aggregate_number(&r.agg, Some(r.users), col, now),
            (Row::Server(s), Col::Collided) => Some(f64::from(s.collided)),
            (Row::Server(s), _) => aggregate_number(&s.agg, None, col, now),
            (Row::Problem(p), _) => problems::problem_number(p, col, now),
        }
    }

    /// The text for text sorting (and display of text columns).
    pub fn text(&self, col: Col, ctx: &Ctx<'a>) -> Option<Cow<'a, str>> {
        Some(match (self, col) {
            (Row::Allocation(a), _) => return allocation_text(ctx.model, a.alloc, a.state, col),
            (Row::User(u), _) => {
                return user_text(u.user_display, u.realm_display, col).map(Cow::Borrowed);
            }
            (Row::Realm(r), Col::Realm) => Cow::Borrowed(r.realm_display),
            (Row::Server(s), Col::Endpoint) => {
                Cow::Owned(ctx.model.server_label(s.endpoint, s.local))
            }
            (Row::Problem(p), _) => Cow::Owned(problems::problem_text(p, col)?),
            _ => return None,
        })
    }

    /// What a cell shows (history columns are drawn by the UI, not as text).
    pub fn cell(&self, col: Col, ctx: &Ctx<'_>) -> String {
        if let Some(t) = self.text(col, ctx) {
            return t.into_owned();
        }
        let now = ctx.now;
        match col {
            Col::ClientRx | Col::ClientTx | Col::PeerRx | Col::PeerTx => {
                format::opt_rate(self.rate(col), ctx.units)
            }
            Col::Rate => format::opt_rate(self.total_rate(), ctx.units),
            Col::Bytes => format::bytes(self.total_bytes()),
            Col::LastReport => self
                .last_report_age(now)
                .map_or_else(|| "-".into(), format::duration),
            Col::Age => match self {
                // A seeded row started before we looked: its age is unknown, not zero.
                // An ended one shows its lifetime, which no longer grows.
                Row::Allocation(a) => a
                    .alloc
                    .age(now)
                    .map_or_else(|| "?".into(), format::duration),
                // A problem's age: since it started.
                Row::Problem(p) => format::duration((now - p.since).max(0.0)),
                _ => String::new(),
            },
            Col::Left => match self {
                Row::Allocation(a) => match a.state {
                    State::Live => match a.alloc.lifetime_left(now) {
                        Some(left) if a.alloc.expiry_is_upper_bound => {
                            format!("≤{}", format::countdown(left))
                        }
                        Some(left) => format::countdown(left),
                        None => "?".into(),
                    },
                    State::Unconfirmed => match a.alloc.lifetime_left(now) {
                        Some(left) => format!("?{}", format::countdown(left)),
                        None => "?".into(),
                    },
                    State::Expired => "expired".into(),
                    State::Released => "0:00".into(),
                    State::Deleted => String::new(),
                },
                _ => String::new(),
            },

            Col::Live
            | Col::Expired
            | Col::Ended
            | Col::Users
            | Col::Unconfirmed
            | Col::Collided => self
                .number(col, now)
                .map_or_else(String::new, |n| format!("{n:.0}")),
            _ => String::new(),
        }
    }

    /// `Σ≠` when coturn's total disagrees with the deltas seen (messages were lost).
    pub fn mismatch(&self) -> bool {
        matches!(self, Row::Allocation(a) if a.alloc.totals_mismatch())
    }
}

/// The text of an allocation's text column, straight from the model (no row needed): what its
/// cell shows and what sorting by that column compares.
pub fn allocation_text<'a>(
    model: &'a Model,
    a: &'a Allocation,
    state: State,
    col: Col,
) -> Option<Cow<'a, str>> {
    Some(match col {
        Col::User => Cow::Borrowed(&*model.user_of(a).display),
        Col::Realm => Cow::Borrowed(&*model.realm_of(a).display),
        // ⚠: another coturn on the same Redis used this id at the same time.
        Col::Id if a.collision => Cow::Owned(format!("{}⚠", a.id.short())),
        Col::Id => Cow::Owned(a.id.short()),
        Col::Endpoint => Cow::Owned(model.server_label(a.endpoint, a.local)),
        Col::Type => Cow::Borrowed(model.atom(a.transport).unwrap_or("?")),
        Col::Remote => Cow::Borrowed(a.remote.as_deref().unwrap_or("?")),
        Col::State => Cow::Borrowed(state_word(state)),
        _ => return None,
    })
}

fn local_index(s: &ServerRow) -> u16 {
    s.local.map_or(0, |l| u16::try_from(l.index()).unwrap_or(0))
}

/// The text of a user row's text column: its name or its realm's.
pub fn user_text<'a>(user_display: &'a str, realm_display: &'a str, col: Col) -> Option<&'a str> {
    match col {
        Col::User => Some(user_display),
        Col::Realm => Some(realm_display),
        _ => None,
    }
}

/// A row as the filter sees it.
pub(crate) struct FilterView<'r, 'a> {
    pub row: &'r Row<'a>,
    pub ctx: &'r Ctx<'a>,
}

impl Filterable for FilterView<'_, '_> {
    fn text(&self, col: Col) -> Option<Cow<'_, str>> {
        match (self.row, col) {
            (Row::Allocation(a), _) => AllocationFields {
                model: self.ctx.model,
                slot: a.alloc.slot,
                hot: a.hot,
                state: a.state,
                now: self.ctx.now,
            }
            .field(col),
            (Row::User(u), Col::User) => Some(filter_name(Some(u.user)).into()),
            (Row::User(u), Col::Realm) => Some(filter_name(u.realm).into()),
            (Row::Realm(r), Col::Realm) => Some(filter_name(r.realm).into()),
            (Row::Server(s), Col::Endpoint) => {
                Some(self.ctx.model.server_label(s.endpoint, s.local).into())
            }
            (Row::Problem(p), _) => problems::problem_text(p, col).map(Cow::Owned),
            _ => None,
        }
    }

    fn number(&self, col: Col) -> Option<f64> {
        self.row.number(col, self.ctx.now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The screen's titles are the vocabulary's: a column's name is its title.
    #[test]
    fn every_title_is_its_columns_title() {
        for kind in TableKind::ALL {
            for spec in columns(kind) {
                assert_eq!(spec.title, spec.col.title(), "{kind:?}");
                assert_eq!(view_column(kind, spec.title), Ok(spec.col));
            }
        }
    }
}
