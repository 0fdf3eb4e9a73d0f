//! Application state and key handling (pure): the view stack (drill-down), selection, sort,
//! filter, freeze, zoom. Keys become [`Command`]s through a remappable [`KeyMap`]; commands
//! update the state; the event loop acts on the [`Action`]s they return (quit, freeze, suspend).

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use crate::filter::Filter;
use crate::format::RateUnits;
use crate::table::{self, Col, RowKey, Scope, Sort, TableKind};

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
    /// A breadcrumb for drilled levels (`realm lab.example`, `user alice`).
    pub label: Option<String>,
    /// Row identities around the rows on screen in the last frame (`keys[0]` is row
    /// `keys_from`), so a key pressed before the next frame (j then Enter, typed fast) acts on
    /// the row it moved to. Further moves select by index until the next frame.
    pub keys: Vec<RowKey>,
    pub keys_from: usize,
}

impl Level {
    fn key_at(&self, index: usize) -> Option<RowKey> {
        index
            .checked_sub(self.keys_from)
            .and_then(|i| self.keys.get(i))
            .copied()
    }

    fn new(screen: Screen, label: Option<String>) -> Self {
        Level {
            screen,
            selected: 0,
            selected_key: None,
            offset: 0,
            len: 0,
            page: 10,
            label,
            keys: Vec::new(),
            keys_from: 0,
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
    SortMenu {
        index: usize,
    },
    Help,
}

/// Everything a key can do. Names are what the `[keys]` section of the config file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    Quit,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    Top,
    Bottom,
    Enter,
    Back,
    NextView,
    PrevView,
    Allocations,
    Users,
    Realms,
    Filter,
    ClearFilter,
    SortNext,
    SortPrev,
    SortReverse,
    SortMenu,
    Freeze,
    ZoomIn,
    ZoomOut,
    Units,
    Suspend,
    /// Replays: pause or resume.
    Pause,
    /// Replays: deliver the next message (pauses first).
    Step,
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
}

#[derive(Clone, Debug)]
pub struct KeyMap {
    map: HashMap<(KeyCode, KeyModifiers), Command>,
    /// Bindings in the order they were made: the first key of a command is the one hints show.
    order: Vec<((KeyCode, KeyModifiers), Command)>,
}

/// Parse `q`, `ctrl-c`, `F6`, `enter`, `space`, `pgdn`, `shift-tab`...
pub fn parse_key(s: &str) -> Option<(KeyCode, KeyModifiers)> {
    let mut mods = KeyModifiers::NONE;
    let mut rest = s.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        if let Some(r) = lower
            .strip_prefix("ctrl-")
            .or_else(|| lower.strip_prefix("c-"))
        {
            mods |= KeyModifiers::CONTROL;
            rest = &rest[rest.len() - r.len()..];
        } else if let Some(r) = lower.strip_prefix("alt-") {
            mods |= KeyModifiers::ALT;
            rest = &rest[rest.len() - r.len()..];
        } else if let Some(r) = lower.strip_prefix("shift-") {
            mods |= KeyModifiers::SHIFT;
            rest = &rest[rest.len() - r.len()..];
        } else {
            break;
        }
    }
    let code = match rest.to_ascii_lowercase().as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "backspace" | "bs" => KeyCode::Backspace,
        "tab" if mods.contains(KeyModifiers::SHIFT) => {
            mods.remove(KeyModifiers::SHIFT);
            KeyCode::BackTab
        }
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
            KeyCode::F(f[1..].parse().ok()?)
        }
        _ => {
            let mut chars = rest.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                c.to_ascii_lowercase()
            } else {
                c
            })
        }
    };
    Some((code, mods))
}

/// The default bindings: key name and command, the first key of a command being the one hints
/// show.
pub fn default_keys() -> &'static [(&'static str, Command)] {
    DEFAULT_KEYS
}

