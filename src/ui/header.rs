//! The two header lines: source badge, endpoint states, event rate, counters, totals.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::Theme;
use super::fit_line::{self, Item};
use super::theme::Badge;
use crate::app::App;
use crate::coturn::Leg;
use crate::format::{self, RateUnits, utc};
use crate::model::view::Totals;
use crate::model::{ConnectionState, Endpoint, Model, Rate, Time};
use crate::table::Ctx;

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

/// How one endpoint's connection is doing, and why (the reason, a separate span: on a narrow
/// terminal it goes first and the state stays whole; the body says what is wrong anyway).
fn connection_spans<'a>(
    state: &ConnectionState,
    now: Time,
    theme: &Theme,
) -> (Span<'a>, Option<Span<'a>>) {
    match state {
        ConnectionState::Connected => (Span::styled("● connected", theme.good), None),
        ConnectionState::Connecting => (Span::styled("◌ connecting", theme.warn), None),
        ConnectionState::Reconnecting {
            retry_at, reason, ..
        } => (
            Span::styled(
                format!(
                    "◌ reconnecting in {}",
                    format::duration((retry_at - now).max(0.0))
                ),
                theme.warn,
            ),
            Some(Span::styled(format!(" ({reason})"), theme.warn)),
        ),
        // The label is already on the line: the state in two words stays whole at 80 columns,
        // and the body says the rest.
        ConnectionState::AuthFailed {
            reason, retry_at, ..
        } => (
            Span::styled(
                format!(
                    "✗ {} (retry in {})",
                    if reason.contains("NOAUTH") {
                        "password required"
                    } else {
                        "authentication failed"
                    },
                    format::duration((retry_at - now).max(0.0))
                ),
                theme.bad,
            ),
            None,
        ),
        ConnectionState::Offline => (Span::styled("○ offline", theme.dim), None),
        ConnectionState::Finished => (Span::styled("■ end of capture", theme.dim), None),
    }
}

pub(super) fn draw(
    f: &mut Frame,
    area: Rect,
    ctx: &Ctx<'_>,
    info: &HeaderInfo,
    app: &App,
    totals: &Totals,
    theme: &Theme,
) {
    let lines = vec![
        fit_line::fit(
            status_items(ctx.model, ctx.now, info, app, theme),
            area.width,
        ),
        fit_line::fit(
            totals_items(ctx.model, totals, app.units, app.history_window(), theme),
            area.width,
        ),
    ];
    f.render_widget(Paragraph::new(lines), area);
}

/// The first line: where the data comes from, how each endpoint is doing, the event rate and
/// what went wrong.
fn status_items<'a>(
    model: &Model,
    now: Time,
    info: &HeaderInfo,
    app: &App,
    theme: &Theme,
) -> Vec<Item<'a>> {
    let frozen = app.frozen;
    let mut spans = vec![Span::styled(" turntop ", theme.title)];
    // First: "is anything wrong?" must show on the narrowest terminal.
    spans.extend(super::problems_badge::badge_spans(model.problems(), theme));
    source_spans(&mut spans, &info.source, now, theme);
    let mut items = vec![Item::new(0, spans)];
    if frozen {
        items.push(Item::new(
            0,
            vec![Span::styled(" FROZEN ", theme.badge(Badge::Frozen))],
        ));
    }
    if info.source == SourceInfo::Live {
        // With several endpoints each gets its own figures (the totals follow). The state of
        // each stays whole; the reason and the figures go first when the line is short.
        let several = model.endpoints().len() > 1;
        for (i, ep) in model.endpoints().iter().enumerate() {
            let gap = if i > 0 { "  " } else { "" };
            let (state, reason) = connection_spans(&ep.connection, now, theme);
            items.push(Item::new(
                0,
                vec![Span::raw(format!("{gap}{} ", ep.label)), state],
            ));
            if let Some(reason) = reason {
                items.push(Item::new(6, vec![reason]));
            }
            let rate = info.endpoint_events_per_sec.get(i).copied();
            let mut figures = Vec::new();
            endpoint_figures(&mut figures, ep, several.then_some(rate), now, theme);
            items.push(Item::new(5, figures));
            let mut cli = Vec::new();
            super::coturn_cli::header_spans(&mut cli, app.cli.endpoint(i as u16), now, theme);
            if !cli.is_empty() {
                items.push(Item::new(4, cli));
            }
        }
    }
    // Early in the line, so that it shows on a narrow terminal too.
    if model.counters.id_collisions > 0 {
        // The finding, then the remedy: on a narrow terminal the remedy goes first.
        let warning = collision_warning(model.counters.id_collisions);
        let (finding, remedy) = warning.split_once(": ").unwrap_or((&warning, ""));
        items.push(Item::new(
            1,
            vec![Span::styled(format!("  {finding}"), theme.bad)],
        ));
        if !remedy.is_empty() {
            items.push(Item::new(
                6,
                vec![Span::styled(format!(": {remedy}"), theme.bad)],
            ));
        }
    }
    activity_items(&mut items, model, info.events_per_sec, now, theme);
    items
}

