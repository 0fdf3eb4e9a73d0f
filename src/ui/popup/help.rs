//! The help overlay: every command of the screen with its keys, the filter syntax, what the
//! columns mean. Lines are wrapped to the box and scroll (j/k, PgUp/PgDn) when the terminal is
//! too short for all of them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::frame;
use crate::app::{App, Command};
use crate::ui::Theme;
use crate::ui::hints::commands;

/// Width of the key column (right-aligned keys, then a space).
const KEYS: usize = 11;

pub(in crate::ui) fn draw(f: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let width = area.width.min(78).saturating_sub(2);
    let lines = lines(app, theme, usize::from(width));
    let inside = frame(f, area, 78, lines.len() as u16 + 2, "", theme);
    let page = usize::from(inside.height);
    let first = app.help_scroll.fit(lines.len(), page);
    let more = lines.len() > page;
    let title = if more {
        format!(
            " turntop help {}-{}/{} (j ↓ k ↑ PgDn PgUp) ",
            first + 1,
            (first + page).min(lines.len()),
            lines.len()
        )
    } else {
        " turntop help ".to_owned()
    };
    let title_area = Rect {
        x: inside.x,
        y: inside.y.saturating_sub(1),
        width: inside.width,
        height: 1,
    };
    f.render_widget(Paragraph::new(Line::styled(title, theme.title)), title_area);
    let shown: Vec<Line> = lines.into_iter().skip(first).take(page).collect();
    f.render_widget(Paragraph::new(shown), inside);
}

const FILTER_TERMS: [&str; 5] = [
    "  alice            user, realm, id or remote contains it",
    "  user=al realm=ex  one field contains it; id=1.12 matches short ids",
    "  type=tcp state=expired   whole words (TLS/TCP is tcp)",
    "  rate>1MB bytes>10M age>5m left<60 live>3",
    "  !term            invert a term",
];

const ABOUT_RATES: &str = "Rates come from coturn's traffic reports (one per ~4096 packets): a blank sparkline means no report yet, · means zero. Σ≠ marks an allocation whose total_traffic differs from the deltas seen.";

/// The keys a help line names: moving down and up share one line (`j ↓ k ↑`).
fn keys_of(app: &App, cmd: Command) -> String {
    match cmd {
        Command::Up => [app.keys.keys_for(Command::Down), app.keys.keys_for(cmd)]
            .concat()
            .join(" "),
        _ => app.keys.keys_for(cmd).join(" "),
    }
}

fn lines(app: &App, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let text_width = width.saturating_sub(KEYS).max(10);
    let mut lines = Vec::new();
    for h in commands(app) {
        let Some(text) = h.help_text else { continue };
        let keys = keys_of(app, h.cmd);
        for (i, part) in wrap(&text, text_width).into_iter().enumerate() {
            let keys = if i == 0 { keys.as_str() } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!(" {keys:>w$} ", w = KEYS - 2), theme.key),
                Span::raw(part),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Filter terms (all must match):", theme.title));
    for term in FILTER_TERMS {
        lines.extend(wrapped(term, width, Style::default()));
    }
    lines.push(Line::raw(""));
    lines.extend(wrapped(ABOUT_RATES, width.saturating_sub(1), theme.dim));
    lines
}

fn wrapped(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, width.max(10))
        .into_iter()
        .map(|l| Line::styled(format!(" {l}"), style))
        .collect()
}

/// Word wrap to `width` columns (a word longer than that is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    if text.chars().count() <= width {
        return vec![text.to_owned()];
    }
    let lead: String = text.chars().take_while(|c| *c == ' ').collect();
    let mut out = Vec::new();
    let mut line = lead.clone();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        let sep = usize::from(len > lead.len());
        if len + sep + word.chars().count() > width && len > lead.len() {
            out.push(std::mem::replace(&mut line, lead.clone()));
        } else if sep == 1 {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_words() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("  x y", 40), ["  x y"]);
    }
}
