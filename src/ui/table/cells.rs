//! One table cell: sparklines, state glyphs, text.

use ratatui::text::Span;

use crate::coturn::Leg;
use crate::model::State;
use crate::table::{Ctx, Row};
use crate::ui::Theme;

pub(super) fn history(
    ctx: &Ctx<'_>,
    row: &Row<'_>,
    leg: Leg,
    width: u16,
    window: f64,
) -> Vec<Option<f64>> {
    let n = usize::from(width.max(1));
    let bucket = window / n as f64;
    match row {
        Row::Allocation(a) => ctx
            .model
            .allocation_history(a.alloc, leg, ctx.now, n, bucket),
        Row::User(u) => ctx.model.user_history(u.slot, leg, ctx.now, n, bucket),
        Row::Realm(r) => ctx.model.realm_history(r.slot, leg, ctx.now, n, bucket),
    }
}

pub(crate) fn state_cell<'a>(state: State, theme: &Theme) -> Span<'a> {
    match state {
        State::Live => Span::styled("● live", theme.live),
        State::Released => Span::styled("◐ released", theme.released),
        State::Expired => Span::styled("▲ expired", theme.expired),
        State::Deleted => Span::styled("○ deleted", theme.deleted),
    }
}
