//! Sparklines as styled text, for table cells.

use ratatui::style::Style;
use ratatui::text::Span;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline as text: blank where there is no data, `·` for zero, bars scaled to the series.
pub fn sparkline_spans<'a>(values: &[Option<f64>], style: Style, no_data: Style) -> Vec<Span<'a>> {
    let max = values.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
    let mut spans: Vec<Span> = Vec::new();
    let mut run = String::new();
    let mut run_is_data = true;
    for v in values {
        let (c, is_data) = match v {
            None => (' ', false),
            Some(x) if *x <= 0.0 || max <= 0.0 => ('·', false),
            Some(x) => (
                BARS[(((x / max) * 8.0).ceil() as usize).clamp(1, 8) - 1],
                true,
            ),
        };
        if is_data != run_is_data && !run.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut run),
                if run_is_data { style } else { no_data },
            ));
        }
        run_is_data = is_data;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, if run_is_data { style } else { no_data }));
    }
    spans
}
