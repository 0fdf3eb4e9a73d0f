//! Above a drilled user's or realm's table: its aggregated client-leg and peer-leg rates over
//! the history window (the detail screen's chart), and, where there is room, its live
//! allocation count over the same window as a sparkline.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::detail::chart::{buckets_for, draw_segments, segments_of};
use super::sparkline::sparkline_spans;
use crate::coturn::Leg;
use crate::format;
use crate::model::{Allocation, Model, Time};
use crate::table::{Ctx, Scope};

/// Draws the chart of a drilled user or realm at the top of `area` when it is tall enough, and
/// returns the area left for the table.
pub(super) fn draw(
    f: &mut Frame,
    area: Rect,
    ctx: &Ctx<'_>,
    scope: Scope,
    window: f64,
    theme: &Theme,
) -> Rect {
    if !matches!(scope, Scope::User(_) | Scope::Realm(_)) || area.height < 18 {
        return area;
    }
    let height = (area.height * 2 / 5).max(8);
    let [top, rest] =
        Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(area);
    let (model, now) = (ctx.model, ctx.now);
    let n = buckets_for(top.width);
    let bucket = window / n as f64;
    let history = |leg| match scope {
        Scope::User(u) => model.user_history(u, leg, now, n, bucket),
        Scope::Realm(r) => model.realm_history(r, leg, now, n, bucket),
        _ => vec![None; n],
    };
    let series = [Leg::Client, Leg::Peer].map(|leg| (leg, history(leg)));
    let (segments, max) = segments_of(&series, window);
    let whose = match scope {
        Scope::User(_) => "the user's",
        _ => "the realm's",
    };
    let what = format!(" {whose} rates over the last {} ", format::duration(window));
    // The live count gets the line under the chart when the chart keeps 6 lines.
    let (chart_area, live_area) = if top.height >= 9 {
        let [c, l] = Layout::vertical([Constraint::Min(6), Constraint::Length(1)]).areas(top);
        (c, Some(l))
    } else {
        (top, None)
    };
    draw_segments(
        f, chart_area, &segments, max, window, "now", what, ctx, theme,
    );
    if let Some(line) = live_area {
        let width = usize::from(line.width.saturating_sub(20).max(1));
        let intervals = lifetimes(model, scope);
        let counts = live_counts(&intervals, now, width, window / width as f64);
        let current = counts.last().copied().flatten().unwrap_or(0.0);
        let peak = counts.iter().flatten().fold(0.0f64, |a, b| a.max(*b));
        let mut spans = vec![Span::styled(
            format!(" live {current:.0} (max {peak:.0}) "),
            theme.dim,
        )];
        spans.extend(sparkline_spans(&counts, theme.accent, theme.no_data));
        f.render_widget(Paragraph::new(Line::from(spans)), line);
    }
    rest
}

/// When each allocation of the scope was open: (start, end), end `None` while open. A seeded
/// row counts from when it was seeded (its start is unknown, and was earlier).
fn lifetimes(model: &Model, scope: Scope) -> Vec<(Time, Option<Time>)> {
    let span = |a: &Allocation| a.first_seen.or(a.seeded_at).map(|s| (s, a.ended_at));
    match scope {
        Scope::User(slot) => model
            .user(slot)
            .map(|u| model.user_allocations(u).filter_map(span).collect())
            .unwrap_or_default(),
        Scope::Realm(slot) => model
            .realm(slot)
            .map(|r| {
                model
                    .realm_users(r)
                    .flat_map(|(_, u)| model.user_allocations(u))
                    .filter_map(span)
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// How many of `intervals` were open at the end of each of `buckets` buckets of `bucket`
/// seconds ending at `now`: a sweep over sorted starts and ends, not a pass per bucket.
pub(super) fn live_counts(
    intervals: &[(Time, Option<Time>)],
    now: Time,
    buckets: usize,
    bucket: f64,
) -> Vec<Option<f64>> {
    let mut starts: Vec<f64> = intervals.iter().map(|(s, _)| *s).collect();
    let mut ends: Vec<f64> = intervals.iter().filter_map(|(_, e)| *e).collect();
    starts.sort_by(f64::total_cmp);
    ends.sort_by(f64::total_cmp);
    (0..buckets)
        .map(|i| {
            let t = now - (buckets - 1 - i) as f64 * bucket;
            let started = starts.partition_point(|s| *s <= t);
            let ended = ends.partition_point(|e| *e <= t);
            Some(started.saturating_sub(ended) as f64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_counts_follow_starts_and_ends() {
        // One from 0 to 30 s, one from 10 s on, one from 20 s to 25 s; buckets of 10 s to 40 s.
        let intervals = [(0.0, Some(30.0)), (10.0, None), (20.0, Some(25.0))];
        let counts = live_counts(&intervals, 40.0, 5, 10.0);
        assert_eq!(
            counts,
            [1.0, 2.0, 3.0, 1.0, 1.0].map(Some).to_vec(),
            "at 0, 10, 20, 30, 40 s"
        );
    }
}
