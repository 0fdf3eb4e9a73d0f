//! Application state and key handling (pure): the view stack (drill-down), selection, sort,
//! filter, freeze, zoom. Keys become [`Command`]s through a remappable [`KeyMap`] (`keys`);
//! commands update the state; the event loop acts on the [`Action`]s they return (quit, freeze,
//! suspend). A popup keeps its own state and answers commands or keys (`sort_menu`,
//! `confirm`); the detail log's [`Scroll`] is bounded by what was last drawn (`scroll`).

mod cancel;
mod confirm;
mod keys;
mod scroll;
mod sort_menu;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use crate::filter::Filter;
use crate::format::RateUnits;
use crate::model::Subject;
use crate::table::{self, Col, RowKey, Scope, Sort, TableKind};
pub use cancel::{CancelTarget, selected_allocation, target as cancel_target, user_on_screen};
pub use confirm::{Answer, Confirm};
pub use keys::{
    Command, KeyConflict, KeyMap, check_bindings, command_name, default_keys, parse_key,
};
pub use scroll::Scroll;
pub use sort_menu::{SortMenu, SortMenuStep};

/// History windows `+`/`-` step through, in seconds.
pub const ZOOM_LEVELS: [f64; 6] = [30.0, 60.0, 120.0, 300.0, 600.0, 1800.0];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Table {
        kind: TableKind,
        scope: Scope,
    },
    /// One allocation: all fields, a chart of its rates, its event log.
    Detail {
        key: RowKey,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub screen: Screen,
    /// Index of the selected row in the last frame's rows.
    pub selected: usize,
    /// Identity of the selected row: the selection follows it when rows move.
    pub selected_key: Option<RowKey>,
    /// First row shown.
    pub offset: usize,
    /// Rows in the last frame, and how many fit on screen.
    pub len: usize,
    pub page: usize,
    /// Row identities around the rows on screen in the last frame (`keys[0]` is row
    /// `keys_from`), so a key pressed before the next frame (j then Enter, typed fast) acts on
    /// the row it moved to. Further moves select by index until the next frame.
    pub keys: Vec<RowKey>,
    pub keys_from: usize,
    /// The user moved the selection. Until then it stays on the first row and the window at
    /// the top, so rows that sort above it (a new heavy hitter) come into view, as in top.
    pub moved: bool,
}

impl Level {
    fn key_at(&self, index: usize) -> Option<RowKey> {
        index
            .checked_sub(self.keys_from)
            .and_then(|i| self.keys.get(i))
            .copied()
    }

    fn new(screen: Screen) -> Self {
        Level {
            screen,
            selected: 0,
            selected_key: None,
            offset: 0,
            len: 0,
            page: 10,
            keys: Vec::new(),
            keys_from: 0,
            moved: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Normal,
    /// Typing a filter; applied as you type.
    Filter {
        input: String,
    },
    /// Choosing the sort column from a list.
    SortMenu(SortMenu),
    Help,
}

/// What the event loop must do after a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    None,
    Quit,
    /// Freeze was toggled: take (or drop) a snapshot of the model.
    Freeze(bool),
    Suspend,
    /// A replay was paused (`true`) or resumed.
    Pause(bool),
    /// A replay should deliver its next message.
    Step,
    /// `K`, `y`: cancel this session through its coturn's CLI (`cs <id>`).
    Cancel {
        endpoint: u16,
        id: u64,
    },
}

#[derive(Clone, Debug)]
pub struct App {
    pub stack: Vec<Level>,
    pub sorts: [Sort; TableKind::COUNT],
    pub filter: Filter,
    pub filter_error: Option<String>,
    pub mode: Mode,
    pub frozen: bool,
    pub zoom: usize,
    pub units: RateUnits,
    pub keys: KeyMap,
    pub mouse: bool,
    /// Columns the user configured per table (`None` = all, by priority).
    pub columns: [Option<Vec<Col>>; TableKind::COUNT],
    /// Detail screen: scroll of the event log.
    pub detail_scroll: Scroll,
    /// Showing a replay: pause and step apply (and the hints and help show them).
    pub replay: bool,
    /// The replay is paused.
    pub paused: bool,
    /// A selection the user moved follows its row when rows move (htop's follow); off, it
    /// stays on its line of the screen.
    pub follow: bool,
    /// First line of the help shown (it scrolls on small terminals).
    pub help_scroll: Scroll,
    /// Set by the loop: nothing changed since the last full pass over the allocations (no
    /// event, key or resize) and it is recent, so the next frame may keep its order and
    /// totals ([`table::OrderCache`]) and build only the rows on screen.
    pub reuse_order: bool,
    pub order_cache: table::OrderCache,
    /// Ring the terminal bell when a new critical problem appears (`--bell`).
    pub bell: bool,
    /// What coturn's CLIs said (peers, counts, states), and whether `K` may cancel.
    pub cli: crate::coturn_cli::CliView,
    /// What `K` would cancel, or why it cannot: worked out each frame.
    pub cancel: Result<CancelTarget, &'static str>,
    pub confirm: Confirm<CancelTarget>,
}

impl App {
    pub fn new(view: TableKind) -> Self {
        App {
            stack: vec![Level::new(Screen::Table {
                kind: view,
                scope: Scope::All,
            })],
            sorts: std::array::from_fn(|i| Sort {
                // Problems: critical first (then newest first, their order).
                col: if i == TableKind::Problems.index() {
                    Col::Severity
                } else {
                    Col::Rate
                },
                descending: true,
            }),
            filter: Filter::default(),
            filter_error: None,
            mode: Mode::Normal,
            frozen: false,
            zoom: 4,
            units: RateUnits::Bytes,
            keys: KeyMap::default(),
            mouse: false,
            columns: Default::default(),
            detail_scroll: Scroll::default(),
            replay: false,
            paused: false,
            follow: true,
            help_scroll: Scroll::default(),
            reuse_order: false,
            order_cache: table::OrderCache::default(),
            bell: false,
            cli: Default::default(),
            cancel: Err("no coturn CLI"),
            confirm: Confirm::default(),
        }
    }

