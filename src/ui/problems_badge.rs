//! The header's problems badge: counts by severity, coloured, each with a glyph so that it reads
//! without colour (NO_COLOR) too; short enough for a 60-column terminal. Also the glyph and
//! word of a severity in the Problems view.

use ratatui::text::Span;

use super::Theme;
use crate::model::{Problems, Severity};

pub(super) fn severity_glyph(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "✖",
        Severity::Warning => "▲",
    }
}

pub(super) fn severity_style(s: Severity, theme: &Theme) -> ratatui::style::Style {
    match s {
        Severity::Critical => theme.bad,
        Severity::Warning => theme.warn,
    }
}

/// `✖ critical` / `▲ warning`.
pub(super) fn severity_span(s: Severity, theme: &Theme) -> Span<'static> {
    Span::styled(
        format!("{} {}", severity_glyph(s), s.name()),
        severity_style(s, theme),
    )
}

/// `✖ 2 crit ▲ 3 warn` or `✓ no problems`, and a gap before what follows.
pub(super) fn badge_spans(problems: &Problems, theme: &Theme) -> Vec<Span<'static>> {
    if problems.is_empty() {
        return vec![Span::styled("✓ no problems", theme.good), Span::raw("  ")];
    }
    let mut spans = Vec::new();
    for (s, word) in [(Severity::Critical, "crit"), (Severity::Warning, "warn")] {
        let n = problems.count(s);
        if n > 0 {
            spans.push(Span::styled(
                format!("{} {n} {word}", severity_glyph(s)),
                severity_style(s, theme),
            ));
            spans.push(Span::raw(" "));
        }
    }
    spans.push(Span::raw(" "));
    spans
}
