//! The rows of a table, scoped, filtered and in order.
//!
//! A frame shows 50 of perhaps 100k allocations, so it never puts them all in order: one pass
//! gives each row a 64-bit sort key, and only the rows on screen are put in order
//! (`select_nth_unstable`, then a sort of that window); the selected row's place is found by
//! counting the rows before it. The headless output sorts everything with the same keys, so both
//! show the same order.
//!
//! The order: by the column's value, ties by slab (or build) order; a reversed sort is a full
//! reversal, except that rows without a value ("no report yet") stay last: "no data" is not zero.
//! Text compares without case, REMOTE as addresses (IPv4 before IPv6, then port) and USER with
//! TURN REST names (`<expiry>:<name>`) by name, then expiry; the text of an allocation column
//! (user, realm, transport...) is shared by many allocations, so it is ranked once per distinct
//! value, not once per allocation.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;

use super::matcher::{AllocationFields, AllocationMatcher};
use super::{
    Col, Ctx, FilterView, Row, RowKey, Scope, Sort, TableKind, aggregate_number,
    allocation_in_scope, allocation_number, allocation_text, sorts_as_text, user_text,
};
use crate::filter::Filter;
use crate::model::view::{Aggregate, SlotSet, Totals, TotalsBuilder};
use crate::model::{Allocation, Hot, Model, State, Time};

/// The rows of one table at one instant.
pub struct TableRows<'a> {
    source: Source<'a>,
    /// (sort key, tie) per row. The tie is unique, so no two entries are equal and any partial
    /// ordering of them agrees with the full one.
    entries: Vec<(u64, u32)>,
    descending: bool,
    /// Header totals, when the pass that built the table could compute them on the way.
    pub totals: Option<Totals>,
}

enum Source<'a> {
    /// Allocations are not materialized: an entry's index is a slab slot, and a row is built
    /// when it is drawn.
    Allocations { model: &'a Model, now: Time },
    /// Users (20k) are not materialized either: an entry's index is a user slot, and its row
    /// is built from its aggregate when it is drawn.
    Users {
        model: &'a Model,
        aggs: Vec<Option<Aggregate>>,
    },
    /// Realms are few and built whole: an entry's index is a position in this list.
    Built(Vec<Row<'a>>),
}

/// The key of a number: no value sorts last in both directions.
fn number_key(x: Option<f64>, descending: bool) -> u64 {
    let Some(x) = x else { return u64::MAX };
    // The IEEE bits, made to compare as unsigned integers in `f64::total_cmp` order.
    let bits = x.to_bits();
    let ordered = if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    };
    let key = if descending { !ordered } else { ordered };
    key.min(u64::MAX - 1)
}

/// The key of a text's rank (equal texts share a rank): no text sorts last.
fn rank_key(rank: Option<u32>, descending: bool) -> u64 {
    match rank {
        None => u64::MAX,
        Some(r) if descending => u64::from(u32::MAX - r),
        Some(r) => u64::from(r),
    }
}

/// Ties go by slab (or build) order, reversed with the sort.
fn tie(index: u32, descending: bool) -> u32 {
    if descending { u32::MAX - index } else { index }
}

fn cmp_text_ci(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        let lower = |s: &str| {
            s.chars()
                .flat_map(char::to_lowercase)
                .collect::<Vec<char>>()
        };
        lower(a).cmp(&lower(b))
    }
}

/// A text column's value as it sorts: REMOTE as an address (IPv4 before IPv6, then by port;
/// text that is no address after them), USER with TURN REST names (`<expiry>:<name>`) by name
/// then expiry, everything else as text without case.
#[derive(Clone, Copy)]
enum SortText<'s> {
    Address((u8, u128, u16)),
    Text {
        name: &'s str,
        expiry: Option<u64>,
        whole: &'s str,
    },
}

