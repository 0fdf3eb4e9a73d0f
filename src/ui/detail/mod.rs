//! The detail screen of one allocation: its fields, a chart of its rates, its event log. This
//! file only finds the allocation and splits the area; the parts build their lines apart.

pub(super) mod chart;
mod fields;
mod log;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use crate::app::App;
use crate::model::{Allocation, Model};
use crate::table::{Ctx, RowKey};

pub(super) fn draw(
    f: &mut Frame,
    area: Rect,
    app: &mut App,
    ctx: &Ctx<'_>,
    key: RowKey,
    theme: &Theme,
) {
    let (model, now) = (ctx.model, ctx.now);
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
    let (left, mut right) = fields::lines(ctx, a, &row, theme);
    right.extend(super::coturn_cli::detail_lines(&app.cli, a, theme));
    let (info_height, columns) = info_layout(&left, &right, area.width);
    let info_height = info_height.min(area.height);
    // The fields first (whole, wrapped rather than cut); the chart and the log get what is
    // left, and only when there is room for them to say something.
    let rest = area.height - info_height;
    // A few lines hold a few log entries (scrollable) better than a chart 2 dots high.
    let (chart_height, log_height) = match rest {
        0..=2 => (0, 0),
        3..=9 => (0, rest),
        _ => (rest * 55 / 100, rest - rest * 55 / 100),
    };
    let [info, chart_area, log_area] = Layout::vertical([
        Constraint::Length(info_height),
        Constraint::Length(chart_height),
        Constraint::Length(log_height),
    ])
    .areas(area);
    let wrap = Wrap { trim: false };
    match columns {
        Columns::Two(left_width) => {
            let [l, _, r] = Layout::horizontal([
                Constraint::Length(left_width),
                Constraint::Length(2),
                Constraint::Min(1),
            ])
            .areas(info);
            f.render_widget(Paragraph::new(left).wrap(wrap), l);
            f.render_widget(Paragraph::new(right).wrap(wrap), r);
        }
        Columns::One => {
            let all: Vec<Line> = left.into_iter().chain(right).collect();
            f.render_widget(Paragraph::new(all).wrap(wrap), info);
        }
    }
    if chart_height > 0 {
        chart::draw(f, chart_area, ctx, a, app.history_window(), theme);
    }
    if log_height > 0 {
        let log = log::lines(ctx, a, theme);
        log::draw(f, log_area, log, &mut app.detail_scroll, theme);
    }
}

/// How the fields are laid out: two columns side by side when both fit whole, else one.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Columns {
    /// The left column's width.
    Two(u16),
    One,
}

/// The fields' height and columns for a width: each column as wide as its widest line; one
/// column (lines wrapped, never cut) when the two do not fit side by side.
fn info_layout(left: &[Line<'_>], right: &[Line<'_>], width: u16) -> (u16, Columns) {
    let widest = |lines: &[Line<'_>]| lines.iter().map(Line::width).max().unwrap_or(0);
    let (lw, rw) = (widest(left), widest(right));
    if lw + 2 + rw <= usize::from(width) {
        let height = left.len().max(right.len());
        return (height as u16, Columns::Two(lw as u16));
    }
    let w = usize::from(width.max(1));
    let height: usize = left
        .iter()
        .chain(right)
        // Word wrapping breaks before a word that does not fit: count a little short.
        .map(|l| match l.width() {
            n if n <= w => 1,
            n => n.div_ceil(w.saturating_sub(8).max(1)),
        })
        .sum();
    (height.min(usize::from(u16::MAX)) as u16, Columns::One)
}

/// The allocation a detail screen shows, if it is still known (not evicted, not replaced by
/// another one in its slot).
fn find_allocation(model: &Model, key: RowKey) -> Option<&Allocation> {
    let RowKey::Allocation { slot, id } = key else {
        return None;
    };
    model
        .allocation_at(slot)
        .filter(|a| a.id.0 == id && a.state(f64::NEG_INFINITY).is_some())
}

#[cfg(test)]
pub(super) mod tests {
    use ratatui::text::Line;

    use crate::coturn::{AllocationId, EventKind, Leg, channel_name};
    use crate::model::{Model, Time};

    /// The text of a line, without its styles.
    pub(crate) fn text(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    /// alice's allocation, new at 100 s, with client traffic reported at 105 s and 110 s (and
    /// peer traffic at 110 s); `deleted`: deleted at 110 s with coturn's client total. The
    /// clock reads 112 s.
    pub(crate) fn model_with_traffic(deleted: bool) -> (Model, Time) {
        let mut m = Model::default();
        let ep = m.add_endpoint("127.0.0.1:6379");
        let ch = |kind| channel_name(Some("r.example"), "alice", AllocationId(7), kind);
        let status = ch(EventKind::Status);
        m.apply_raw(
            ep,
            100.0,
            &status,
            b"new lifetime=600, type=UDP, local=10.0.0.1:3478, remote=10.0.0.9:4000, ssl=NONE, cipher=NONE",
        );
        let client = ch(EventKind::Traffic(Leg::Client));
        m.apply_raw(
            ep,
            105.0,
            &client,
            b"rcvp=1, rcvb=1000, sentp=1, sentb=1000",
        );
        m.apply_raw(ep, 110.0, &client, b"rcvp=2, rcvb=2000, sentp=0, sentb=0");
        let peer = ch(EventKind::Traffic(Leg::Peer));
        m.apply_raw(ep, 110.0, &peer, b"rcvp=0, rcvb=0, sentp=0, sentb=0");
        if deleted {
            m.apply_raw(ep, 110.0, &status, b"deleted");
            let total = ch(EventKind::TotalTraffic(Leg::Client));
            m.apply_raw(ep, 110.0, &total, b"rcvp=3, rcvb=3000, sentp=1, sentb=1000");
        }
        (m, 112.0)
    }
}