/// A demo or replay says so (a replay with its file, clock, speed and whether it is paused).
fn source_spans(spans: &mut Vec<Span<'_>>, source: &SourceInfo, now: Time, theme: &Theme) {
    match source {
        SourceInfo::Demo => spans.push(Span::styled("[DEMO] ", theme.badge(Badge::Demo))),
        SourceInfo::Replay {
            file,
            speed,
            paused,
            finished,
        } => {
            spans.push(Span::styled("[REPLAY] ", theme.badge(Badge::Replay)));
            spans.push(Span::raw(format!("{file} {} ×{speed}", utc(now))));
            if *paused {
                spans.push(Span::styled(" PAUSED", theme.warn));
            }
            if *finished {
                spans.push(Span::styled(" (end)", theme.dim));
            }
            spans.push(Span::raw(" "));
        }
        SourceInfo::Live => {}
    }
}

/// After an endpoint's state: its reconnects, and with `own_figures` its own figures.
fn endpoint_figures(
    spans: &mut Vec<Span<'_>>,
    ep: &Endpoint,
    own_figures: Option<Option<f64>>,
    now: Time,
    theme: &Theme,
) {
    if ep.reconnects > 0 {
        spans.push(Span::styled(format!(" ↻{}", ep.reconnects), theme.dim));
    }
    let Some(rate) = own_figures else {
        return;
    };
    if let Some(r) = rate {
        spans.push(Span::raw(format!(" {r:.1} ev/s")));
    }
    if let Some(last) = ep.last_event {
        spans.push(Span::styled(
            format!(" last {}", format::duration((now - last).max(0.0))),
            theme.dim,
        ));
    }
    if ep.gaps > 0 {
        spans.push(Span::styled(format!(" gaps {}", ep.gaps), theme.warn));
    }
    if ep.malformed > 0 {
        spans.push(Span::styled(
            format!(" malformed {}", ep.malformed),
            theme.bad,
        ));
    }
}

/// All endpoints together: events per second, the last event, and the problem counters.
fn activity_items(
    items: &mut Vec<Item<'_>>,
    model: &Model,
    events_per_sec: f64,
    now: Time,
    theme: &Theme,
) {
    items.push(Item::new(
        3,
        vec![Span::raw(format!("  {events_per_sec:.1} ev/s"))],
    ));
    if let Some(last) = model.last_event() {
        items.push(Item::new(
            4,
            vec![Span::raw(format!(
                "  last {} ago",
                format::duration((now - last).max(0.0))
            ))],
        ));
    }
    let c = &model.counters;
    if c.malformed + c.unknown > 0 {
        items.push(Item::new(
            2,
            vec![Span::styled(
                format!("  malformed {} unknown {}", c.malformed, c.unknown),
                theme.bad,
            )],
        ));
    }
    if c.gaps > 0 {
        items.push(Item::new(
            2,
            vec![Span::styled(format!("  gaps {}", c.gaps), theme.warn)],
        ));
    }
    if c.ids_reused > 0 {
        items.push(Item::new(
            7,
            vec![Span::styled(
                format!("  restarts: {} ids reused", c.ids_reused),
                theme.dim,
            )],
        ));
    }
}

/// The one warning of ids shared by coturns on one Redis, with the remedy (the rows are
/// flagged ⚠, their detail says what is not exact).
pub(super) fn collision_warning(ids: u64) -> String {
    let ids = if ids == 1 {
        "1 id".to_owned()
    } else {
        format!("{ids} ids")
    };
    format!("⚠ {ids} shared by two coturns: one Redis (or realm) per coturn")
}

