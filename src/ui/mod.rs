//! Drawing (no I/O, no clock reads: `now` is passed in). `draw` first computes the rows of the
//! current screen and reconciles the selection with them, then renders.

pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Clear, Dataset, GraphType, List, ListItem, Paragraph,
    Row as TableRow, Table, Wrap,
};

use crate::app::{App, Command, Mode, Screen};
use crate::coturn::Leg;
use crate::format;
use crate::model::view::Totals;
use crate::model::{Allocation, ConnectionState, Model, State, StatusLogKind, Time};
use crate::table::{self, Col, ColumnSpec, Ctx, Row, RowKey, Scope, TableKind};
pub use theme::{Theme, ThemeName};

/// The smallest screen turntop draws into.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

/// Where the data comes from, as the header says it.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceInfo {
    Live,
    Replay {
        file: String,
        speed: String,
        paused: bool,
        finished: bool,
    },
    Demo,
}

/// What the header needs besides the model.
#[derive(Clone, Debug)]
pub struct HeaderInfo {
    pub source: SourceInfo,
    /// Events per second over the last few seconds.
    pub events_per_sec: f64,
    /// The same per endpoint, in the model's endpoint order (may be shorter: then unknown).
    pub endpoint_events_per_sec: Vec<f64>,
}

/// Screen positions the mouse handler needs (only meaningful after a table was drawn).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HitMap {
    pub header_row: u16,
    pub first_row: u16,
    pub columns: Vec<(u16, u16, Col)>,
}

pub fn draw(
    f: &mut Frame,
    app: &mut App,
    model: &Model,
    now: Time,
    info: &HeaderInfo,
    theme: &Theme,
) -> HitMap {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small: {}×{}\nturntop needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n\nq quits",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg)
                .style(theme.warn)
                .wrap(Wrap { trim: true }),
            area,
        );
        return HitMap::default();
    }
    let [header, tabs, body, hints] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let ctx = Ctx {
        model,
        now,
        units: app.units,
    };
    // The table first: its pass over the allocations also yields the header's totals.
    let (hit, totals) = match app.screen() {
        Screen::Table { kind, scope } => draw_table(f, body, app, &ctx, kind, scope, theme),
        Screen::Detail { key } => {
            draw_detail(f, body, app, &ctx, key, theme);
            (HitMap::default(), None)
        }
    };
    let totals = totals.unwrap_or_else(|| model.totals(now));
    draw_header(f, header, &ctx, info, app, &totals, theme);
    draw_tabs(f, tabs, app, model, theme);
    draw_hints(f, hints, app, theme);
    match &app.mode {
        Mode::Help => draw_help(f, area, app, theme),
        Mode::SortMenu { index } => draw_sort_menu(f, body, app, *index, theme),
        _ => {}
    }
    hit
}

fn connection_span<'a>(state: &ConnectionState, now: Time, theme: &Theme) -> Span<'a> {
    match state {
        ConnectionState::Connected => Span::styled("● connected", theme.good),
        ConnectionState::Connecting => Span::styled("◌ connecting", theme.warn),
        ConnectionState::Reconnecting {
            retry_at, reason, ..
        } => Span::styled(
            format!(
                "◌ reconnecting in {} ({reason})",
                format::duration((retry_at - now).max(0.0))
            ),
            theme.warn,
        ),
        ConnectionState::AuthFailed {
            reason, retry_at, ..
        } => Span::styled(
            format!(
                "✗ {reason} (retry in {})",
                format::duration((retry_at - now).max(0.0))
            ),
            theme.bad,
        ),
        ConnectionState::Offline => Span::styled("○ offline", theme.dim),
        ConnectionState::Finished => Span::styled("■ end of capture", theme.dim),
    }
}

