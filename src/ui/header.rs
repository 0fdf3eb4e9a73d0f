//! The two header lines: source badge, endpoint states, event rate, counters, totals.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::App;
use crate::format::{self, utc};
use crate::model::view::Totals;
use crate::model::{ConnectionState, Time};
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

pub(super) fn draw(
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
