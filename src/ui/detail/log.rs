//! The event log of the detail screen: status changes and traffic reports, newest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem};

use crate::app::Scroll;
use crate::coturn::Leg;
use crate::format::{self, RateUnits};
use crate::model::{Allocation, Model, StatusLogKind, Time};
use crate::table::Ctx;
use crate::ui::Theme;

/// Every entry of the log, newest first, each led by its age.
pub(super) fn lines(ctx: &Ctx<'_>, a: &Allocation, theme: &Theme) -> Vec<Line<'static>> {
    let (model, now, units) = (ctx.model, ctx.now, ctx.units);
    let mut entries = status_entries(model, a);
    for leg in [Leg::Client, Leg::Peer] {
        entries.extend(report_entries(model, a, leg, units, theme));
    }
    // Stable: entries of the same instant keep status before reports, client before peer.
    entries.sort_by(|x, y| y.0.total_cmp(&x.0));
    entries
        .into_iter()
        .map(|(t, line)| {
            let mut spans = vec![Span::styled(
                format!("{:>7} ago  ", format::duration(now - t)),
                theme.dim,
            )];
            spans.extend(line.spans);
            Line::from(spans)
        })
        .collect()
}

fn status_entries(model: &Model, a: &Allocation) -> Vec<(Time, Line<'static>)> {
    a.status_log
        .iter()
        .map(|e| {
            let what = match e.kind {
                StatusLogKind::Seeded => "seeded from the status key",
                StatusLogKind::New => "new",
                StatusLogKind::Refreshed if e.lifetime == Some(0) => {
                    "refreshed lifetime=0 (released)"
                }
                StatusLogKind::Refreshed => "refreshed",
                StatusLogKind::Deleted => "deleted",
                StatusLogKind::VanishedDuringGap => {
                    "gone from Redis after a reconnect (ended unseen)"
                }
            };
            let lifetime = e
                .lifetime
                .filter(|l| *l > 0)
                .map(|l| format!(" lifetime={l}"))
                .unwrap_or_default();
            (
                model.time_of(e.at),
                Line::from(format!("status   {what}{lifetime}")),
            )
        })
        .collect()
}

fn report_entries(
    model: &Model,
    a: &Allocation,
    leg: Leg,
    units: RateUnits,
    theme: &Theme,
) -> Vec<(Time, Line<'static>)> {
    let name = match leg {
        Leg::Client => "traffic ",
        Leg::Peer => "peer    ",
    };
    a.leg(leg)
        .series
        .reports()
        .map(|r| {
            let over = if r.span_ms > 0 {
                format!(
                    " over {:.1}s = {}",
                    r.span_secs(),
                    format::rate(r.bytes() as f64 / r.span_secs(), units)
                )
            } else {
                " (interval unknown)".into()
            };
            let line = Line::from(vec![
                Span::styled(name, theme.leg(leg)),
                Span::raw(format!(
                    " rx {} tx {}{over}",
                    format::bytes(u64::from(r.rcvb)),
                    format::bytes(u64::from(r.sentb))
                )),
            ]);
            (model.time_of(r.end), line)
        })
        .collect()
}

/// Draws the log from the scroll offset, and records its length and page in `scroll`.
pub(super) fn draw(
    f: &mut Frame,
    area: Rect,
    lines: Vec<Line<'static>>,
    scroll: &mut Scroll,
    theme: &Theme,
) {
    // One row goes to the title.
    let page = usize::from(area.height.saturating_sub(1));
    let from = scroll.fit(lines.len(), page);
    let items: Vec<ListItem> = lines.into_iter().skip(from).map(ListItem::new).collect();
    let list = List::new(items).block(
        Block::default()
            .borders(Borders::TOP)
            .title(Span::styled(
                " event log (newest first; older reports are merged) ",
                theme.title,
            ))
            .border_style(theme.dim),
    );
    f.render_widget(list, area);
}

#[cfg(test)]
mod tests {
    use super::super::tests::{model_with_traffic, text};
    use super::*;
    use crate::ui::ThemeName;

    #[test]
    fn newest_first_with_status_and_both_legs() {
        let (model, now) = model_with_traffic(true);
        let a = model.allocations().next().expect("allocation");
        let theme = Theme::new(ThemeName::None);
        let ctx = Ctx {
            model: &model,
            now,
            units: RateUnits::Bytes,
        };
        let lines: Vec<String> = lines(&ctx, a, &theme).iter().map(text).collect();
        assert_eq!(
            lines,
            [
                "     2s ago  status   deleted",
                "     2s ago  traffic  rx 2.00KB tx 0B over 5.0s = 400B/s",
                "     2s ago  peer     rx 0B tx 0B over 10.0s = 0B/s",
                "     7s ago  traffic  rx 1.00KB tx 1.00KB over 5.0s = 400B/s",
                "    12s ago  status   new lifetime=600",
            ],
        );
    }
}
