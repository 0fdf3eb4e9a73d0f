//! The table screen: the rows of the current kind and scope, the selection kept on its row, the
//! title, the empty message and the mouse hit map. What a cell shows is in `cells`, which
//! columns fit in `fit`; a new kind of table needs neither to change.

mod cells;
mod empty;
mod fit;

use std::borrow::Cow;
use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table};

use super::Theme;
use crate::app::{App, Mode};
use crate::model::State;
use crate::model::view::Totals;
use crate::table::{self, Col, ColumnSpec, Ctx, Row, Scope, Sort, TableKind, TableRows};
pub(super) use cells::state_span;
use cells::{CellCx, cell};
pub use fit::fit_columns;

/// Screen positions the mouse handler needs (only meaningful after a table was drawn).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HitMap {
    pub header_row: u16,
    pub first_row: u16,
    pub columns: Vec<(u16, u16, Col)>,
}

/// Draws the table; returns where its parts are, and the totals if its pass over the
/// allocations yielded them (the header needs them).
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
    let filter = app.filter.source().to_owned();
    let kept = app.reuse_order.then(|| {
        app.order_cache
            .rows(kind, scope, &filter, sort, ctx.model, ctx.now)
    });
    let mut rows = match kept.flatten() {
        Some(rows) => rows,
        None => {
            let rows = table::sorted_rows(kind, scope, &app.filter, sort, ctx);
            app.order_cache.store(kind, scope, &filter, sort, &rows);
            rows
        }
    };
    let page = usize::from(area.height.saturating_sub(2));
    let (first, visible) = rows_on_screen(app, &mut rows, page);
    let selected = app.level().selected;

    // Which server an allocation is on matters when there are several (endpoints or listeners).
    let multi = ctx.model.endpoints().len() > 1 || ctx.model.listener_count() > 1;
    // The width the text of each cut-in-the-middle column on screen needs.
    let wants = |col: Col| {
        visible
            .iter()
            .map(|r| unicode_width::UnicodeWidthStr::width(r.cell(col, ctx).as_str()) as u16)
            .max()
            .unwrap_or(0)
    };
    let fitted = fit_columns(
        app.table_columns(kind),
        area.width,
        multi,
        Some(sort.col),
        &wants,
    );
    let cx = CellCx {
        ctx,
        theme,
        window: app.history_window(),
        cli: &app.cli,
    };
    let body: Vec<TableRow> = visible
        .iter()
        .enumerate()
        .map(|(i, row)| body_row(row, first + i == selected, &fitted, &cx))
        .collect();
    let block = Block::default()
        .borders(Borders::TOP)
        .title(title_line(app, kind, rows.len(), selected, sort, theme))
        .border_style(theme.dim);
    let widths: Vec<Constraint> = fitted.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    let table = Table::new(body, widths)
        .header(header_row(&fitted, sort).style(theme.table_header))
        .block(block)
        .column_spacing(1);
    f.render_widget(table, area);
    if rows.is_empty() {
        let filtered = !app.filter.is_empty() || app.filter_note(kind).is_some();
        let lines: Vec<Line> = if filtered {
            vec![Line::from(empty_message(kind, true, app.filter_note(kind)))]
        } else {
            // No data at all: say why (the connection) and what to check.
            empty::no_data_lines(ctx.model, kind)
                .into_iter()
                .enumerate()
                .map(|(i, l)| match i {
                    0 => Line::styled(l, theme.warn),
                    _ => Line::styled(l, theme.dim),
                })
                .collect()
        };
        let body = Rect {
            x: area.x + 1,
            y: area.y + 2,
            width: area.width.saturating_sub(2),
            height: area.height.saturating_sub(2),
        };
        f.render_widget(
            Paragraph::new(lines)
                .centered()
                .wrap(ratatui::widgets::Wrap { trim: true }),
            body,
        );
    }
    (hit_map(area, &fitted), rows.totals)
}

/// Keeps the selection on its row and scrolls (`App::reconcile`), hands the app the identities
/// of the rows on screen and a page either side (what j/k/Enter typed before the next frame act
/// on), and returns the index of the first row on screen and the rows on screen.
fn rows_on_screen<'a>(
    app: &mut App,
    rows: &mut TableRows<'a>,
    page: usize,
) -> (usize, Vec<Row<'a>>) {
    let selected_at = app.level().selected_key.and_then(|k| rows.position(k));
    let shown = app.reconcile(rows.len(), page, selected_at);
    let around: Range<usize> = shown.start.saturating_sub(page)..shown.end + page;
    let mut nearby = rows.window(around.clone());
    app.set_row_keys(around.start, nearby.iter().map(Row::key).collect());
    let skip = (shown.start - around.start).min(nearby.len());
    let mut visible = nearby.split_off(skip);
    visible.truncate(shown.len());
    (shown.start, visible)
}