/// `2026-11-25 07:03:04 UTC` without a date crate (days-from-civil, inverted).
pub fn utc(t: Time) -> String {
    let secs = t.floor() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn draw_header(
    f: &mut Frame,
    area: Rect,
    ctx: &Ctx<'_>,
    info: &HeaderInfo,
    app: &App,
    totals: &Totals,
    theme: &Theme,
) {
    let (model, now) = (ctx.model, ctx.now);
    let mut first: Vec<Span> = vec![Span::styled(" turntop ", theme.title)];
    match &info.source {
        SourceInfo::Demo => first.push(Span::styled(
            "[DEMO] ",
            theme.warn.add_modifier(Modifier::REVERSED),
        )),
        SourceInfo::Replay {
            file,
            speed,
            paused,
            finished,
        } => {
            first.push(Span::styled(
                "[REPLAY] ",
                theme.accent.add_modifier(Modifier::REVERSED),
            ));
            first.push(Span::raw(format!("{file} {} ×{speed}", utc(now))));
            if *paused {
                first.push(Span::styled(" PAUSED", theme.warn));
            }
            if *finished {
                first.push(Span::styled(" (end)", theme.dim));
            }
            first.push(Span::raw(" "));
        }
        SourceInfo::Live => {}
    }
    if info.source == SourceInfo::Live {
        for (i, ep) in model.endpoints().iter().enumerate() {
            if i > 0 {
                first.push(Span::raw("  "));
            }
            first.push(Span::raw(format!("{} ", ep.label)));
            first.push(connection_span(&ep.connection, now, theme));
            if ep.reconnects > 0 {
                first.push(Span::styled(format!(" ↻{}", ep.reconnects), theme.dim));
            }
            // With several endpoints each gets its own figures (the totals follow below).
            if model.endpoints().len() > 1 {
                if let Some(r) = info.endpoint_events_per_sec.get(i) {
                    first.push(Span::raw(format!(" {r:.1} ev/s")));
                }
                if let Some(last) = ep.last_event {
                    first.push(Span::styled(
                        format!(" last {}", format::duration((now - last).max(0.0))),
                        theme.dim,
                    ));
                }
                if ep.gaps > 0 {
                    first.push(Span::styled(format!(" gaps {}", ep.gaps), theme.warn));
                }
                if ep.malformed > 0 {
                    first.push(Span::styled(
                        format!(" malformed {}", ep.malformed),
                        theme.bad,
                    ));
                }
            }
        }
    }
    first.push(Span::raw(format!("  {:.1} ev/s", info.events_per_sec)));
    if let Some(last) = model.last_event() {
        first.push(Span::raw(format!(
            "  last {} ago",
            format::duration((now - last).max(0.0))
        )));
    }
    let c = &model.counters;
    if c.malformed + c.unknown > 0 {
        first.push(Span::styled(
            format!("  malformed {} unknown {}", c.malformed, c.unknown),
            theme.bad,
        ));
    }
    if c.gaps > 0 {
        first.push(Span::styled(format!("  gaps {}", c.gaps), theme.warn));
    }
    if app.frozen {
        first.push(Span::styled(
            " FROZEN ",
            theme.warn.add_modifier(Modifier::REVERSED),
        ));
    }
    let units = app.units;
    let second = Line::from(vec![
        Span::raw(" live "),
        Span::styled(totals.agg.live.to_string(), theme.accent),
        Span::raw(if totals.agg.expired > 0 {
            format!(" (+{} expired)", totals.agg.expired)
        } else {
            String::new()
        }),
        Span::raw("  users "),
        Span::styled(totals.users.to_string(), theme.accent),
        Span::raw("  realms "),
        Span::styled(totals.realms.to_string(), theme.accent),
        Span::raw("  client "),
        Span::styled(
            format!(
                "↓{} ↑{}",
                format::rate(totals.agg.client_rate.rx, units),
                format::rate(totals.agg.client_rate.tx, units)
            ),
            theme.client,
        ),
        Span::raw("  peer "),
        Span::styled(
            format!(
                "↓{} ↑{}",
                format::rate(totals.agg.peer_rate.rx, units),
                format::rate(totals.agg.peer_rate.tx, units)
            ),
            theme.peer,
        ),
        Span::raw(format!(
            "  window {}",
            format::duration(app.history_window())
        )),
        Span::styled(
            if c.sessions_without_allocation > 0 {
                format!("  pre-auth sessions {}", c.sessions_without_allocation)
            } else {
                String::new()
            },
            theme.dim,
        ),
    ]);
    f.render_widget(Paragraph::new(vec![Line::from(first), second]), area);
}

fn scope_label(model: &Model, scope: Scope) -> Option<String> {
    match scope {
        Scope::All => None,
        Scope::Realm(slot) => model
            .realms()
            .find(|(s, _)| *s == slot)
            .map(|(_, r)| format!("realm {}", r.display)),
        Scope::User(slot) => model.user(slot).map(|u| {
            let realm = model.realm_of_user(u);
            format!(
                "user {} @ {}",
                if u.display.is_empty() {
                    "(none)"
                } else {
                    &u.display
                },
                realm.display
            )
        }),
    }
}

fn draw_tabs(f: &mut Frame, area: Rect, app: &App, model: &Model, theme: &Theme) {
    let top = app.top_kind();
    let mut spans = vec![Span::raw(" ")];
    for (i, kind) in TableKind::ALL.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", theme.dim));
        }
        let style = if *kind == top {
            theme.title.add_modifier(Modifier::REVERSED)
        } else {
            theme.base
        };
        spans.push(Span::styled(format!("{} {}", i + 1, kind.title()), style));
    }
    for level in app.stack.iter().skip(1) {
        let crumb = match level.screen {
            Screen::Table { scope, .. } => scope_label(model, scope),
            Screen::Detail { key } => match key {
                RowKey::Allocation { id, .. } => Some(format!(
                    "allocation {}",
                    crate::coturn::AllocationId(id).short()
                )),
                _ => None,
            },
        };
        if let Some(c) = crumb {
            spans.push(Span::styled(" › ", theme.dim));
            spans.push(Span::styled(c, theme.accent));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Choose the columns that fit, dropping by priority; give spare width to the user column and
/// the sparklines.
pub fn fit_columns(
    mut cols: Vec<ColumnSpec>,
    width: u16,
    multi_endpoint: bool,
) -> Vec<(ColumnSpec, u16)> {
    if !multi_endpoint {
        cols.retain(|c| c.col != Col::Endpoint);
    }
    let total = |cols: &[ColumnSpec]| cols.iter().map(|c| c.width + 1).sum::<u16>();
    while total(&cols) > width && cols.len() > 1 {
        let drop = cols
            .iter()
            .enumerate()
            .max_by_key(|(i, c)| (c.priority, *i))
            .map(|(i, _)| i);
        match drop {
            Some(i) if cols[i].priority > 0 => {
                cols.remove(i);
            }
            _ => break,
        }
    }
    let mut widths: Vec<u16> = cols.iter().map(|c| c.width).collect();
    let mut spare = width.saturating_sub(total(&cols));
    // Names first (up to 28 wide), then the sparklines share the rest.
    for (i, c) in cols.iter().enumerate() {
        if matches!(c.col, Col::User | Col::Realm) && spare > 0 {
            let extra = spare.min(if c.col == Col::User { 12 } else { 6 });
            widths[i] += extra;
            spare -= extra;
        }
    }
    let sparks: Vec<usize> = cols
        .iter()
        .enumerate()
        .filter(|(_, c)| c.col.is_history())
        .map(|(i, _)| i)
        .collect();
    if !sparks.is_empty() {
        let each = spare / sparks.len() as u16;
        for i in sparks {
            widths[i] += each;
        }
    } else if let Some(w) = widths.first_mut() {
        *w += spare;
    }
    cols.into_iter().zip(widths).collect()
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline as text: blank where there is no data, `·` for zero, bars scaled to the series.
pub fn sparkline_spans<'a>(values: &[Option<f64>], style: Style, no_data: Style) -> Vec<Span<'a>> {
    let max = values.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
    let mut spans: Vec<Span> = Vec::new();
    let mut run = String::new();
    let mut run_is_data = true;
    for v in values {
        let (c, is_data) = match v {
            None => (' ', false),
            Some(x) if *x <= 0.0 || max <= 0.0 => ('·', false),
            Some(x) => (
                BARS[(((x / max) * 8.0).ceil() as usize).clamp(1, 8) - 1],
                true,
            ),
        };
        if is_data != run_is_data && !run.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut run),
                if run_is_data { style } else { no_data },
            ));
        }
        run_is_data = is_data;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, if run_is_data { style } else { no_data }));
    }
    spans
}

