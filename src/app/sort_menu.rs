//! The sort menu's state: the columns it lists and the one highlighted. Commands drive it, not
//! keys, so keys remapped in the config reach it.

use super::Command;
use crate::table::Col;

#[derive(Clone, Debug, PartialEq)]
pub struct SortMenu {
    columns: Vec<Col>,
    index: usize,
}

/// Where a command left the menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortMenuStep {
    Open,
    /// Closed without choosing.
    Closed,
    /// Closed on a column to sort by.
    Chosen(Col),
}

impl SortMenu {
    /// A menu of `columns` with `current` (the sort column) highlighted.
    pub fn new(columns: Vec<Col>, current: Col) -> Self {
        let index = columns.iter().position(|c| *c == current).unwrap_or(0);
        SortMenu { columns, index }
    }

    pub fn columns(&self) -> &[Col] {
        &self.columns
    }

    /// The highlighted row.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Up and Down move, Enter chooses, Back, Quit and SortMenu close; the rest do nothing.
    pub fn on(&mut self, cmd: Command) -> SortMenuStep {
        match cmd {
            Command::Up => self.index = self.index.saturating_sub(1),
            Command::Down => {
                self.index = (self.index + 1).min(self.columns.len().saturating_sub(1))
            }
            Command::Enter => {
                return self
                    .columns
                    .get(self.index)
                    .map_or(SortMenuStep::Closed, |c| SortMenuStep::Chosen(*c));
            }
            Command::Back | Command::Quit | Command::SortMenu => return SortMenuStep::Closed,
            _ => {}
        }
        SortMenuStep::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_on_the_sort_column_and_moves_within_the_list() {
        let mut m = SortMenu::new(vec![Col::User, Col::Rate, Col::Bytes], Col::Rate);
        assert_eq!(m.index(), 1);
        assert_eq!(m.on(Command::Down), SortMenuStep::Open);
        assert_eq!(m.on(Command::Down), SortMenuStep::Open);
        assert_eq!(m.index(), 2, "stops at the last");
        for _ in 0..5 {
            m.on(Command::Up);
        }
        assert_eq!(m.index(), 0, "stops at the first");
        assert_eq!(m.on(Command::Enter), SortMenuStep::Chosen(Col::User));
    }

    #[test]
    fn back_quit_and_its_own_key_close_it_other_commands_do_nothing() {
        let mut m = SortMenu::new(vec![Col::User], Col::Rate);
        assert_eq!(m.index(), 0, "an unlisted sort column highlights the first");
        for cmd in [Command::Back, Command::Quit, Command::SortMenu] {
            assert_eq!(m.on(cmd), SortMenuStep::Closed);
        }
        for cmd in [Command::Filter, Command::Freeze, Command::Top] {
            assert_eq!(m.on(cmd), SortMenuStep::Open);
        }
        let mut empty = SortMenu::new(Vec::new(), Col::Rate);
        assert_eq!(empty.on(Command::Down), SortMenuStep::Open);
        assert_eq!(empty.on(Command::Enter), SortMenuStep::Closed);
    }
}
