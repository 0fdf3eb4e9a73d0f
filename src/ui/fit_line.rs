//! One line of items that must fit a width: whole items are dropped by priority (highest
//! number first, the later of equals first), never cut mid-figure or mid-word. The header's
//! lines and the hint bar use it.

use ratatui::text::{Line, Span};

/// One item of a line: its spans stay together.
pub(super) struct Item<'a> {
    /// 0 is never dropped; higher numbers go first.
    pub priority: u8,
    pub spans: Vec<Span<'a>>,
}

impl<'a> Item<'a> {
    pub fn new(priority: u8, spans: Vec<Span<'a>>) -> Self {
        Item { priority, spans }
    }

    fn width(&self) -> usize {
        self.spans.iter().map(Span::width).sum()
    }
}

/// The items that fit `width`, in their order.
pub(super) fn fit(mut items: Vec<Item<'_>>, width: u16) -> Line<'_> {
    let width = usize::from(width);
    while items.iter().map(Item::width).sum::<usize>() > width {
        let drop = items
            .iter()
            .enumerate()
            .filter(|(_, it)| it.priority > 0)
            .max_by_key(|(i, it)| (it.priority, *i))
            .map(|(i, _)| i);
        match drop {
            Some(i) => {
                items.remove(i);
            }
            None => break,
        }
    }
    Line::from(
        items
            .into_iter()
            .flat_map(|it| it.spans)
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn drops_whole_items_by_priority() {
        let items = || {
            vec![
                Item::new(0, vec![Span::raw(" live 3")]),
                Item::new(2, vec![Span::raw("  client ↓1.2MB/s ↑3kB/s")]),
                Item::new(3, vec![Span::raw("  peer ↓29.4MB/s")]),
                Item::new(4, vec![Span::raw("  window 10m")]),
            ]
        };
        assert_eq!(
            text(&fit(items(), 80)),
            " live 3  client ↓1.2MB/s ↑3kB/s  peer ↓29.4MB/s  window 10m"
        );
        assert_eq!(text(&fit(items(), 40)), " live 3  client ↓1.2MB/s ↑3kB/s");
        assert_eq!(text(&fit(items(), 20)), " live 3");
        assert_eq!(text(&fit(items(), 3)), " live 3", "priority 0 stays");
    }
}