fn history(ctx: &Ctx<'_>, row: &Row<'_>, leg: Leg, width: u16, window: f64) -> Vec<Option<f64>> {
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

fn state_cell<'a>(state: State, theme: &Theme) -> Span<'a> {
    match state {
        State::Live => Span::styled("● live", theme.live),
        State::Released => Span::styled("◐ released", theme.released),
        State::Expired => Span::styled("▲ expired", theme.expired),
        State::Deleted => Span::styled("○ deleted", theme.deleted),
    }
}

fn draw_table(
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
    if let Some(note) = app.filter_note(kind) {
        title.push(Span::styled(format!(" {note}"), theme.bad));
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
        let msg = app.empty_table_message(kind);
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

fn find_allocation(model: &Model, key: RowKey) -> Option<&Allocation> {
    let RowKey::Allocation { slot, id } = key else {
        return None;
    };
    model
        .allocation_at(slot)
        .filter(|a| a.id.0 == id && a.state(f64::NEG_INFINITY).is_some())
}

fn counters_line(c: &crate::coturn::Counters) -> String {
    format!(
        "rx {} ({} pkts)  tx {} ({} pkts)",
        format::bytes(c.rcvb),
        c.rcvp,
        format::bytes(c.sentb),
        c.sentp
    )
}

fn draw_detail(f: &mut Frame, area: Rect, app: &App, ctx: &Ctx<'_>, key: RowKey, theme: &Theme) {
    let model = ctx.model;
    let now = ctx.now;
    let Some(a) = find_allocation(model, key) else {
        f.render_widget(
            Paragraph::new(
                "This allocation is gone (evicted after the retention time). Esc goes back.",
            )
            .style(theme.dim),
            area,
        );
        return;
    };
    let Some(row) = model.allocation_row(a, now) else {
        return;
    };
    let units = app.units;
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:>12} "), theme.dim),
            Span::raw(v),
        ])
    };
    let atom = |x| model.atom(x).unwrap_or("?").to_owned();
    let mut left = vec![
        field(
            "user",
            if row.user_display.is_empty() {
                "(none)".into()
            } else {
                row.user_display.to_owned()
            },
        ),
        field("realm", row.realm_display.to_owned()),
        field(
            "id",
            format!("{} (t{} #{})", a.id, a.id.relay_thread(), a.id.counter()),
        ),
        field(
            "server",
            model
                .endpoint(a.endpoint)
                .map_or_else(String::new, |e| e.label.clone()),
        ),
        field("transport", atom(a.transport)),
        field("local", atom(a.local)),
        field("remote", a.remote.as_deref().unwrap_or("?").to_owned()),
        field("tls", format!("{} {}", atom(a.ssl), atom(a.cipher))),
    ];
    let mut state_line = vec![
        Span::styled(format!("{:>12} ", "state"), theme.dim),
        state_cell(row.state, theme),
    ];
    match row.state {
        State::Live => match a.lifetime_left(now) {
            Some(l) if a.expiry_is_upper_bound => state_line.push(Span::raw(format!(
                "  at most {} left (seeded)",
                format::countdown(l)
            ))),
            Some(l) => state_line.push(Span::raw(format!(
                "  {} left of {}s",
                format::countdown(l),
                a.lifetime.unwrap_or(0)
            ))),
            None => {}
        },
        State::Expired => state_line.push(Span::styled(
            format!(
                "  lifetime ran out {} ago, no delete from coturn",
                format::duration(-a.lifetime_left(now).unwrap_or(0.0))
            ),
            theme.expired,
        )),
        State::Deleted if a.ended_unseen => {
            state_line.push(Span::styled("  (ended while disconnected)", theme.warn))
        }
        _ => {}
    }
    let mut right = vec![Line::from(state_line)];
    right.push(field(
        "started",
        match (a.first_seen, a.seeded_at) {
            (Some(t), _) => format!("{} ({} ago)", utc(t), format::duration(now - t)),
            (None, Some(t)) => format!("unknown (already running when seeded at {})", utc(t)),
            (None, None) => "unknown".into(),
        },
    ));
    if let Some(t) = a.ended_at {
        right.push(field(
            "ended",
            format!("{} ({} ago)", utc(t), format::duration(now - t)),
        ));
    }
    right.push(field(
        "last report",
        row.last_report_age.map_or_else(
            || "none yet".into(),
            |age| format!("{} ago", format::duration(age)),
        ),
    ));
    for (name, leg, rate) in [
        ("client", Leg::Client, row.client_rate),
        ("peer", Leg::Peer, row.peer_rate),
    ] {
        let stats = a.leg(leg);
        let r = rate.map_or_else(
            || "rate unknown".to_owned(),
            |r| {
                format!(
                    "↓{} ↑{}",
                    format::rate(r.rx, units),
                    format::rate(r.tx, units)
                )
            },
        );
        right.push(field(name, format!("{}  {r}", counters_line(&stats.sum))));
        if let Some(total) = a.total_of(leg) {
            let check = if total == stats.sum {
                Span::styled("  Σdeltas = total ✓", theme.good)
            } else {
                Span::styled("  Σdeltas ≠ total: messages were lost", theme.bad)
            };
            right.push(Line::from(vec![
                Span::styled(format!("{:>12} ", "total"), theme.dim),
                Span::raw(counters_line(&total)),
                check,
            ]));
        }
    }
    let info_height = (left.len().max(right.len()) as u16).min(area.height / 2);
    let [info, chart_area, log_area] = Layout::vertical([
        Constraint::Length(info_height),
        Constraint::Percentage(55),
        Constraint::Min(3),
    ])
    .areas(area);
    let [l, r] = Layout::horizontal([Constraint::Length(40), Constraint::Min(20)]).areas(info);
    left.truncate(usize::from(info_height));
    f.render_widget(Paragraph::new(left), l);
    f.render_widget(Paragraph::new(right), r);

    // Rates over the window as braille lines; gaps (no data) break the line.
    let window = app.history_window();
    let n = usize::from(chart_area.width.saturating_sub(10).max(10)) * 2;
    let bucket = window / n as f64;
    let mut segments: Vec<(Leg, Vec<(f64, f64)>)> = Vec::new();
    let mut max: f64 = 0.0;
    for leg in [Leg::Client, Leg::Peer] {
        let series = model.allocation_history(a, leg, now, n, bucket);
        let mut current: Vec<(f64, f64)> = Vec::new();
        for (i, v) in series.iter().enumerate() {
            let x = -window + (i as f64 + 0.5) * bucket;
            match v {
                Some(v) => {
                    max = max.max(*v);
                    current.push((x, *v));
                }
                None if !current.is_empty() => segments.push((leg, std::mem::take(&mut current))),
                None => {}
            }
        }
        if !current.is_empty() {
            segments.push((leg, current));
        }
    }
    let max = if max > 0.0 { max * 1.1 } else { 1.0 };
    let mut named = [false, false];
    let datasets: Vec<Dataset> = segments
        .iter()
        .map(|(leg, points)| {
            let i = usize::from(*leg == Leg::Peer);
            let mut d = Dataset::default()
                .marker(symbols::Marker::Braille)
                .graph_type(if points.len() > 1 {
                    GraphType::Line
                } else {
                    GraphType::Scatter
                })
                .style(if *leg == Leg::Client {
                    theme.client
                } else {
                    theme.peer
                })
                .data(points);
            if !named[i] {
                d = d.name(if *leg == Leg::Client {
                    "client"
                } else {
                    "peer"
                });
                named[i] = true;
            }
            d
        })
        .collect();
    let chart = Chart::new(datasets)
        .block(
            Block::default()
                .borders(Borders::TOP)
                .title(Span::styled(
                    format!(
                        " rates over the last {} (bytes/s, both directions) ",
                        format::duration(window)
                    ),
                    theme.title,
                ))
                .border_style(theme.dim),
        )
        .x_axis(
            Axis::default()
                .bounds([-window, 0.0])
                .labels(vec![
                    Span::raw(format!("-{}", format::duration(window))),
                    Span::raw("now"),
                ])
                .style(theme.dim),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, max])
                .labels(vec![Span::raw("0"), Span::raw(format::rate(max, units))])
                .style(theme.dim),
        );
    f.render_widget(chart, chart_area);

    // Event log: status changes and traffic reports, newest first.
    let mut log: Vec<(Time, Line)> = Vec::new();
    for e in &a.status_log {
        let what = match e.kind {
            StatusLogKind::Seeded => "seeded from the status key",
            StatusLogKind::New => "new",
            StatusLogKind::Refreshed if e.lifetime == Some(0) => "refreshed lifetime=0 (released)",
            StatusLogKind::Refreshed => "refreshed",
            StatusLogKind::Deleted => "deleted",
            StatusLogKind::VanishedDuringGap => "gone from Redis after a reconnect (ended unseen)",
        };
        let lifetime = e
            .lifetime
            .filter(|l| *l > 0)
            .map(|l| format!(" lifetime={l}"))
            .unwrap_or_default();
        log.push((
            model.time_of(e.at),
            Line::from(format!("status   {what}{lifetime}")),
        ));
    }
    for leg in [Leg::Client, Leg::Peer] {
        for r in a.leg(leg).series.reports() {
            let over = if r.span_ms > 0 {
                format!(
                    " over {:.1}s = {}",
                    r.span_secs(),
                    format::rate(r.bytes() as f64 / r.span_secs(), units)
                )
            } else {
                " (interval unknown)".into()
            };
            let name = if leg == Leg::Client {
                "traffic "
            } else {
                "peer    "
            };
            log.push((
                model.time_of(r.end),
                Line::from(vec![
                    Span::styled(
                        name,
                        if leg == Leg::Client {
                            theme.client
                        } else {
                            theme.peer
                        },
                    ),
                    Span::raw(format!(
                        " rx {} tx {}{over}",
                        format::bytes(u64::from(r.rcvb)),
                        format::bytes(u64::from(r.sentb))
                    )),
                ]),
            ));
        }
    }
    log.sort_by(|x, y| y.0.total_cmp(&x.0));
    let items: Vec<ListItem> = log
        .into_iter()
        .skip(app.detail_scroll)
        .map(|(t, line)| {
            let mut spans = vec![Span::styled(
                format!("{:>7} ago  ", format::duration(now - t)),
                theme.dim,
            )];
            spans.extend(line.spans);
            ListItem::new(Line::from(spans))
        })
        .collect();
    let list = List::new(items).block(
        Block::default()
            .borders(Borders::TOP)
            .title(Span::styled(
                " event log (newest first; older reports are merged) ",
                theme.title,
            ))
            .border_style(theme.dim),
    );
    f.render_widget(list, log_area);
}

