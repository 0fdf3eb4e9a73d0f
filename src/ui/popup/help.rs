//! The help overlay: every key and what it does, the filter syntax, what the columns mean.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use crate::app::{App, Command};
use crate::ui::Theme;

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

pub(in crate::ui) fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
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
