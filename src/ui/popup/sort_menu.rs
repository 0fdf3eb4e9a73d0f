//! The sort menu: the current table's columns, the sort column marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Clear, List, ListItem};

use super::centered;
use crate::app::App;
use crate::ui::Theme;

pub(in crate::ui) fn draw(f: &mut Frame, area: Rect, app: &App, index: usize, theme: &Theme) {
    let kind = app.current_table_kind();
    let cols = app.table_columns(kind);
    let sort = app.sort(kind);
    let items: Vec<ListItem> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mark = if c.col == sort.col {
                if sort.descending { " ▼" } else { " ▲" }
            } else {
                ""
            };
            let style = if i == index {
                theme.selected
            } else {
                theme.base
            };
            ListItem::new(format!(" {}{mark}", c.title)).style(style)
        })
        .collect();
    let rect = centered(area, 24, cols.len() as u16 + 2);
    f.render_widget(Clear, rect);
    f.render_widget(
        List::new(items).block(Block::bordered().title(Span::styled(" sort by ", theme.title))),
        rect,
    );
}