impl<'s> SortText<'s> {
    fn of(col: Col, text: &'s str) -> Self {
        if col == Col::Remote
            && let Some(key) = crate::addr::order_key(text)
        {
            return SortText::Address(key);
        }
        let (name, expiry) = match text.split_once(':') {
            Some((expiry, name)) if col == Col::User && is_digits(expiry) => {
                (name, expiry.parse().ok())
            }
            _ => (text, None),
        };
        SortText::Text {
            name,
            expiry,
            whole: text,
        }
    }

    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (SortText::Address(a), SortText::Address(b)) => a.cmp(b),
            (SortText::Address(_), SortText::Text { .. }) => Ordering::Less,
            (SortText::Text { .. }, SortText::Address(_)) => Ordering::Greater,
            (
                SortText::Text {
                    name: a,
                    expiry: ae,
                    whole: aw,
                },
                SortText::Text {
                    name: b,
                    expiry: be,
                    whole: bw,
                },
            ) => cmp_text_ci(a, b)
                .then(ae.cmp(be))
                .then_with(|| cmp_text_ci(aw, bw)),
        }
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The rank of each text in the order of its column ([`SortText`]); texts that compare equal
/// share a rank.
fn text_ranks<'s>(col: Col, texts: impl Iterator<Item = Option<Cow<'s, str>>>) -> Vec<Option<u32>> {
    let texts: Vec<Option<Cow<'s, str>>> = texts.collect();
    let mut order: Vec<(usize, SortText<'_>)> = texts
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.as_deref().map(|t| (i, SortText::of(col, t))))
        .collect();
    order.sort_by(|a, b| a.1.cmp(&b.1));
    let mut ranks = vec![None; texts.len()];
    let mut rank = 0u32;
    let mut previous: Option<SortText<'_>> = None;
    for (i, text) in order {
        if previous.is_some_and(|p| p.cmp(&text) != Ordering::Equal) {
            rank += 1;
        }
        ranks[i] = Some(rank);
        previous = Some(text);
    }
    ranks
}

/// Text sort keys, in two steps: during the pass a row's key is its text group (rows that
/// necessarily show the same text share one) and each group keeps one row to read the text
/// from; after the pass the groups are ranked by text and the keys become the ranks.
#[derive(Default)]
struct TextGroups {
    row_of: Vec<Option<u32>>,
}

impl TextGroups {
    fn key(&mut self, group: usize, row: u32) -> u64 {
        if group >= self.row_of.len() {
            self.row_of.resize(group + 1, None);
        }
        self.row_of[group].get_or_insert(row);
        group as u64
    }

    fn rank<'s>(
        self,
        entries: &mut [(u64, u32)],
        col: Col,
        descending: bool,
        text_of: impl Fn(u32) -> Option<Cow<'s, str>>,
    ) {
        let ranks = text_ranks(col, self.row_of.iter().map(|row| text_of((*row)?)));
        for e in entries {
            e.0 = rank_key(ranks.get(e.0 as usize).copied().flatten(), descending);
        }
    }
}

/// The text an allocation sorts by in a text column: what its cell shows, except that an
/// allocation without an address has no value (it sorts last), not the `?` it shows.
fn sort_text<'a>(
    model: &'a Model,
    a: &'a Allocation,
    state: State,
    col: Col,
) -> Option<Cow<'a, str>> {
    match col {
        Col::Remote => a.remote.as_deref().map(Cow::Borrowed),
        _ => allocation_text(model, a, state, col),
    }
}

/// Allocations that necessarily show the same text in `col` (same user, same transport...):
/// their text is ranked once.
fn text_group(model: &Model, h: &Hot, slot: u32, state: State, col: Col) -> usize {
    match col {
        Col::User => h.user as usize,
        Col::Realm => model
            .user(h.user)
            .map_or(0, |u| model.user_realm_slot(u) as usize),
        // The server: endpoint and listener (an atom index, at most 4096).
        Col::Endpoint => usize::from(h.endpoint) * 4097 + usize::from(h.local_index()),
        Col::Type => h.transport().map_or(0, |t| t.index()),
        Col::State => state as usize,
        _ => slot as usize,
    }
}

impl<'a> TableRows<'a> {
    /// Allocation rows in an order kept from an earlier pass (`order_cache`).
    pub(super) fn allocations_from(
        model: &'a Model,
        now: Time,
        entries: Vec<(u64, u32)>,
        descending: bool,
        totals: Option<Totals>,
    ) -> Self {
        TableRows {
            source: Source::Allocations { model, now },
            entries,
            descending,
            totals,
        }
    }

