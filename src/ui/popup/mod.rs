//! Overlays drawn over the screen: help and the sort menu.

pub(super) mod help;
pub(super) mod sort_menu;

use ratatui::layout::Rect;

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