const DEFAULT_KEYS: &[(&str, Command)] = &[
    ("q", Command::Quit),
    ("ctrl-c", Command::Quit),
    ("?", Command::Help),
    ("F1", Command::Help),
    ("k", Command::Up),
    ("up", Command::Up),
    ("j", Command::Down),
    ("down", Command::Down),
    ("pgup", Command::PageUp),
    ("ctrl-b", Command::PageUp),
    ("pgdn", Command::PageDown),
    ("ctrl-f", Command::PageDown),
    ("ctrl-u", Command::HalfPageUp),
    ("ctrl-d", Command::HalfPageDown),
    ("g", Command::Top),
    ("home", Command::Top),
    ("G", Command::Bottom),
    ("end", Command::Bottom),
    ("enter", Command::Enter),
    ("l", Command::Enter),
    ("right", Command::Enter),
    ("esc", Command::Back),
    ("backspace", Command::Back),
    ("h", Command::Back),
    ("left", Command::Back),
    ("tab", Command::NextView),
    ("shift-tab", Command::PrevView),
    ("1", Command::Allocations),
    ("2", Command::Users),
    ("3", Command::Realms),
    ("/", Command::Filter),
    ("\\", Command::ClearFilter),
    ("s", Command::SortNext),
    (">", Command::SortNext),
    ("S", Command::SortPrev),
    ("<", Command::SortPrev),
    ("r", Command::SortReverse),
    ("I", Command::SortReverse),
    ("o", Command::SortMenu),
    ("F6", Command::SortMenu),
    ("f", Command::Freeze),
    ("space", Command::Freeze),
    ("+", Command::ZoomIn),
    ("=", Command::ZoomIn),
    ("-", Command::ZoomOut),
    ("b", Command::Units),
    ("ctrl-z", Command::Suspend),
    ("p", Command::Pause),
    ("n", Command::Step),
];