    /// The order of allocation rows, to keep (`order_cache`); `None` for other tables.
    pub(super) fn allocation_entries(&self) -> Option<(&[(u64, u32)], bool)> {
        match self.source {
            Source::Allocations { .. } => Some((&self.entries, self.descending)),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn row(&self, tie_value: u32) -> Option<Row<'a>> {
        let index = tie(tie_value, self.descending);
        match &self.source {
            Source::Allocations { model, now } => {
                let a = model.allocation_at(index)?;
                model.allocation_row(a, *now).map(Row::Allocation)
            }
            Source::Users { model, aggs } => {
                let agg = aggs.get(index as usize)?.clone()?;
                model.user_row(index, agg).map(Row::User)
            }
            Source::Built(rows) => rows.get(index as usize).cloned(),
        }
    }

    /// Where a row is in the order, found by its identity.
    pub fn position(&self, key: RowKey) -> Option<usize> {
        let index = match (&self.source, key) {
            (Source::Allocations { model, .. }, RowKey::Allocation { slot, id }) => {
                model.allocation_at(slot).filter(|a| a.id.0 == id)?;
                slot
            }
            (Source::Users { aggs, .. }, RowKey::User(slot)) => {
                aggs.get(slot as usize)?.as_ref()?;
                slot
            }
            (Source::Built(rows), key) => rows.iter().position(|r| r.key() == key)? as u32,
            (Source::Allocations { .. } | Source::Users { .. }, _) => return None,
        };
        let wanted = tie(index, self.descending);
        let entry = *self.entries.iter().find(|e| e.1 == wanted)?;
        Some(self.entries.iter().filter(|&&e| e < entry).count())
    }

    /// The rows at `range` of the order (clamped to the rows there are), in order.
    pub fn window(&mut self, range: Range<usize>) -> Vec<Row<'a>> {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        if start < end {
            if start > 0 {
                self.entries.select_nth_unstable(start);
            }
            let rest = &mut self.entries[start..];
            let n = end - start;
            if n < rest.len() {
                rest.select_nth_unstable(n);
            }
            rest[..n].sort_unstable();
        }
        self.entries[start..end]
            .iter()
            .filter_map(|e| self.row(e.1))
            .collect()
    }

    /// Every row, in order.
    pub fn into_sorted_vec(mut self) -> Vec<Row<'a>> {
        self.entries.sort_unstable();
        self.entries.iter().filter_map(|e| self.row(e.1)).collect()
    }
}

/// The rows of a table, scoped, filtered and sorted, all of them (the headless output).
pub fn rows<'a>(
    kind: TableKind,
    scope: Scope,
    filter: &Filter,
    sort: Sort,
    ctx: &Ctx<'a>,
) -> Vec<Row<'a>> {
    sorted_rows(kind, scope, filter, sort, ctx).into_sorted_vec()
}

/// The rows of a table, scoped and filtered, ready to be put in order a window at a time.
pub fn sorted_rows<'a>(
    kind: TableKind,
    scope: Scope,
    filter: &Filter,
    sort: Sort,
    ctx: &Ctx<'a>,
) -> TableRows<'a> {
    match kind {
        TableKind::Allocations => allocation_rows(ctx.model, ctx.now, scope, filter, sort),
        TableKind::Users => user_rows(scope, filter, sort, ctx),
        TableKind::Realms => realm_rows(filter, sort, ctx),
        TableKind::Problems => problem_rows(filter, sort, ctx),
        TableKind::Servers => server_rows(filter, sort, ctx),
    }
}

