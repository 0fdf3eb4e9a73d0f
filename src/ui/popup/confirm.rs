//! The confirmation popup: the question, then its keys (`y` yes, any other key no). The state
//! and its keys are `app::Confirm`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::frame;
use crate::app::Confirm;
use crate::ui::Theme;

/// The widest the box gets; longer questions wrap.
const MAX_WIDTH: u16 = 60;
const MIN_WIDTH: u16 = 30;

/// Draws the question if it is asked. The message is drawn as given: callers build it from
/// sanitized names (the model's display names).
pub(in crate::ui) fn draw<T>(f: &mut Frame, area: Rect, confirm: &Confirm<T>, theme: &Theme) {
    let Some(message) = confirm.message() else {
        return;
    };
    let question = format!(" {message}");
    let width = (question.width() as u16 + 3).clamp(MIN_WIDTH, MAX_WIDTH);
    let inside_width = usize::from(width - 2);
    // Rows the question wraps to (one more where a word break may need it), a blank, the keys.
    let rows = question.width().div_ceil(inside_width);
    let rows = if rows > 1 { rows + 1 } else { rows };
    let lines = vec![
        Line::raw(question),
        Line::raw(""),
        Line::from(vec![
            Span::styled(" y", theme.key),
            Span::raw(" yes   "),
            Span::styled("any other key", theme.key),
            Span::raw(" no"),
        ]),
    ];
    let height = rows as u16 + 4;
    let inside = frame(f, area, width, height, " confirm ", theme);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inside);
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::ui::ThemeName;

    fn render(confirm: &Confirm<u32>, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("test backend");
        let theme = Theme::new(ThemeName::None);
        t.draw(|f| {
            // Something under it, so the snapshot shows what the popup clears.
            f.render_widget(
                Paragraph::new("x".repeat(usize::from(w * h))).wrap(Wrap { trim: false }),
                f.area(),
            );
            draw(f, f.area(), confirm, &theme);
        })
        .expect("draw");
        t
    }

    #[test]
    fn a_question_and_its_keys_in_a_centered_box() {
        let mut c = Confirm::default();
        c.ask("Cancel allocation 1.12 of alice@lab.example?", 12);
        insta::assert_snapshot!("confirm_70x9", render(&c, 70, 9).backend());
    }

    #[test]
    fn a_long_question_wraps_inside_the_box() {
        let mut c = Confirm::default();
        c.ask(
            "Cancel all 17 allocations of 1795641736:a-rather-long-rest-username at realm lab.example?",
            1,
        );
        let t = render(&c, 80, 12);
        let text = t.backend().to_string();
        for want in ["Cancel all 17", "lab.example?", "y yes   any other key no"] {
            assert!(text.contains(want), "{want:?} not in\n{text}");
        }
    }

    #[test]
    fn hidden_draws_nothing() {
        let c: Confirm<u32> = Confirm::default();
        let text = render(&c, 40, 6).backend().to_string();
        assert!(!text.contains("confirm"), "{text}");
    }
}
