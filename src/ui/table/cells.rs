//! One styled cell per (row, column): the table's only per-column drawing rules.

use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use crate::coturn::Leg;
use crate::format;
use crate::model::State;
use crate::table::{Col, ColumnSpec, Ctx, Row};
use crate::ui::Theme;
use crate::ui::sparkline::sparkline_spans;

/// What every cell of a frame shares.
pub(super) struct CellCx<'a, 'm> {
    pub ctx: &'a Ctx<'m>,
    pub theme: &'a Theme,
    /// The history window the sparklines span, in seconds.
    pub window: f64,
    /// What coturn's CLIs said (the PEERS column).
    pub cli: &'a crate::coturn_cli::CliView,
}

/// The cell of `row` in `column`, drawn `width` wide: a sparkline for a history column, the
/// glyph and word for a state, `Σ≠` before bytes whose total disagrees with the deltas, names
/// truncated in the middle, everything else as the table module formats it.
pub(super) fn cell(
    row: &Row<'_>,
    column: &ColumnSpec,
    width: u16,
    cx: &CellCx<'_, '_>,
) -> Cell<'static> {
    let (ctx, theme) = (cx.ctx, cx.theme);
    if let Some(leg) = column.col.leg() {
        let values = history(cx, row, leg, width);
        return Cell::from(Line::from(sparkline_spans(
            &values,
            theme.leg(leg),
            theme.no_data,
        )));
    }
    let line = match column.col {
        Col::State if let Some(state) = row.state() => return Cell::from(state_span(state, theme)),
        Col::Severity if let Row::Problem(p) = row => {
            return Cell::from(crate::ui::problems_badge::severity_span(p.severity, theme));
        }
        Col::Subject => Line::from(format::middle_truncate(
            &row.cell(column.col, ctx),
            usize::from(width),
        )),
        // The start of an explanation says what it is about: cut the end.
        Col::Detail => Line::from(cut_end(&row.cell(column.col, ctx), usize::from(width))),
        Col::User | Col::Realm | Col::Remote | Col::Endpoint => {
            let mut text = row.cell(column.col, ctx);
            if text.is_empty() && column.col == Col::User {
                text = "(none)".into();
            }
            Line::from(format::middle_truncate(&text, usize::from(width)))
        }
        Col::Bytes if row.mismatch() => Line::from(vec![
            Span::styled("Σ≠", theme.bad),
            Span::raw(row.cell(column.col, ctx)),
        ]),
        Col::Left if row.state() == Some(State::Expired) => {
            Line::from(row.cell(column.col, ctx)).style(theme.state(State::Expired))
        }
        Col::Peers => match row {
            Row::Allocation(a) => Line::from(crate::ui::coturn_cli::peers_cell(cx.cli, a.alloc)),
            _ => Line::from(""),
        },
        col => Line::from(row.cell(col, ctx)),
    };
    Cell::from(if column.right {
        line.right_aligned()
    } else {
        line
    })
}

/// `text` cut to `width` characters, `…` marking the cut.
fn cut_end(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A state as its glyph and word (`● live`): readable without colour.
pub(in crate::ui) fn state_span(state: State, theme: &Theme) -> Span<'static> {
    let text = match state {
        State::Live => "● live",
        State::Released => "◐ released",
        State::Unconfirmed => "◌ unconfirmed",
        State::Expired => "▲ expired",
        State::Deleted => "○ deleted",
    };
    Span::styled(text, theme.state(state))
}

/// A row's rate on one leg over the window, one value per character of the cell.
fn history(cx: &CellCx<'_, '_>, row: &Row<'_>, leg: Leg, width: u16) -> Vec<Option<f64>> {
    let (model, now) = (cx.ctx.model, cx.ctx.now);
    let n = usize::from(width.max(1));
    let bucket = cx.window / n as f64;
    match row {
        Row::Allocation(a) => model.allocation_history(a.alloc, leg, now, n, bucket),
        Row::User(u) => model.user_history(u.slot, leg, now, n, bucket),
        Row::Realm(r) => model.realm_history(r.slot, leg, now, n, bucket),
        Row::Server(s) => model.server_history(s.endpoint, s.local, leg, now, n, bucket),
        Row::Problem(_) => Vec::new(),
    }
}