/// One pass over the allocations: header totals, scope, filter and a sort key each.
fn allocation_rows<'a>(
    model: &'a Model,
    now: Time,
    scope: Scope,
    filter: &Filter,
    sort: Sort,
) -> TableRows<'a> {
    let desc = sort.descending;
    let by_text = sorts_as_text(sort.col);
    let mut matcher = (!filter.is_empty()).then(|| AllocationMatcher::new(filter, model));
    let mut totals = TotalsBuilder::new(model);
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(model.allocation_slot_count());
    let mut groups = TextGroups::default();
    for (slot, h) in model.hot_slots() {
        let Some(state) = h.state(now) else { continue };
        totals.add(h, state, now);
        if !allocation_in_scope(model, h, scope) {
            continue;
        }
        if let Some(m) = &mut matcher
            && !m.matches(&AllocationFields {
                model,
                slot,
                hot: h,
                state,
                now,
            })
        {
            continue;
        }
        let key = if by_text {
            groups.key(text_group(model, h, slot, state, sort.col), slot)
        } else {
            number_key(
                allocation_number(h, || model.allocation_at(slot), state, sort.col, now),
                desc,
            )
        };
        entries.push((key, tie(slot, desc)));
    }
    if by_text {
        groups.rank(&mut entries, sort.col, desc, |slot| {
            let a = model.allocation_at(slot)?;
            sort_text(model, a, a.state(now)?, sort.col)
        });
    }
    TableRows {
        source: Source::Allocations { model, now },
        entries,
        descending: desc,
        totals: Some(totals.finish()),
    }
}

/// One pass over the allocations for the users' aggregates; rows are built only for the filter
/// (when there is one) and for the window drawn.
fn user_rows<'a>(scope: Scope, filter: &Filter, sort: Sort, ctx: &Ctx<'a>) -> TableRows<'a> {
    let (model, now) = (ctx.model, ctx.now);
    let desc = sort.descending;
    let aggs = model.user_aggregates(now);
    // Unscoped and unfiltered, the users are every aggregate there is: the header's totals are
    // their sums, no second pass needed.
    let totals = (scope == Scope::All && filter.is_empty()).then(|| {
        let mut t = Totals::default();
        let mut realms = SlotSet::default();
        for (slot, agg) in aggs.iter().enumerate() {
            if let Some(agg) = agg
                && let Some(u) = model.user(slot as u32)
            {
                t.agg.merge(agg);
                t.users += 1;
                realms.insert(model.user_realm_slot(u));
            }
        }
        t.realms = realms.len();
        t
    });
    let by_text = sorts_as_text(sort.col);
    let mut groups = TextGroups::default();
    let mut entries: Vec<(u64, u32)> = Vec::new();
    for (slot, agg) in aggs.iter().enumerate() {
        let slot = slot as u32;
        let (Some(agg), Some(user)) = (agg, model.user(slot)) else {
            continue;
        };
        let in_scope = match scope {
            Scope::Realm(realm) => model.user_realm_slot(user) == realm,
            Scope::User(u) => slot == u,
            // A user is not a server's: drill-down never scopes users by server.
            Scope::All | Scope::Server(..) => true,
        };
        if !in_scope {
            continue;
        }
        if !filter.is_empty() {
            let Some(row) = model.user_row(slot, agg.clone()).map(Row::User) else {
                continue;
            };
            if !filter.matches(&FilterView { row: &row, ctx }) {
                continue;
            }
        }
        let key = if by_text {
            groups.key(slot as usize, slot)
        } else {
            number_key(aggregate_number(agg, None, sort.col, now), desc)
        };
        entries.push((key, tie(slot, desc)));
    }
    if by_text {
        groups.rank(&mut entries, sort.col, desc, |slot| {
            let u = model.user(slot)?;
            user_text(&u.display, &model.realm_of_user(u).display, sort.col).map(Cow::Borrowed)
        });
    }
    TableRows {
        source: Source::Users { model, aggs },
        entries,
        descending: desc,
        totals,
    }
}

/// Realms are few (a row each, built whole); drill-down never scopes them.
fn realm_rows<'a>(filter: &Filter, sort: Sort, ctx: &Ctx<'a>) -> TableRows<'a> {
    let rows: Vec<Row<'a>> = ctx
        .model
        .realm_rows(ctx.now)
        .into_iter()
        .map(Row::Realm)
        .collect();
    built_rows(rows, filter, sort, ctx)
}