fn hint_spans<'a>(app: &App, items: &[(Command, &'a str)], theme: &Theme) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    for (cmd, label) in items {
        spans.push(Span::styled(
            format!(" {}", app.keys.key_for(*cmd)),
            theme.key,
        ));
        spans.push(Span::raw(format!(" {label} ")));
    }
    spans
}

fn draw_hints(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let spans = match (&app.mode, app.screen()) {
        (Mode::Filter { .. }, _) => vec![Span::raw(
            " type a filter: text, user=, realm=, type=tcp, state=expired, rate>1MB, !term   Enter/Esc done   ^U clear",
        )],
        (Mode::SortMenu { .. }, _) => vec![Span::raw(
            " ↑↓ choose the sort column   Enter sort   Esc cancel",
        )],
        (Mode::Help, _) => vec![Span::raw(" any key closes help")],
        (Mode::Normal, Screen::Detail { .. }) => hint_spans(
            app,
            &[
                (Command::Back, "back"),
                (Command::Down, "scroll log"),
                (Command::ZoomIn, "zoom"),
                (Command::Freeze, "freeze"),
                (Command::Help, "help"),
                (Command::Quit, "quit"),
            ],
            theme,
        ),
        (Mode::Normal, Screen::Table { kind, .. }) => {
            let drill = match kind {
                TableKind::Realms => "users",
                TableKind::Users => "allocations",
                TableKind::Allocations => "detail",
            };
            let mut items = vec![
                (Command::Quit, "quit"),
                (Command::Help, "help"),
                (Command::Filter, "filter"),
                (Command::SortNext, "sort"),
                (Command::SortReverse, "reverse"),
                (Command::Enter, drill),
            ];
            if app.stack.len() > 1 {
                items.push((Command::Back, "back"));
            }
            items.extend([
                (Command::NextView, "view"),
                (
                    Command::Freeze,
                    if app.frozen { "unfreeze" } else { "freeze" },
                ),
                (Command::ZoomIn, "zoom"),
            ]);
            if app.replay {
                items.extend([
                    (Command::Pause, if app.paused { "resume" } else { "pause" }),
                    (Command::Step, "step"),
                ]);
            }
            hint_spans(app, &items, theme)
        }
    };
    f.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

const HELP: &[(Command, &str)] = &[
    (
        Command::Up,
        "move up / down (also j k, PgUp PgDn, ^U ^D, g G)",
    ),
    (
        Command::Enter,
        "drill down: realm → users → allocations → detail",
    ),
    (Command::Back, "back up one level"),
    (
        Command::NextView,
        "next view (1 allocations, 2 users, 3 realms)",
    ),
    (Command::Filter, "filter (kept after Esc; \\ clears)"),
    (Command::SortNext, "sort by the next column (S previous)"),
    (Command::SortReverse, "reverse the sort"),
    (Command::SortMenu, "choose the sort column from a menu"),
    (Command::Freeze, "freeze the screen (data keeps arriving)"),
    (
        Command::ZoomIn,
        "zoom the history window in (- out): 30s … 30m",
    ),
    (Command::Units, "rates in bytes/s or bits/s"),
    (Command::Suspend, "suspend to the shell (fg resumes)"),
    (Command::Quit, "quit"),
];

/// Only shown for replays.
const REPLAY_HELP: &[(Command, &str)] = &[
    (Command::Pause, "pause / resume the replay (and its clock)"),
    (
        Command::Step,
        "step: deliver the next message (pauses first)",
    ),
];

fn draw_help(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let replay = if app.replay { REPLAY_HELP } else { &[] };
    let mut lines: Vec<Line> = HELP
        .iter()
        .chain(replay)
        .map(|(cmd, text)| {
            Line::from(vec![
                Span::styled(
                    format!(" {:>9} ", app.keys.keys_for(*cmd).join(" ")),
                    theme.key,
                ),
                Span::raw(*text),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Filter terms (all must match):", theme.title));
    for t in [
        "  alice            user, realm, id or remote contains it",
        "  user=al realm=ex  one field contains it; id=1.12 matches short ids",
        "  type=tcp state=expired   whole words (TLS/TCP is tcp)",
        "  rate>1MB bytes>10M age>5m left<60 live>3",
        "  !term            invert a term",
    ] {
        lines.push(Line::raw(t));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " Rates come from coturn's traffic reports (one per ~4096 packets): a blank sparkline means no report yet, · means zero. Σ≠ marks an allocation whose total_traffic differs from the deltas seen.",
        theme.dim,
    ));
    let rect = centered(area, 78, lines.len() as u16 + 4);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(Span::styled(" turntop help ", theme.title))),
        rect,
    );
}

fn draw_sort_menu(f: &mut Frame, area: Rect, app: &App, index: usize, theme: &Theme) {
    let kind = app.current_table_kind();
    let cols = app.table_columns(kind);
    let sort = app.sort(kind);
    let items: Vec<ListItem> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mark = if c.col == sort.col {
                if sort.descending { " ▼" } else { " ▲" }
            } else {
                ""
            };
            let style = if i == index {
                theme.selected
            } else {
                theme.base
            };
            ListItem::new(format!(" {}{mark}", c.title)).style(style)
        })
        .collect();
    let rect = centered(area, 24, cols.len() as u16 + 2);
    f.render_widget(Clear, rect);
    f.render_widget(
        List::new(items).block(Block::bordered().title(Span::styled(" sort by ", theme.title))),
        rect,
    );
}
