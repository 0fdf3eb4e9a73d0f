//! The rate chart of the detail screen: each leg's rate over the history window as braille
//! lines, cut where there is no data.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType};

use crate::coturn::Leg;
use crate::format;
use crate::model::{Allocation, Model, Time};
use crate::table::Ctx;
use crate::ui::Theme;

/// A leg's rate as points (seconds before now, bytes/s) with data all along.
pub(in crate::ui) struct Segment {
    pub leg: Leg,
    pub points: Vec<(f64, f64)>,
}

/// The chart's lines over the last `window` seconds in `n` buckets, client first: a line stops
/// at a bucket without data and starts again after it. Also the highest rate (0 without data).
pub(super) fn segments(
    model: &Model,
    a: &Allocation,
    now: Time,
    window: f64,
    n: usize,
) -> (Vec<Segment>, f64) {
    let bucket = window / n as f64;
    let series =
        [Leg::Client, Leg::Peer].map(|leg| (leg, model.allocation_history(a, leg, now, n, bucket)));
    segments_of(&series, window)
}

/// The same from each leg's series (bytes/s per bucket, the last ending at the chart's end).
pub(in crate::ui) fn segments_of(
    series: &[(Leg, Vec<Option<f64>>)],
    window: f64,
) -> (Vec<Segment>, f64) {
    let mut segments = Vec::new();
    let mut max: f64 = 0.0;
    for (leg, values) in series {
        let bucket = window / values.len().max(1) as f64;
        let mut points: Vec<(f64, f64)> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let x = -window + (i as f64 + 0.5) * bucket;
            match v {
                Some(v) => {
                    max = max.max(*v);
                    points.push((x, *v));
                }
                None if !points.is_empty() => segments.push(Segment {
                    leg: *leg,
                    points: std::mem::take(&mut points),
                }),
                None => {}
            }
        }
        if !points.is_empty() {
            segments.push(Segment { leg: *leg, points });
        }
    }
    (segments, max)
}

/// How many buckets a chart `width` cells wide draws: two braille dots per cell beside the y
/// axis labels.
pub(in crate::ui) fn buckets_for(width: u16) -> usize {
    usize::from(width.saturating_sub(10).max(10)) * 2
}

/// The time the chart spans: the history window up to now, or, for an ended allocation whose
/// start is known, its life (start to end), so a short one is not squeezed into a few pixels
/// at the edge of a long window. Returns (the chart's right end, its span, that end's label).
pub(super) fn span(a: &Allocation, now: Time, window: f64) -> (Time, f64, &'static str) {
    match (a.ended_at, a.first_seen) {
        (Some(end), Some(start)) if end <= now => (end, (end - start).clamp(2.0, window), "end"),
        _ => (now, window, "now"),
    }
}

pub(super) fn draw(
    f: &mut Frame,
    area: Rect,
    ctx: &Ctx<'_>,
    a: &Allocation,
    window: f64,
    theme: &Theme,
) {
    let (end, window, end_label) = span(a, ctx.now, window);
    let (segments, max) = segments(ctx.model, a, end, window, buckets_for(area.width));
    let what = if end_label == "end" {
        format!(" rates over its life of {} ", format::duration(window))
    } else {
        format!(" rates over the last {} ", format::duration(window))
    };
    draw_segments(f, area, &segments, max, window, end_label, what, ctx, theme);
}

/// Draws rate lines over `window` seconds up to `end_label`, titled `what`, with the legend in
/// the title line (never over the data).
#[allow(clippy::too_many_arguments)]
pub(in crate::ui) fn draw_segments(
    f: &mut Frame,
    area: Rect,
    segments: &[Segment],
    max: f64,
    window: f64,
    end_label: &'static str,
    what: String,
    ctx: &Ctx<'_>,
    theme: &Theme,
) {
    let top = if max > 0.0 { max * 1.1 } else { 1.0 };
    let title = Line::from(vec![
        Span::styled(what, theme.title),
        Span::styled("(bytes/s, both directions)  ", theme.dim),
        Span::styled("⣀⣀ client", theme.leg(Leg::Client)),
        Span::raw("  "),
        Span::styled("⣀⣀ peer ", theme.leg(Leg::Peer)),
    ]);
    let chart = Chart::new(datasets(segments, theme))
        .legend_position(None)
        .block(
            Block::default()
                .borders(Borders::TOP)
                .title(title)
                .border_style(theme.dim),
        )
        .x_axis(
            Axis::default()
                .bounds([-window, 0.0])
                .labels(vec![
                    Span::raw(format!("-{}", format::duration(window))),
                    Span::raw(end_label),
                ])
                .style(theme.dim),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels(vec![
                    Span::raw("0"),
                    Span::raw(format::rate(top, ctx.units)),
                ])
                .style(theme.dim),
        );
    f.render_widget(chart, area);
}

/// One dataset per segment; the first of each leg carries its name for the legend.
fn datasets<'a>(segments: &'a [Segment], theme: &Theme) -> Vec<Dataset<'a>> {
    let mut named = [false, false];
    segments
        .iter()
        .map(|s| {
            let graph = if s.points.len() > 1 {
                GraphType::Line
            } else {
                GraphType::Scatter
            };
            let mut d = Dataset::default()
                .marker(symbols::Marker::Braille)
                .graph_type(graph)
                .style(theme.leg(s.leg))
                .data(&s.points);
            let i = usize::from(s.leg == Leg::Peer);
            if !named[i] {
                d = d.name(match s.leg {
                    Leg::Client => "client",
                    Leg::Peer => "peer",
                });
                named[i] = true;
            }
            d
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::model_with_traffic;
    use super::*;

    #[test]
    fn each_leg_with_data_makes_a_line_ending_now() {
        let (model, now) = model_with_traffic(false);
        let a = model.allocations().next().expect("allocation");
        let (segments, max) = segments(&model, a, now, 60.0, 60);
        assert!(max > 0.0);
        assert!(!segments.is_empty());
        for s in &segments {
            assert!(
                s.points
                    .iter()
                    .all(|(x, y)| (-60.0..0.0).contains(x) && *y >= 0.0)
            );
            assert!(
                s.points.windows(2).all(|w| w[0].0 < w[1].0),
                "in time order"
            );
        }
        assert_eq!(segments[0].leg, Leg::Client, "client first");
    }

    #[test]
    fn an_ended_allocation_is_charted_over_its_life() {
        let (model, now) = model_with_traffic(true);
        let a = model.allocations().next().expect("allocation");
        // New at 100 s, deleted at 110 s, the clock at 112 s.
        assert_eq!(span(a, now, 600.0), (110.0, 10.0, "end"));
        assert_eq!(
            span(a, 1000.0, 600.0).1,
            10.0,
            "it does not grow after the end"
        );
        let (live, now) = model_with_traffic(false);
        let a = live.allocations().next().expect("allocation");
        assert_eq!(span(a, now, 600.0), (now, 600.0, "now"));
    }

    #[test]
    fn no_traffic_no_line() {
        let mut model = Model::default();
        let ep = model.add_endpoint("x");
        let ch = crate::coturn::channel_name(
            Some("r"),
            "u",
            crate::coturn::AllocationId(1),
            crate::coturn::EventKind::Status,
        );
        model.apply_raw(ep, 100.0, &ch, b"new lifetime=600, type=UDP");
        let a = model.allocations().next().expect("allocation");
        let (segments, max) = segments(&model, a, 110.0, 60.0, 60);
        assert!(segments.is_empty() && max == 0.0);
    }
}
