//! The help overlay: every command of the screen with its keys, the filter syntax, what the
//! columns mean.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::frame;
use crate::app::App;
use crate::ui::Theme;
use crate::ui::hints::commands;

pub(in crate::ui) fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let lines = lines(app, theme);
    let inside = frame(f, area, 78, lines.len() as u16 + 4, " turntop help ", theme);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inside);
}

const FILTER_TERMS: [&str; 5] = [
    "  alice            user, realm, id or remote contains it",
    "  user=al realm=ex  one field contains it; id=1.12 matches short ids",
    "  type=tcp state=expired   whole words (TLS/TCP is tcp)",
    "  rate>1MB bytes>10M age>5m left<60 live>3",
    "  !term            invert a term",
];

const ABOUT_RATES: &str = " Rates come from coturn's traffic reports (one per ~4096 packets): a blank sparkline means no report yet, · means zero. Σ≠ marks an allocation whose total_traffic differs from the deltas seen.";

fn lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = commands(app)
        .into_iter()
        .filter_map(|h| {
            let text = h.help_text?;
            let keys = app.keys.keys_for(h.cmd).join(" ");
            Some(Line::from(vec![
                Span::styled(format!(" {keys:>9} "), theme.key),
                Span::raw(text),
            ]))
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Filter terms (all must match):", theme.title));
    lines.extend(FILTER_TERMS.map(Line::raw));
    lines.push(Line::raw(""));
    lines.push(Line::styled(ABOUT_RATES, theme.dim));
    lines
}