/// Servers (coturn listeners) are few too.
fn server_rows<'a>(filter: &Filter, sort: Sort, ctx: &Ctx<'a>) -> TableRows<'a> {
    let rows: Vec<Row<'a>> = ctx
        .model
        .server_rows(ctx.now)
        .into_iter()
        .map(Row::Server)
        .collect();
    built_rows(rows, filter, sort, ctx)
}

/// Problems are few, and already in their order (critical first, newest first): built in
/// reverse, so that the default sort (severity, descending) breaks its ties newest first.
fn problem_rows<'a>(filter: &Filter, sort: Sort, ctx: &Ctx<'a>) -> TableRows<'a> {
    let rows: Vec<Row<'a>> = ctx
        .model
        .problems()
        .list()
        .iter()
        .rev()
        .map(Row::Problem)
        .collect();
    built_rows(rows, filter, sort, ctx)
}

/// A table of rows built whole (realms, servers): filtered and keyed for sorting; unfiltered,
/// the header's totals are their sums.
fn built_rows<'a>(
    mut rows: Vec<Row<'a>>,
    filter: &Filter,
    sort: Sort,
    ctx: &Ctx<'a>,
) -> TableRows<'a> {
    let now = ctx.now;
    // Realms: every aggregate there is. (Servers do not know users and realms: the header
    // counts them in its own pass.)
    let totals =
        (filter.is_empty() && rows.iter().all(|r| matches!(r, Row::Realm(_)))).then(|| {
            let mut t = Totals::default();
            for r in &rows {
                if let Row::Realm(g) = r {
                    t.agg.merge(&g.agg);
                    t.users += g.users;
                    t.realms += 1;
                }
            }
            t
        });
    if !filter.is_empty() {
        rows.retain(|row| filter.matches(&FilterView { row, ctx }));
    }
    let desc = sort.descending;
    let keys: Vec<u64> = if sorts_as_text(sort.col) {
        text_ranks(sort.col, rows.iter().map(|r| r.text(sort.col, ctx)))
            .into_iter()
            .map(|rank| rank_key(rank, desc))
            .collect()
    } else {
        rows.iter()
            .map(|r| number_key(r.number(sort.col, now), desc))
            .collect()
    };
    let entries = keys
        .into_iter()
        .enumerate()
        .map(|(i, key)| (key, tie(i as u32, desc)))
        .collect();
    TableRows {
        source: Source::Built(rows),
        entries,
        descending: desc,
        totals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_keys_follow_total_cmp_and_keep_no_value_last() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            3.0,
            1e300,
            f64::INFINITY,
        ];
        for w in values.windows(2) {
            assert!(number_key(Some(w[0]), false) < number_key(Some(w[1]), false));
            assert!(number_key(Some(w[0]), true) > number_key(Some(w[1]), true));
        }
        for v in values {
            assert!(number_key(Some(v), false) < number_key(None, false));
            assert!(number_key(Some(v), true) < number_key(None, true));
        }
    }

    #[test]
    fn rest_users_sort_by_name_then_expiry_and_addresses_as_addresses() {
        let rank = |col, texts: &[&'static str]| {
            text_ranks(col, texts.iter().map(|t| Some(Cow::Borrowed(*t))))
                .into_iter()
                .map(Option::unwrap)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            rank(
                Col::User,
                &[
                    "1795641736:carol",
                    "bob",
                    "1695641736:carol",
                    "carol",
                    "12:x"
                ]
            ),
            [3, 0, 2, 1, 4]
        );
        assert_eq!(
            rank(
                Col::Remote,
                &[
                    "192.0.2.102:1",
                    "192.0.2.10:2220",
                    "[::1]:1",
                    "?",
                    "10.0.0.1:5"
                ]
            ),
            [2, 1, 3, 4, 0]
        );
    }

    #[test]
    fn text_ranks_ignore_case_and_share_ranks() {
        let texts = ["bob", "Alice", "alice", "Émile", "carol"]
            .map(|t| Some(Cow::Borrowed(t)))
            .into_iter()
            .chain([None]);
        let ranks = text_ranks(Col::Realm, texts);
        assert_eq!(
            ranks,
            [Some(1), Some(0), Some(0), Some(3), Some(2), None].to_vec()
        );
    }
}
