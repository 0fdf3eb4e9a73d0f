//! The order an allocations table was last put in, kept so that a redraw with nothing new (the
//! once-a-second countdown of an idle server) does not pass over every allocation again: the
//! rows on screen and their cells are still built from the model at the frame's time; only
//! their order, the row count and the header totals come from the last full pass. The loop
//! says when that is allowed ([`crate::app::App::reuse_order`]: no event, key or resize since,
//! and the pass is at most a few seconds old).

use super::order::TableRows;
use super::{Scope, Sort, TableKind};
use crate::model::Model;
use crate::model::Time;
use crate::model::view::Totals;

#[derive(Clone, Debug, Default)]
pub struct OrderCache {
    made_for: Option<(TableKind, Scope, String, Sort)>,
    entries: Vec<(u64, u32)>,
    descending: bool,
    totals: Option<Totals>,
}

impl OrderCache {
    /// The rows of the last full pass, if it was for this table, scope, filter and sort (and
    /// was of allocations: the other tables are small enough to redo).
    pub fn rows<'a>(
        &self,
        kind: TableKind,
        scope: Scope,
        filter: &str,
        sort: Sort,
        model: &'a Model,
        now: Time,
    ) -> Option<TableRows<'a>> {
        let (k, s, f, o) = self.made_for.as_ref()?;
        if (*k, *s, f.as_str(), *o) != (kind, scope, filter, sort) {
            return None;
        }
        Some(TableRows::allocations_from(
            model,
            now,
            self.entries.clone(),
            self.descending,
            self.totals.clone(),
        ))
    }

    /// Keep the order of a full pass (only allocations' is kept).
    pub fn store(
        &mut self,
        kind: TableKind,
        scope: Scope,
        filter: &str,
        sort: Sort,
        rows: &TableRows<'_>,
    ) {
        match rows.allocation_entries() {
            Some((entries, descending)) => {
                self.made_for = Some((kind, scope, filter.to_owned(), sort));
                self.entries.clear();
                self.entries.extend_from_slice(entries);
                self.descending = descending;
                self.totals = rows.totals.clone();
            }
            None => *self = OrderCache::default(),
        }
    }
}