/// The second line: counts, total rates per leg, the history window, pre-auth sessions.
fn totals_items<'a>(
    model: &Model,
    totals: &Totals,
    units: RateUnits,
    window: f64,
    theme: &Theme,
) -> Vec<Item<'a>> {
    let agg = &totals.agg;
    let pre_auth = model.counters.sessions_without_allocation;
    // No report yet is not zero traffic: `-` like an allocation's rate.
    let leg_rates = |rate: Option<Rate>| match rate {
        Some(rate) => format!(
            "↓{} ↑{}",
            format::rate(rate.rx, units),
            format::rate(rate.tx, units)
        ),
        None => "↓- ↑-".to_owned(),
    };
    let mut items = vec![Item::new(
        0,
        vec![
            Span::raw(" live "),
            Span::styled(agg.live.to_string(), theme.accent),
        ],
    )];
    if agg.unconfirmed > 0 {
        let text = format!(" (+{} unconfirmed)", agg.unconfirmed);
        items.push(Item::new(1, vec![Span::raw(text)]));
    }
    if agg.expired > 0 {
        let text = format!(" (+{} expired)", agg.expired);
        items.push(Item::new(1, vec![Span::raw(text)]));
    }
    let count = |label: &str, n: u32| {
        vec![
            Span::raw(format!("  {label} ")),
            Span::styled(n.to_string(), theme.accent),
        ]
    };
    items.push(Item::new(3, count("users", totals.users)));
    items.push(Item::new(4, count("realms", totals.realms)));
    let leg = |label: &str, leg: Leg| {
        vec![
            Span::raw(format!("  {label} ")),
            Span::styled(leg_rates(agg.rate(leg)), theme.leg(leg)),
        ]
    };
    items.push(Item::new(1, leg("client", Leg::Client)));
    items.push(Item::new(2, leg("peer", Leg::Peer)));
    items.push(Item::new(
        5,
        vec![Span::raw(format!("  window {}", format::duration(window)))],
    ));
    if pre_auth > 0 {
        items.push(Item::new(
            6,
            vec![Span::styled(
                format!("  pre-auth sessions {pre_auth}"),
                theme.dim,
            )],
        ));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::ThemeName;

    /// One endpoint as the header shows it, without the reason: its label and connection;
    /// `own_figures` (with several endpoints) adds its event rate (`Some(None)`: not known),
    /// last event, gaps and malformed messages.
    fn endpoint_spans(
        spans: &mut Vec<Span<'_>>,
        ep: &Endpoint,
        own_figures: Option<Option<f64>>,
        now: Time,
        theme: &Theme,
    ) {
        spans.push(Span::raw(format!("{} ", ep.label)));
        spans.push(connection_spans(&ep.connection, now, theme).0);
        endpoint_figures(spans, ep, own_figures, now, theme);
    }

    fn text(spans: &[Span<'_>]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn a_replay_shows_its_file_clock_speed_and_pause() {
        let theme = Theme::new(ThemeName::None);
        let mut spans = Vec::new();
        let replay = SourceInfo::Replay {
            file: "capture.txt".into(),
            speed: "4".into(),
            paused: true,
            finished: true,
        };
        source_spans(&mut spans, &replay, 86_400.0 + 61.0, &theme);
        assert_eq!(
            text(&spans),
            "[REPLAY] capture.txt 1970-01-02 00:01:01 UTC ×4 PAUSED (end) "
        );
        spans.clear();
        source_spans(&mut spans, &SourceInfo::Live, 0.0, &theme);
        assert!(spans.is_empty());
    }

    #[test]
    fn one_endpoint_shows_its_figures_only_among_several() {
        let theme = Theme::new(ThemeName::None);
        let mut model = Model::default();
        let id = model.add_endpoint("turn-eu:6379");
        model.set_connection(id, 100.0, ConnectionState::Connected);
        model.mark_gap(id, 100.5);
        let ep = &model.endpoints()[0];
        let mut alone = Vec::new();
        endpoint_spans(&mut alone, ep, None, 101.0, &theme);
        assert_eq!(text(&alone), "turn-eu:6379 ● connected");
        let mut among = Vec::new();
        endpoint_spans(&mut among, ep, Some(Some(2.5)), 101.0, &theme);
        assert_eq!(text(&among), "turn-eu:6379 ● connected 2.5 ev/s gaps 1");
    }
}