/// A command's name in the config file's `[keys]` section: `page-up` for `PageUp`.
pub fn command_name(cmd: Command) -> String {
    let mut name = String::new();
    for (i, c) in format!("{cmd:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// A key that configured bindings give to two commands.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyConflict {
    /// The configured command the message is about.
    pub command: Command,
    pub message: String,
}

/// Check configured bindings (each replaces its command's default keys) for a key that would
/// end up on two commands: a default key of a command left alone, or a key configured twice.
pub fn check_bindings(bindings: &[(Command, Vec<String>)]) -> Result<(), KeyConflict> {
    let configured = |cmd: Command| bindings.iter().any(|(c, _)| *c == cmd);
    let mut owners: Vec<((KeyCode, KeyModifiers), Command, &str)> = Vec::new();
    for (cmd, keys) in bindings {
        for k in keys {
            if let Some(key) = parse_key(k)
                && !owners.iter().any(|(o, c, _)| *o == key && c == cmd)
            {
                owners.push((key, *cmd, k));
            }
        }
    }
    for (k, cmd) in DEFAULT_KEYS {
        if !configured(*cmd)
            && let Some(key) = parse_key(k)
        {
            owners.push((key, *cmd, k));
        }
    }
    // In the order the bindings were given: the first configured key that clashes.
    for (i, (key, cmd, name)) in owners.iter().enumerate() {
        if !configured(*cmd) {
            break;
        }
        let Some((_, other, _)) = owners
            .iter()
            .enumerate()
            .find(|(j, (o, c, _))| *j != i && o == key && c != cmd)
            .map(|(_, o)| o)
        else {
            continue;
        };
        let (a, b) = (command_name(*cmd), command_name(*other));
        let message = if configured(*other) {
            format!("`{name}` is bound to both {a} and {b}: keep it for one of them")
        } else {
            // `other` keeps its default keys: say what to write to move it off this one.
            let rest: Vec<String> = DEFAULT_KEYS
                .iter()
                .filter(|(k, c)| c == other && parse_key(k) != Some(*key))
                .map(|(k, _)| format!("\"{k}\""))
                .collect();
            let fix = if rest.is_empty() {
                format!("or unbind {b} ({b} = [])")
            } else {
                format!("or give {b} other keys ({b} = [{}])", rest.join(", "))
            };
            format!(
                "`{name}` is bound to both {a} and {b} (a default key of {b}): choose another \
                 key for {a}, {fix}"
            )
        };
        return Err(KeyConflict {
            command: *cmd,
            message,
        });
    }
    Ok(())
}

impl Default for KeyMap {
    fn default() -> Self {
        let mut map = HashMap::new();
        let mut order = Vec::new();
        for (key, cmd) in DEFAULT_KEYS {
            if let Some(k) = parse_key(key) {
                map.insert(k, *cmd);
                order.push((k, *cmd));
            }
        }
        KeyMap { map, order }
    }
}

impl KeyMap {
    /// Bind `keys` to `cmd`, replacing that command's default keys.
    pub fn rebind(&mut self, cmd: Command, keys: &[String]) -> Result<(), String> {
        let parsed: Vec<_> = keys
            .iter()
            .map(|k| parse_key(k).ok_or_else(|| format!("'{k}' is not a key name")))
            .collect::<Result<_, _>>()?;
        self.map.retain(|_, c| *c != cmd);
        self.order.retain(|(_, c)| *c != cmd);
        for k in parsed {
            // A key taken from another command now belongs to this one.
            self.order.retain(|(key, _)| *key != k);
            self.map.insert(k, cmd);
            self.order.push((k, cmd));
        }
        Ok(())
    }

    pub fn command(&self, key: &KeyEvent) -> Option<Command> {
        let mut mods = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        if let KeyCode::Char(c) = key.code
            && mods.contains(KeyModifiers::CONTROL)
        {
            mods = KeyModifiers::CONTROL | (mods & KeyModifiers::ALT);
            return self
                .map
                .get(&(KeyCode::Char(c.to_ascii_lowercase()), mods))
                .copied();
        }
        // Shift is part of the character for printable keys (`G`, `?`), not a modifier.
        self.map.get(&(key.code, mods)).copied()
    }

    /// The first key bound to a command, for the hint bar and help.
    pub fn key_for(&self, cmd: Command) -> String {
        self.keys_for(cmd)
            .into_iter()
            .next()
            .unwrap_or_else(|| "-".into())
    }

    pub fn keys_for(&self, cmd: Command) -> Vec<String> {
        self.order
            .iter()
            .filter(|(_, c)| *c == cmd)
            .map(|((code, mods), _)| key_name(*code, *mods))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_show_the_primary_key() {
        let k = KeyMap::default();
        assert_eq!(k.key_for(Command::SortNext), "s");
        assert_eq!(k.key_for(Command::Enter), "Enter");
        assert_eq!(k.key_for(Command::SortReverse), "r");
    }

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

fn key_name(code: KeyCode, mods: KeyModifiers) -> String {
    let base = match code {
        KeyCode::Char(' ') => "Space".to_owned(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Backspace => "Bksp".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "S-Tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if mods.contains(KeyModifiers::CONTROL) {
        format!("^{}", base.to_uppercase())
    } else {
        base
    }
}

#[derive(Clone, Debug)]
pub struct App {
    pub stack: Vec<Level>,
    pub sorts: [Sort; 3],
    pub filter: Filter,
    pub filter_error: Option<String>,
    pub mode: Mode,
    pub frozen: bool,
    pub zoom: usize,
    pub units: RateUnits,
    pub keys: KeyMap,
    pub mouse: bool,
    /// Columns the user configured per table (`None` = all, by priority).
    pub columns: [Option<Vec<Col>>; 3],
    /// Detail screen: scroll of the event log.
    pub detail_scroll: usize,
    /// Showing a replay: pause and step apply (and the hints and help show them).
    pub replay: bool,
    /// The replay is paused.
    pub paused: bool,
}

impl App {
    pub fn new(view: TableKind) -> Self {
        App {
            stack: vec![Level::new(
                Screen::Table {
                    kind: view,
                    scope: Scope::All,
                },
                None,
            )],
            sorts: [
                Sort {
                    col: Col::Rate,
                    descending: true,
                },
                Sort {
                    col: Col::Rate,
                    descending: true,
                },
                Sort {
                    col: Col::Rate,
                    descending: true,
                },
            ],
            filter: Filter::default(),
            filter_error: None,
            mode: Mode::Normal,
            frozen: false,
            zoom: 4,
            units: RateUnits::Bytes,
            keys: KeyMap::default(),
            mouse: false,
            columns: [None, None, None],
            detail_scroll: 0,
            replay: false,
            paused: false,
        }
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
        match &self.columns[kind.index()] {
            Some(cols) => cols
                .iter()
                .filter_map(|c| all.iter().find(|s| s.col == *c).copied())
                .collect(),
            None => all.to_vec(),
        }
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
        let level = self.level_mut();
        level.len = len;
        level.page = page.max(1);
        if let Some(i) = selected_at {
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
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Action {
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
            Mode::SortMenu { .. } => {
                let kind = self.current_table_kind();
                let cols = self.table_columns(kind);
                let Mode::SortMenu { index } = &mut self.mode else {
                    return Action::None;
                };
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => *index = index.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => {
                        *index = (*index + 1).min(cols.len().saturating_sub(1))
                    }
                    KeyCode::Enter => {
                        if let Some(spec) = cols.get(*index) {
                            self.set_sort_column(kind, spec.col);
                        }
                        self.mode = Mode::Normal;
                    }
                    KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('o') => {
                        self.mode = Mode::Normal
                    }
                    _ => {}
                }
                return Action::None;
            }
            Mode::Help => {
                // Any key closes help; quitting still works from it.
                self.mode = Mode::Normal;
                return match self.keys.command(&key) {
                    Some(Command::Quit) => Action::Quit,
                    _ => Action::None,
                };
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

    /// What an empty table says: why no row is shown.
    pub fn empty_table_message(&self, kind: TableKind) -> String {
        if let Some(note) = self.filter_note(kind) {
            return format!("{note} (\\ clears the filter)");
        }
        if self.filter.is_empty() {
            match kind {
                TableKind::Allocations => "no allocations yet: waiting for coturn to publish",
                TableKind::Users => "no users yet",
                TableKind::Realms => "no realms yet",
            }
            .into()
        } else {
            "nothing matches the filter (\\ clears it)".into()
        }
    }

    pub fn set_sort_column(&mut self, kind: TableKind, col: Col) {
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
        let cols: Vec<Col> = self.table_columns(kind).iter().map(|c| c.col).collect();
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
            Command::Up if in_detail => self.detail_scroll = self.detail_scroll.saturating_sub(1),
            Command::Down if in_detail => self.detail_scroll += 1,
            Command::Up => self.move_selection(selected - 1),
            Command::Down => self.move_selection(selected + 1),
            Command::PageUp => self.move_selection(selected - page),
            Command::PageDown => self.move_selection(selected + page),
            Command::HalfPageUp => self.move_selection(selected - page / 2),
            Command::HalfPageDown => self.move_selection(selected + page / 2),
            Command::Top => self.move_selection(0),
            Command::Bottom => self.move_selection(isize::MAX / 2),
            Command::Enter => self.drill_down(),
            Command::Back => {
                if self.stack.len() > 1 {
                    self.stack.pop();
                    self.detail_scroll = 0;
                }
            }
            Command::NextView | Command::PrevView => {
                let i = self.top_kind().index() as isize
                    + if cmd == Command::NextView { 1 } else { -1 };
                self.switch_to(TableKind::ALL[i.rem_euclid(3) as usize]);
            }
            Command::Allocations => self.switch_to(TableKind::Allocations),
            Command::Users => self.switch_to(TableKind::Users),
            Command::Realms => self.switch_to(TableKind::Realms),
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
                let index = self
                    .table_columns(kind)
                    .iter()
                    .position(|c| c.col == self.sort(kind).col)
                    .unwrap_or(0);
                self.mode = Mode::SortMenu { index };
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
        }
        Action::None
    }

    fn switch_to(&mut self, kind: TableKind) {
        if self.stack.len() == 1 && self.top_kind() == kind {
            return;
        }
        self.stack = vec![Level::new(
            Screen::Table {
                kind,
                scope: Scope::All,
            },
            None,
        )];
        self.detail_scroll = 0;
    }

    /// Realm -> its users -> a user's allocations -> one allocation.
    fn drill_down(&mut self) {
        let Some(key) = self.level().selected_key else {
            return;
        };
        let next = match key {
            RowKey::Realm(slot) => Screen::Table {
                kind: TableKind::Users,
                scope: Scope::Realm(slot),
            },
            RowKey::User(slot) => Screen::Table {
                kind: TableKind::Allocations,
                scope: Scope::User(slot),
            },
            RowKey::Allocation { .. } => Screen::Detail { key },
        };
        if matches!(self.screen(), Screen::Detail { .. }) {
            return;
        }
        self.detail_scroll = 0;
        self.stack.push(Level::new(next, None));
    }

    /// Set the breadcrumb of the current level (the loop knows the names).
    pub fn set_label(&mut self, label: String) {
        self.level_mut().label = Some(label);
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