    /// Whether to ring the bell now: a critical problem appeared since the last tick and the
    /// bell is on. Each appearance is taken once, rung or not.
    pub fn bell_due(&self, model: &mut crate::model::Model) -> bool {
        model.take_new_critical() && self.bell
    }

    pub fn level(&self) -> &Level {
        self.stack.last().expect("the view stack is never empty")
    }

    pub fn level_mut(&mut self) -> &mut Level {
        self.stack
            .last_mut()
            .expect("the view stack is never empty")
    }

    pub fn screen(&self) -> Screen {
        self.level().screen
    }

    /// The command that shows a top-level table (its tab's key).
    pub fn view_command(kind: TableKind) -> Command {
        match kind {
            TableKind::Allocations => Command::Allocations,
            TableKind::Users => Command::Users,
            TableKind::Realms => Command::Realms,
            TableKind::Problems => Command::Problems,
            TableKind::Servers => Command::Servers,
        }
    }

    /// The top-level table (what Tab cycles).
    pub fn top_kind(&self) -> TableKind {
        match self.stack[0].screen {
            Screen::Table { kind, .. } => kind,
            Screen::Detail { .. } => TableKind::Allocations,
        }
    }

    pub fn sort(&self, kind: TableKind) -> Sort {
        self.sorts[kind.index()]
    }

    pub fn history_window(&self) -> f64 {
        ZOOM_LEVELS[self.zoom.min(ZOOM_LEVELS.len() - 1)]
    }

    pub fn set_history_window(&mut self, secs: f64) {
        self.zoom = ZOOM_LEVELS
            .iter()
            .position(|&z| z >= secs)
            .unwrap_or(ZOOM_LEVELS.len() - 1);
    }

    /// The columns a table may show (before narrow terminals drop some).
    pub fn table_columns(&self, kind: TableKind) -> Vec<table::ColumnSpec> {
        let all = table::columns(kind);
        let mut cols = match &self.columns[kind.index()] {
            Some(cols) => cols
                .iter()
                .filter_map(|c| all.iter().find(|s| s.col == *c).copied())
                .collect(),
            None => all.to_vec(),
        };
        // PEERS comes from coturn's CLI: only while one is up.
        if !self.cli.any_up() {
            cols.retain(|c| c.col != Col::Peers);
        }
        cols
    }

    /// After a frame's rows are counted: keep the selection on the same row (`selected_at`:
    /// where the selected row is now, if it is still there), clamp, scroll. Returns the rows to
    /// show.
    pub fn reconcile(
        &mut self,
        len: usize,
        page: usize,
        selected_at: Option<usize>,
    ) -> std::ops::Range<usize> {
        let follow = self.follow;
        let level = self.level_mut();
        level.len = len;
        level.page = page.max(1);
        if !level.moved {
            level.selected = 0;
            level.offset = 0;
        } else if let Some(i) = selected_at.filter(|_| follow) {
            level.selected = i;
        }
        level.selected = level.selected.min(len.saturating_sub(1));
        if level.selected < level.offset {
            level.offset = level.selected;
        } else if level.selected >= level.offset + level.page {
            level.offset = level.selected + 1 - level.page;
        }
        level.offset = level.offset.min(len.saturating_sub(level.page));
        level.offset..(level.offset + level.page).min(len)
    }

