//! The table screen: rows of the current kind and scope, the selection, the title, the empty
//! message and the mouse hit map.

mod cells;
mod fit;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table};

use super::Theme;
use super::sparkline::sparkline_spans;
use super::tabs::scope_label;
use crate::app::{App, Mode};
use crate::coturn::Leg;
use crate::format;
use crate::model::State;
use crate::model::view::Totals;
use crate::table::{self, Col, Ctx, Row, Scope, TableKind};
use cells::history;
pub(crate) use cells::state_cell;
pub use fit::fit_columns;

/// Screen positions the mouse handler needs (only meaningful after a table was drawn).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HitMap {
    pub header_row: u16,
    pub first_row: u16,
    pub columns: Vec<(u16, u16, Col)>,
}

pub(super) fn draw(
    f: &mut Frame,
    area: Rect,
    app: &mut App,
    ctx: &Ctx<'_>,
    kind: TableKind,
    scope: Scope,
    theme: &Theme,
) -> (HitMap, Option<Totals>) {
    let sort = app.sort(kind);
    let mut rows = table::sorted_rows(kind, scope, &app.filter, sort, ctx);
    let page = usize::from(area.height.saturating_sub(2));
    let selected_at = app.level().selected_key.and_then(|k| rows.position(k));
    let shown = app.reconcile(rows.len(), page, selected_at);
    // The rows on screen, and a page either side: what j/k/Enter typed before the next frame
    // act on.
    let around = shown.start.saturating_sub(page)..shown.end + page;
    let nearby = rows.window(around.clone());
    app.set_row_keys(around.start, nearby.iter().map(Row::key).collect());
    if let Some(label) = scope_label(ctx.model, scope) {
        app.set_label(label);
    }
    let selected = app.level().selected;

    let multi = ctx.model.endpoints().len() > 1;
    let fitted = fit_columns(app.table_columns(kind), area.width, multi);
    let header_cells: Vec<Cell> = fitted
        .iter()
        .map(|(spec, _)| {
            let marker = if spec.col == sort.col {
                if sort.descending { "▼" } else { "▲" }
            } else {
                ""
            };
            let title = format!("{}{marker}", spec.title);
            let text = if spec.right {
                Line::from(title).right_aligned()
            } else {
                Line::from(title)
            };
            Cell::from(text)
        })
        .collect();
    let window = app.history_window();
    let visible = nearby
        .into_iter()
        .enumerate()
        .map(|(i, r)| (around.start + i, r))
        .skip(shown.start - around.start)
        .take(shown.len());
    let body: Vec<TableRow> = visible
        .map(|(i, row)| {
            let row = &row;
            let state = row.state();
            let cells: Vec<Cell> = fitted
                .iter()
                .map(|(spec, width)| {
                    if let Some(leg) = spec.col.leg() {
                        let style = if leg == Leg::Client {
                            theme.client
                        } else {
                            theme.peer
                        };
                        return Cell::from(Line::from(sparkline_spans(
                            &history(ctx, row, leg, *width, window),
                            style,
                            theme.no_data,
                        )));
                    }
                    if spec.col == Col::State
                        && let Some(s) = state
                    {
                        return Cell::from(state_cell(s, theme));
                    }
                    let mut text = row.cell(spec.col, ctx);
                    if matches!(
                        spec.col,
                        Col::User | Col::Realm | Col::Remote | Col::Endpoint
                    ) {
                        if text.is_empty() && spec.col == Col::User {
                            text = "(none)".into();
                        }
                        text = format::middle_truncate(&text, usize::from(*width));
                    }
                    let mut line = Line::from(text);
                    if spec.col == Col::Bytes && row.mismatch() {
                        line = Line::from(vec![
                            Span::styled("Σ≠", theme.bad),
                            Span::raw(row.cell(spec.col, ctx)),
                        ]);
                    }
                    if spec.col == Col::Left && state == Some(State::Expired) {
                        line = line.style(theme.expired);
                    }
                    Cell::from(if spec.right {
                        line.right_aligned()
                    } else {
                        line
                    })
                })
                .collect();
            let mut style = match state {
                Some(State::Deleted) => theme.deleted,
                _ => Style::default(),
            };
            if i == selected {
                style = style.patch(theme.selected);
            }
            TableRow::new(cells).style(style)
        })
        .collect();

    let mut title = vec![
        Span::styled(format!(" {} ", kind.title()), theme.title),
        Span::raw(format!("{} ", rows.len())),
        Span::styled(
            format!(
                "sort {}{} ",
                column_title(kind, sort.col),
                if sort.descending { "▼" } else { "▲" }
            ),
            theme.dim,
        ),
    ];
    if let Mode::Filter { input } = &app.mode {
        title.push(Span::styled(format!("filter: {input}▏"), theme.accent));
    } else if !app.filter.is_empty() {
        title.push(Span::styled(
            format!("filter: {} ", app.filter.source()),
            theme.accent,
        ));
    }
    if let Some(err) = &app.filter_error {
        title.push(Span::styled(format!(" {err}"), theme.bad));
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Line::from(title))
        .border_style(theme.dim);
    let widths: Vec<Constraint> = fitted.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    let empty = rows.is_empty();
    let table = Table::new(body, widths)
        .header(TableRow::new(header_cells).style(theme.table_header))
        .block(block)
        .column_spacing(1);
    f.render_widget(table, area);
    if empty {
        let msg = if app.filter.is_empty() {
            match kind {
                TableKind::Allocations => "no allocations yet: waiting for coturn to publish",
                TableKind::Users => "no users yet",
                TableKind::Realms => "no realms yet",
            }
        } else {
            "nothing matches the filter (\\ clears it)"
        };
        let inner = Rect {
            y: area.y + 2,
            height: 1,
            ..area
        };
        f.render_widget(Paragraph::new(msg).style(theme.dim).centered(), inner);
    }
    let mut x = area.x;
    let columns = fitted
        .iter()
        .map(|(spec, w)| {
            let start = x;
            x += w + 1;
            (start, *w, spec.col)
        })
        .collect();
    let hit = HitMap {
        header_row: area.y + 1,
        first_row: area.y + 2,
        columns,
    };
    (hit, rows.totals)
}

fn column_title(kind: TableKind, col: Col) -> &'static str {
    table::columns(kind)
        .iter()
        .find(|c| c.col == col)
        .map_or("?", |c| c.title)
}
