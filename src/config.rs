//! The configuration file (TOML), documented key by key in `config.example.toml`.
//! Location: `--config FILE`, else `$TURNTOP_CONFIG`, else `<config dir>/turntop/config.toml`
//! (e.g. `~/.config/turntop/config.toml`). Precedence: flags > file > defaults.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::app::Command;
use crate::format::RateUnits;
use crate::table::TableKind;
use crate::ui::ThemeName;

pub const CONFIG_ENV: &str = "TURNTOP_CONFIG";

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Redis endpoints (each a coturn `--redis-statsdb`).
    #[serde(default)]
    pub redis: Vec<RedisConfig>,
    pub theme: Option<ThemeName>,
    pub view: Option<TableKind>,
    pub rate_units: Option<RateUnits>,
    /// e.g. "10m", "90s" or a number of seconds.
    pub history_window: Option<Duration>,
    pub retention: Option<Duration>,
    pub mouse: Option<bool>,
    #[serde(default)]
    pub sort: SortConfig,
    #[serde(default)]
    pub columns: ColumnsConfig,
    /// Command name -> key names, replacing that command's default keys.
    #[serde(default)]
    pub keys: HashMap<Command, KeyList>,
    /// The log file (`--log`); relative to the configuration file's directory.
    pub log: Option<PathBuf>,
}

impl Config {
    /// The log file this configuration names, resolved against the directory of the file it
    /// was read from (`file`).
    pub fn log_path(&self, file: Option<&Path>) -> Option<PathBuf> {
        let log = self.log.as_ref()?;
        Some(match file.and_then(Path::parent) {
            Some(dir) if log.is_relative() => dir.join(log),
            _ => log.clone(),
        })
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    pub url: String,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SortConfig {
    pub allocations: Option<String>,
    pub users: Option<String>,
    pub realms: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ColumnsConfig {
    pub allocations: Option<Vec<String>>,
    pub users: Option<Vec<String>>,
    pub realms: Option<Vec<String>>,
}

/// One key or several.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub fn keys(&self) -> Vec<String> {
        match self {
            KeyList::One(k) => vec![k.clone()],
            KeyList::Many(k) => k.clone(),
        }
    }
}

/// Seconds, from a number or a string like "10m".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duration(pub f64);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(f64),
            Text(String),
        }
        let secs = match Raw::deserialize(d)? {
            Raw::Num(n) => Some(n).filter(|n| n.is_finite() && *n >= 0.0),
            Raw::Text(t) => crate::format::parse_duration(&t),
        };
        secs.map(Duration).ok_or_else(|| {
            serde::de::Error::custom(
                "expected a duration like \"10m\", \"90s\" or a number of seconds",
            )
        })
    }
}

/// A configuration problem, as one line naming the file, the line and the key.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The file to read: explicit path (must exist), else the environment, else the default
/// location (may be absent).
pub fn locate(explicit: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(p) = explicit {
        return Some((p.to_owned(), true));
    }
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    directories::ProjectDirs::from("", "", "turntop")
        .map(|d| (d.config_dir().join("config.toml"), false))
}

pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
    let Some((path, required)) = locate(explicit) else {
        return Ok((Config::default(), None));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok((Config::default(), None));
        }
        Err(e) => return Err(ConfigError(format!("config {}: {e}", path.display()))),
    };
    parse(&text, &path.display().to_string()).map(|c| (c, Some(path)))
}

pub fn parse(text: &str, name: &str) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let message = e.message().replace('\n', " ");
        match e.span() {
            Some(span) => {
                let line_no = text[..span.start.min(text.len())].matches('\n').count() + 1;
                let line = text.lines().nth(line_no - 1).unwrap_or("");
                // The key is what stands before `=` on that line (or the [table] header).
                let key = line
                    .split('=')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['[', ']'])
                    .trim();
                if key.is_empty() {
                    ConfigError(format!("config {name}: line {line_no}: {message}"))
                } else {
                    ConfigError(format!(
                        "config {name}: line {line_no}, key `{key}`: {message}"
                    ))
                }
            }
            None => ConfigError(format!("config {name}: {message}")),
        }
    })?;
    validate(&config, name, text)?;
    Ok(config)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(0, |i| i + 1)
}