    /// The identities of rows `from..` in this frame (at least the selected one): the selection
    /// follows its row from now on.
    pub fn set_row_keys(&mut self, from: usize, keys: Vec<RowKey>) {
        let level = self.level_mut();
        level.keys_from = from;
        level.keys = keys;
        level.selected_key = level.key_at(level.selected);
    }

    fn move_selection(&mut self, to: isize) {
        let level = self.level_mut();
        let max = level.len.saturating_sub(1) as isize;
        level.selected = to.clamp(0, max.max(0)) as usize;
        level.selected_key = level.key_at(level.selected);
        level.moved = true;
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Action {
        // A message (a cancel's outcome) stays until the next key.
        self.cli.message = None;
        // The confirmation takes every key while it is asked.
        match self.confirm.on_key(&key) {
            Some(Answer::Yes(t)) => {
                return Action::Cancel {
                    endpoint: t.endpoint,
                    id: t.id,
                };
            }
            Some(Answer::No) => return Action::None,
            None => {}
        }
        match &mut self.mode {
            Mode::Filter { input } => {
                match key.code {
                    // An invalid filter is not taken: Enter leaves it on screen with the reason
                    // (the filter in effect stays the last valid one); Esc gives it up.
                    KeyCode::Enter if self.filter_error.is_some() => {}
                    KeyCode::Enter => self.mode = Mode::Normal,
                    KeyCode::Esc => {
                        self.filter_error = None;
                        self.mode = Mode::Normal;
                    }
                    KeyCode::Backspace => {
                        input.pop();
                        let text = input.clone();
                        self.set_filter(&text);
                    }
                    KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        self.set_filter("");
                        self.mode = Mode::Filter {
                            input: String::new(),
                        };
                    }
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Action::Quit;
                    }
                    KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                        input.push(c);
                        let text = input.clone();
                        self.set_filter(&text);
                    }
                    _ => {}
                }
                return Action::None;
            }
            Mode::SortMenu(menu) => {
                let step = match self.keys.command(&key) {
                    Some(cmd) => menu.on(cmd),
                    None => SortMenuStep::Open,
                };
                if let SortMenuStep::Chosen(col) = step {
                    self.set_sort_column(self.current_table_kind(), col);
                }
                if step != SortMenuStep::Open {
                    self.mode = Mode::Normal;
                }
                return Action::None;
            }
            Mode::Help => {
                // The moving keys scroll the help; any other key closes it; quitting still
                // works from it.
                let cmd = self.keys.command(&key);
                let page = self.help_scroll.page() as isize;
                match cmd {
                    Some(Command::Up) => self.help_scroll.by(-1),
                    Some(Command::Down) => self.help_scroll.by(1),
                    Some(Command::PageUp | Command::HalfPageUp) => self.help_scroll.by(-page),
                    Some(Command::PageDown | Command::HalfPageDown) => self.help_scroll.by(page),
                    Some(Command::Top) => self.help_scroll.by(isize::MIN / 2),
                    Some(Command::Bottom) => self.help_scroll.by(isize::MAX / 2),
                    Some(Command::Quit) => return Action::Quit,
                    _ => {
                        self.mode = Mode::Normal;
                        self.help_scroll.reset();
                    }
                }
                return Action::None;
            }
            Mode::Normal => {}
        }
        match self.keys.command(&key) {
            Some(cmd) => self.run(cmd),
            None => Action::None,
        }
    }

    /// The kind of table the current screen shows (the detail screen belongs to allocations).
    pub fn current_table_kind(&self) -> TableKind {
        match self.screen() {
            Screen::Table { kind, .. } => kind,
            Screen::Detail { .. } => TableKind::Allocations,
        }
    }

    pub fn set_filter(&mut self, text: &str) {
        match Filter::parse(text) {
            Ok(f) => {
                self.filter = f;
                self.filter_error = None;
            }
            // Keep the last good filter while the user is still typing a term.
            Err(e) => self.filter_error = Some(e.0),
        }
    }

    /// What the table title says about the filter besides the filter itself: why the text
    /// being typed is invalid, or that a term cannot apply to this view (`live>3` on
    /// allocations).
    pub fn filter_note(&self, kind: TableKind) -> Option<String> {
        if let Some(e) = &self.filter_error {
            return Some(e.clone());
        }
        self.filter
            .inapplicable(kind.name(), |col| table::has_column(kind, col))
    }

    /// The columns a table may be sorted by: PEERS is known for one user only.
    fn sortable_columns(&self, kind: TableKind) -> Vec<Col> {
        self.table_columns(kind)
            .iter()
            .map(|c| c.col)
            .filter(|c| *c != Col::Peers)
            .collect()
    }

    pub fn set_sort_column(&mut self, kind: TableKind, col: Col) {
        if col == Col::Peers {
            return;
        }
        let sort = &mut self.sorts[kind.index()];
        if sort.col == col {
            sort.descending = !sort.descending;
        } else {
            *sort = Sort {
                col,
                descending: col.default_descending(),
            };
        }
    }

    fn cycle_sort(&mut self, step: isize) {
        let kind = self.current_table_kind();
        let cols: Vec<Col> = self.sortable_columns(kind);
        if cols.is_empty() {
            return;
        }
        let current = cols
            .iter()
            .position(|c| *c == self.sorts[kind.index()].col)
            .unwrap_or(0) as isize;
        let next = cols[(current + step).rem_euclid(cols.len() as isize) as usize];
        self.sorts[kind.index()] = Sort {
            col: next,
            descending: next.default_descending(),
        };
    }

    pub fn run(&mut self, cmd: Command) -> Action {
        let (selected, page) = (self.level().selected as isize, self.level().page as isize);
        let in_detail = matches!(self.screen(), Screen::Detail { .. });
        match cmd {
            Command::Quit => return Action::Quit,
            Command::Help => self.mode = Mode::Help,
            Command::Up if in_detail => self.detail_scroll.up(),
            Command::Down if in_detail => self.detail_scroll.down(),
            Command::Up => self.move_selection(selected - 1),
            Command::Down => self.move_selection(selected + 1),
            Command::PageUp => self.move_selection(selected - page),
            Command::PageDown => self.move_selection(selected + page),
            Command::HalfPageUp => self.move_selection(selected - page / 2),
            Command::HalfPageDown => self.move_selection(selected + page / 2),
            Command::Top => {
                // Back at the top: pinned there again until the next move.
                self.move_selection(0);
                self.level_mut().moved = false;
            }
            Command::Bottom => self.move_selection(isize::MAX / 2),
            Command::Enter => self.drill_down(),
            Command::Back => {
                if self.stack.len() > 1 {
                    self.stack.pop();
                    self.detail_scroll.reset();
                }
            }
            Command::NextView | Command::PrevView => {
                let i = self.top_kind().index() as isize
                    + if cmd == Command::NextView { 1 } else { -1 };
                let n = TableKind::ALL.len() as isize;
                self.switch_to(TableKind::ALL[i.rem_euclid(n) as usize]);
            }
            Command::Allocations => self.switch_to(TableKind::Allocations),
            Command::Users => self.switch_to(TableKind::Users),
            Command::Realms => self.switch_to(TableKind::Realms),
            Command::Problems => self.switch_to(TableKind::Problems),
            Command::Servers => self.switch_to(TableKind::Servers),
            Command::Filter => {
                self.mode = Mode::Filter {
                    input: self.filter.source().to_owned(),
                }
            }
            Command::ClearFilter => self.set_filter(""),
            Command::SortNext => self.cycle_sort(1),
            Command::SortPrev => self.cycle_sort(-1),
            Command::SortReverse => {
                let k = self.current_table_kind().index();
                self.sorts[k].descending = !self.sorts[k].descending;
            }
            Command::SortMenu => {
                let kind = self.current_table_kind();
                let columns = self.sortable_columns(kind);
                self.mode = Mode::SortMenu(SortMenu::new(columns, self.sort(kind).col));
            }
            Command::Freeze => {
                self.frozen = !self.frozen;
                return Action::Freeze(self.frozen);
            }
            Command::ZoomIn => self.zoom = self.zoom.saturating_sub(1),
            Command::ZoomOut => self.zoom = (self.zoom + 1).min(ZOOM_LEVELS.len() - 1),
            Command::Units => {
                self.units = match self.units {
                    RateUnits::Bytes => RateUnits::Bits,
                    RateUnits::Bits => RateUnits::Bytes,
                }
            }
            Command::Suspend => return Action::Suspend,
            Command::Pause if self.replay => {
                self.paused = !self.paused;
                return Action::Pause(self.paused);
            }
            Command::Step if self.replay => {
                self.paused = true;
                return Action::Step;
            }
            Command::Pause | Command::Step => {}
            Command::Follow => self.follow = !self.follow,
            Command::Cancel => match &self.cancel {
                Ok(t) => self.confirm.ask(t.question.clone(), t.clone()),
                Err(why) => self.cli.message = Some(format!("cannot cancel: {why}")),
            },
        }
        Action::None
    }

    fn switch_to(&mut self, kind: TableKind) {
        if self.stack.len() == 1 && self.top_kind() == kind {
            return;
        }
        self.stack = vec![Level::new(Screen::Table {
            kind,
            scope: Scope::All,
        })];
        self.detail_scroll.reset();
    }

    /// Realm -> its users -> a user's allocations -> one allocation; a problem -> its subject.
    fn drill_down(&mut self) {
        let Some(key) = self.level().selected_key else {
            return;
        };
        if let RowKey::Problem(_, subject) = key {
            return self.go_to_subject(subject);
        }
        let next = match key {
            RowKey::Realm(slot) => Screen::Table {
                kind: TableKind::Users,
                scope: Scope::Realm(slot),
            },
            RowKey::User(slot) => Screen::Table {
                kind: TableKind::Allocations,
                scope: Scope::User(slot),
            },
            RowKey::Server(endpoint, local) => Screen::Table {
                kind: TableKind::Allocations,
                scope: Scope::Server(crate::model::EndpointId(endpoint), local),
            },
            RowKey::Allocation { .. } => Screen::Detail { key },
            RowKey::Problem(..) => return,
        };
        if matches!(self.screen(), Screen::Detail { .. }) {
            return;
        }
        self.detail_scroll.reset();
        self.stack.push(Level::new(next));
    }

    /// A problem's subject: the allocation's detail, the user's allocations, or the endpoint's
    /// row in the Servers view (its first listener's).
    fn go_to_subject(&mut self, subject: Subject) {
        let (screen, select) = match subject {
            Subject::Allocation { slot, id } => (
                Screen::Detail {
                    key: RowKey::Allocation { slot, id },
                },
                None,
            ),
            Subject::User(slot) => (
                Screen::Table {
                    kind: TableKind::Allocations,
                    scope: Scope::User(slot),
                },
                None,
            ),
            Subject::Endpoint { endpoint, listener } => (
                Screen::Table {
                    kind: TableKind::Servers,
                    scope: Scope::All,
                },
                Some(RowKey::Server(endpoint, listener)),
            ),
        };
        self.detail_scroll.reset();
        let mut level = Level::new(screen);
        level.selected_key = select;
        self.stack.push(level);
    }

    /// Mouse (only with --mouse): wheel scrolls, a click selects a row or sorts by a header.
    /// `header_row` / `first_row` are screen rows; `columns` are (x start, width, column).
    pub fn on_mouse(
        &mut self,
        ev: MouseEvent,
        header_row: u16,
        first_row: u16,
        columns: &[(u16, u16, Col)],
    ) {
        let selected = self.level().selected as isize;
        match ev.kind {
            MouseEventKind::ScrollDown => self.move_selection(selected + 3),
            MouseEventKind::ScrollUp => self.move_selection(selected - 3),
            MouseEventKind::Down(MouseButton::Left) => {
                if ev.row == header_row {
                    if let Some((_, _, col)) = columns
                        .iter()
                        .find(|(x, w, _)| ev.column >= *x && ev.column < x + w)
                    {
                        let kind = self.current_table_kind();
                        self.set_sort_column(kind, *col);
                    }
                } else if ev.row >= first_row {
                    let offset = self.level().offset as isize;
                    self.move_selection(offset + (ev.row - first_row) as isize);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_and_step_act_on_replays_only() {
        let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        let mut app = App::new(TableKind::Allocations);
        assert_eq!(app.on_key(key('p')), Action::None);
        assert_eq!(app.on_key(key('n')), Action::None);
        app.replay = true;
        assert_eq!(app.on_key(key('p')), Action::Pause(true));
        assert_eq!(app.on_key(key('p')), Action::Pause(false));
        assert!(!app.paused);
        assert_eq!(app.on_key(key('n')), Action::Step);
        assert!(app.paused, "a step pauses");
        assert_eq!(app.on_key(key('p')), Action::Pause(false));
    }
}
