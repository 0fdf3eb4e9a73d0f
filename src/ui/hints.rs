//! The hint bar: the main keys of the current screen or mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::{App, Command, Mode, Screen};
use crate::table::TableKind;

fn hint_spans<'a>(app: &App, items: &[(Command, &'a str)], theme: &Theme) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    for (cmd, label) in items {
        spans.push(Span::styled(
            format!(" {}", app.keys.key_for(*cmd)),
            theme.key,
        ));
        spans.push(Span::raw(format!(" {label} ")));
    }
    spans
}

pub(super) fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let spans = match (&app.mode, app.screen()) {
        (Mode::Filter { .. }, _) => vec![Span::raw(
            " type a filter: text, user=, realm=, type=tcp, state=expired, rate>1MB, !term   Enter/Esc done   ^U clear",
        )],
        (Mode::SortMenu { .. }, _) => vec![Span::raw(
            " ↑↓ choose the sort column   Enter sort   Esc cancel",
        )],
        (Mode::Help, _) => vec![Span::raw(" any key closes help")],
        (Mode::Normal, Screen::Detail { .. }) => hint_spans(
            app,
            &[
                (Command::Back, "back"),
                (Command::Down, "scroll log"),
                (Command::ZoomIn, "zoom"),
                (Command::Freeze, "freeze"),
                (Command::Help, "help"),
                (Command::Quit, "quit"),
            ],
            theme,
        ),
        (Mode::Normal, Screen::Table { kind, .. }) => {
            let drill = match kind {
                TableKind::Realms => "users",
                TableKind::Users => "allocations",
                TableKind::Allocations => "detail",
            };
            let mut items = vec![
                (Command::Quit, "quit"),
                (Command::Help, "help"),
                (Command::Filter, "filter"),
                (Command::SortNext, "sort"),
                (Command::SortReverse, "reverse"),
                (Command::Enter, drill),
            ];
            if app.stack.len() > 1 {
                items.push((Command::Back, "back"));
            }
            items.extend([
                (Command::NextView, "view"),
                (
                    Command::Freeze,
                    if app.frozen { "unfreeze" } else { "freeze" },
                ),
                (Command::ZoomIn, "zoom"),
            ]);
            if app.replay {
                items.extend([
                    (Command::Pause, if app.paused { "resume" } else { "pause" }),
                    (Command::Step, "step"),
                ]);
            }
            hint_spans(app, &items, theme)
        }
    };
    f.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}
