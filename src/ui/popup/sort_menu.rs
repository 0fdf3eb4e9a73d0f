//! The sort menu: the current table's columns, the sort column marked, one highlighted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{List, ListItem};

use super::frame;
use crate::app::{Command, KeyMap, SortMenu};
use crate::table::{Sort, TableKind};
use crate::ui::Theme;
use crate::ui::table::column_title;

pub(in crate::ui) fn draw(
    f: &mut Frame,
    area: Rect,
    menu: &SortMenu,
    kind: TableKind,
    sort: Sort,
    theme: &Theme,
) {
    let items: Vec<ListItem> = menu
        .columns()
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let mark = match (*col == sort.col, sort.descending) {
                (true, true) => " ▼",
                (true, false) => " ▲",
                (false, _) => "",
            };
            let style = if i == menu.index() {
                theme.selected
            } else {
                theme.base
            };
            ListItem::new(format!(" {}{mark}", column_title(kind, *col))).style(style)
        })
        .collect();
    let height = menu.columns().len() as u16 + 2;
    let inside = frame(f, area, 24, height, " sort by ", theme);
    f.render_widget(List::new(items), inside);
}

/// The hint bar while the menu is open: the keys of the commands it answers to.
pub(in crate::ui) fn hint(keys: &KeyMap) -> String {
    format!(
        " {}{} choose the sort column   {} sort   {} cancel",
        keys.arrow_or_first_key(Command::Up),
        keys.arrow_or_first_key(Command::Down),
        keys.key_for(Command::Enter),
        keys.key_for(Command::Back)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_follows_the_keymap() {
        let mut keys = KeyMap::default();
        assert_eq!(
            hint(&keys),
            " ↑↓ choose the sort column   Enter sort   Esc cancel"
        );
        keys.rebind(Command::Up, &["w".into()]).unwrap();
        keys.rebind(Command::Back, &["x".into(), "esc".into()])
            .unwrap();
        assert_eq!(
            hint(&keys),
            " w↓ choose the sort column   Enter sort   x cancel"
        );
    }
}
