//! Keys: every [`Command`] a key can run, and the remappable [`KeyMap`] from keys to commands
//! (the `[keys]` section of the config file), with key names for hints and help.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
    Problems,
    Servers,
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
    /// Toggle follow: a selection the user moved stays on its row as rows move (else on its
    /// line of the screen).
    Follow,
    /// Cancel the selected allocation through coturn's CLI (asks first).
    Cancel,
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
    ("4", Command::Problems),
    ("5", Command::Servers),
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
    ("F", Command::Follow),
    ("K", Command::Cancel),
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
        let mods = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        if let KeyCode::Char(c) = key.code
            && mods.contains(KeyModifiers::CONTROL)
        {
            let lower = KeyCode::Char(c.to_ascii_lowercase());
            if let Some(cmd) = self.map.get(&(lower, mods)) {
                return Some(*cmd);
            }
            if !mods.contains(KeyModifiers::ALT) {
                return None;
            }
            return self.map.get(&(lower, KeyModifiers::CONTROL)).copied();
        }
        // Shift is part of the character for printable keys (`G`, `?`), not a modifier.
        if let Some(cmd) = self.map.get(&(key.code, mods)) {
            return Some(*cmd);
        }
        // Esc then a key typed quickly arrive in one read (`\x1bq`), which the terminal layer
        // reports as Alt+key: a key not bound with Alt means the key itself.
        if mods.contains(KeyModifiers::ALT) {
            return self.command(&KeyEvent::new(key.code, key.modifiers - KeyModifiers::ALT));
        }
        None
    }

    /// The first key bound to a command, for the hint bar and help.
    pub fn key_for(&self, cmd: Command) -> String {
        self.keys_for(cmd)
            .into_iter()
            .next()
            .unwrap_or_else(|| "-".into())
    }

    /// The key to show beside a list for moving in it: an arrow key when one is bound to the
    /// command (it reads best there), else the first key.
    pub fn arrow_or_first_key(&self, cmd: Command) -> String {
        let arrow = self.order.iter().find(|((code, mods), c)| {
            *c == cmd
                && mods.is_empty()
                && matches!(
                    code,
                    KeyCode::Up | KeyCode::Down | KeyCode::Left | KeyCode::Right
                )
        });
        match arrow {
            Some(((code, mods), _)) => key_name(*code, *mods),
            None => self.key_for(cmd),
        }
    }

    pub fn keys_for(&self, cmd: Command) -> Vec<String> {
        self.order
            .iter()
            .filter(|(_, c)| *c == cmd)
            .map(|((code, mods), _)| key_name(*code, *mods))
            .collect()
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
    fn alt_key_is_the_key_unless_bound_with_alt() {
        let mut k = KeyMap::default();
        let alt = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT);
        assert_eq!(k.command(&alt('q')), Some(Command::Quit));
        assert_eq!(k.command(&alt('j')), Some(Command::Down));
        k.rebind(Command::Units, &["alt-q".into()]).expect("bind");
        assert_eq!(k.command(&alt('q')), Some(Command::Units));
    }
}
