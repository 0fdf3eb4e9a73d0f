//! Overlays drawn over the screen (help, the sort menu, a confirmation), each in a box from
//! [`frame`].

pub(super) mod confirm;
pub(super) mod help;
pub(super) mod sort_menu;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Clear};

use super::Theme;

/// Clears a `width`×`height` box centered in `area` (smaller if `area` is), draws its border
/// and title, and returns the inside to draw the popup's content in.
pub(super) fn frame(
    f: &mut Frame,
    area: Rect,
    width: u16,
    height: u16,
    title: &str,
    theme: &Theme,
) -> Rect {
    let rect = centered(area, width, height);
    let block = Block::bordered().title(Span::styled(title.to_owned(), theme.title));
    let inside = block.inner(rect);
    f.render_widget(Clear, rect);
    f.render_widget(block, rect);
    inside
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
