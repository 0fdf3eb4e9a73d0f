//! The detail screen of one allocation: its fields, a chart of its rates, its event log.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Chart, Dataset, GraphType, List, ListItem, Paragraph,
};

use super::Theme;
use super::table::state_cell;
use crate::app::App;
use crate::coturn::Leg;
use crate::format::{self, utc};
use crate::model::{Allocation, Model, State, StatusLogKind, Time};
use crate::table::{Ctx, RowKey};

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

pub(super) fn draw(
    f: &mut Frame,
    area: Rect,
    app: &App,
    ctx: &Ctx<'_>,
    key: RowKey,
    theme: &Theme,
) {
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