/// The column titles; the sort column carries ▼ or ▲.
fn header_row(fitted: &[(ColumnSpec, u16)], sort: Sort) -> TableRow<'static> {
    let cells = fitted.iter().map(|(spec, _)| {
        let marker = if spec.col == sort.col {
            sort_arrow(sort)
        } else {
            ""
        };
        let title = Line::from(format!("{}{marker}", spec.title));
        Cell::from(if spec.right {
            title.right_aligned()
        } else {
            title
        })
    });
    TableRow::new(cells)
}

fn body_row(
    row: &Row<'_>,
    selected: bool,
    fitted: &[(ColumnSpec, u16)],
    cx: &CellCx<'_, '_>,
) -> TableRow<'static> {
    let cells: Vec<Cell> = fitted
        .iter()
        .map(|(spec, width)| cell(row, spec, *width, cx))
        .collect();
    let mut style = match row.state() {
        Some(State::Deleted) => cx.theme.state(State::Deleted),
        _ => Style::default(),
    };
    if selected {
        style = style.patch(cx.theme.selected);
    }
    TableRow::new(cells).style(style)
}

fn sort_arrow(sort: Sort) -> &'static str {
    if sort.descending { "▼" } else { "▲" }
}

/// The table's name, row count, sort, and the filter (being typed, or applied, or refused).
fn title_line(
    app: &App,
    kind: TableKind,
    count: usize,
    selected: usize,
    sort: Sort,
    theme: &Theme,
) -> Line<'static> {
    // Where the selection is among the rows: after a re-sort the window may be far down.
    let position = if count == 0 {
        "0 ".to_owned()
    } else {
        format!("row {}/{count} ", selected.min(count - 1) + 1)
    };
    let mut title = vec![
        Span::styled(format!(" {} ", kind.title()), theme.title),
        Span::raw(position),
        Span::styled(
            format!("sort {}{} ", column_title(kind, sort.col), sort_arrow(sort)),
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
    if let Some(note) = app.filter_note(kind) {
        title.push(Span::styled(format!(" {note}"), theme.bad));
    }
    Line::from(title)
}

/// What an empty table says instead of rows: why the filter shows nothing, when the app knows
/// (`note`: the text typed is invalid, or a term cannot apply to this view).
fn empty_message(kind: TableKind, filtered: bool, note: Option<String>) -> Cow<'static, str> {
    if let Some(note) = note {
        return format!("{note} (\\ clears the filter)").into();
    }
    if filtered {
        return "nothing matches the filter (\\ clears it)".into();
    }
    no_rows_yet(kind).into()
}

/// What an empty view says when nothing is wrong with the connection and nothing is filtered.
fn no_rows_yet(kind: TableKind) -> &'static str {
    match kind {
        TableKind::Allocations => "no allocations yet: waiting for coturn to publish",
        TableKind::Users => "no users yet",
        TableKind::Realms => "no realms yet",
        TableKind::Problems => "no problems: nothing is wrong that turntop can see",
        TableKind::Servers => "no coturn servers yet: waiting for coturn to publish",
    }
}

/// Where the column header and the first row are, and each column's span (for clicks).
fn hit_map(area: Rect, fitted: &[(ColumnSpec, u16)]) -> HitMap {
    let mut x = area.x;
    let columns = fitted
        .iter()
        .map(|(spec, w)| {
            let start = x;
            x += w + 1;
            (start, *w, spec.col)
        })
        .collect();
    HitMap {
        header_row: area.y + 1,
        first_row: area.y + 2,
        columns,
    }
}

pub(super) fn column_title(kind: TableKind, col: Col) -> &'static str {
    table::columns(kind)
        .iter()
        .find(|c| c.col == col)
        .map_or("?", |c| c.title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_map_lays_columns_side_by_side_one_apart() {
        let specs = table::columns(TableKind::Realms);
        let fitted = vec![(specs[0], 20), (specs[1], 6)];
        let hit = hit_map(Rect::new(3, 4, 80, 10), &fitted);
        assert_eq!((hit.header_row, hit.first_row), (5, 6));
        assert_eq!(
            hit.columns,
            vec![(3, 20, specs[0].col), (24, 6, specs[1].col)]
        );
    }

    #[test]
    fn empty_table_tells_a_filter_from_no_data() {
        assert_eq!(
            empty_message(TableKind::Users, true, None),
            "nothing matches the filter (\\ clears it)"
        );
        assert_eq!(empty_message(TableKind::Users, false, None), "no users yet");
        assert_eq!(
            empty_message(TableKind::Users, true, Some("users have no TYPE".into())),
            "users have no TYPE (\\ clears the filter)"
        );
    }
}