/// Checks serde cannot do: column names, key names.
fn validate(config: &Config, name: &str, text: &str) -> Result<(), ConfigError> {
    let err = |needle: &str, key: &str, msg: String| {
        ConfigError(format!(
            "config {name}: line {}, key `{key}`: {msg}",
            line_of(text, needle)
        ))
    };
    for (kind, cols) in [
        (TableKind::Allocations, &config.columns.allocations),
        (TableKind::Users, &config.columns.users),
        (TableKind::Realms, &config.columns.realms),
    ] {
        for c in cols.iter().flatten() {
            let valid = crate::table::parse_column(c)
                .is_some_and(|col| crate::table::columns(kind).iter().any(|s| s.col == col));
            if !valid {
                return Err(err(
                    c,
                    &format!("columns.{}", kind.title().to_lowercase()),
                    format!("unknown column `{c}`"),
                ));
            }
        }
    }
    for (kind, sort) in [
        (TableKind::Allocations, &config.sort.allocations),
        (TableKind::Users, &config.sort.users),
        (TableKind::Realms, &config.sort.realms),
    ] {
        if let Some(s) = sort
            && parse_sort(s, kind).is_none()
        {
            return Err(err(
                s,
                &format!("sort.{}", kind.title().to_lowercase()),
                format!("unknown column `{s}`"),
            ));
        }
    }
    for (cmd, keys) in &config.keys {
        for k in keys.keys() {
            if crate::app::parse_key(&k).is_none() {
                return Err(err(
                    &k,
                    &format!("keys.{cmd:?}").to_lowercase(),
                    format!("`{k}` is not a key name"),
                ));
            }
        }
    }
    Ok(())
}

/// `rate`, `-rate` (descending), `+user` (ascending): a sort expression for a table.
pub fn parse_sort(s: &str, kind: TableKind) -> Option<crate::table::Sort> {
    let s = s.trim();
    let (dir, name) = match s.chars().next() {
        Some('-') => (Some(true), &s[1..]),
        Some('+') => (Some(false), &s[1..]),
        _ => (None, s),
    };
    let col = crate::table::parse_column(name)?;
    crate::table::columns(kind)
        .iter()
        .any(|c| c.col == col)
        .then(|| crate::table::Sort {
            col,
            descending: dir.unwrap_or_else(|| col.default_descending()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses() {
        let text = include_str!("../config.example.toml");
        let c = parse(text, "config.example.toml").unwrap();
        assert_eq!(c.theme, Some(ThemeName::Dark));
        assert_eq!(c.history_window, Some(Duration(600.0)));
        assert_eq!(c.log, None);
    }

    #[test]
    fn a_relative_log_path_is_taken_from_the_config_file_directory() {
        let c = parse("log = \"turntop.log\"\n", "/x.toml").unwrap();
        let file = Path::new("/etc/turntop/config.toml");
        assert_eq!(
            c.log_path(Some(file)),
            Some(PathBuf::from("/etc/turntop/turntop.log"))
        );
        assert_eq!(c.log_path(None), Some(PathBuf::from("turntop.log")));
        let c = parse("log = \"/var/log/turntop.log\"\n", "/x.toml").unwrap();
        assert_eq!(
            c.log_path(Some(file)),
            Some(PathBuf::from("/var/log/turntop.log"))
        );
        assert_eq!(Config::default().log_path(Some(file)), None);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let e = parse("theme = \"dark\"\n\nthemee = \"light\"\n", "/x.toml")
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("config /x.toml: line 3, key `themee`: unknown field"),
            "{e}"
        );
        let e = parse("view = \"users\"\ntheme = \"blue\"\n", "/x.toml")
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("config /x.toml: line 2, key `theme`: unknown variant `blue`"),
            "{e}"
        );
        let e = parse("history_window = \"soon\"\n", "/x.toml")
            .unwrap_err()
            .0;
        assert!(e.contains("line 1, key `history_window`"), "{e}");
        let e = parse(
            "[columns]\nallocations = [\"user\", \"colour\"]\n",
            "/x.toml",
        )
        .unwrap_err()
        .0;
        assert_eq!(
            e,
            "config /x.toml: line 2, key `columns.allocations`: unknown column `colour`"
        );
        let e = parse("[keys]\nquit = \"ctrl-banana\"\n", "/x.toml")
            .unwrap_err()
            .0;
        assert!(e.contains("line 2") && e.contains("not a key name"), "{e}");
        let e = parse("theme = \n", "/x.toml").unwrap_err().0;
        assert!(!e.contains('\n') && e.contains("line 1"), "{e}");
    }

    #[test]
    fn sorts() {
        let s = parse_sort("-bytes", TableKind::Users).unwrap();
        assert!(s.descending);
        assert_eq!(
            parse_sort("user", TableKind::Allocations).map(|s| s.descending),
            Some(false)
        );
        assert!(
            parse_sort("users", TableKind::Allocations).is_none(),
            "no USERS column there"
        );
    }
}
