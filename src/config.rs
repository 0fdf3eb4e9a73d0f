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

/// The history window of sparklines and charts without `--history` or `history_window`.
pub const DEFAULT_HISTORY_WINDOW: f64 = 600.0;
/// How long an ended allocation stays without `--retention` or `retention`.
pub const DEFAULT_RETENTION: f64 = 600.0;

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
    /// Problem thresholds and severities (`model::problems`), and the bell.
    #[serde(default)]
    pub problems: crate::problems_config::ProblemsConfig,
    /// `--read-only`: `K` never cancels a session.
    pub read_only: Option<bool>,
    /// `turntop serve` (only: a TUI next to it must not take its port).
    #[serde(default)]
    pub metrics: MetricsConfig,
}

/// `[metrics]`: what `turntop serve` exports, below its flags.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// `--metrics ADDR`.
    pub listen: Option<std::net::SocketAddr>,
    /// `--metrics-users N`.
    pub users: Option<usize>,
}

/// Where `turntop serve` listens without `--metrics` or `[metrics] listen`.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9642";

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
    /// coturn's admin CLI beside this Redis: `host:port` (the password never goes here).
    pub cli: Option<String>,
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

/// A setting a person writes either as a bare number or as text with units (`600` or `"10m"`,
/// `"10MB/s"`): each setting type reads the two its own way.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum NumberOrText {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let secs = match NumberOrText::deserialize(d)? {
            NumberOrText::Number(n) => Some(n).filter(|n| n.is_finite() && *n >= 0.0),
            NumberOrText::Text(t) => crate::format::parse_duration(&t),
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
                let message = fix_for(line, &message).unwrap_or(message);
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

/// What to write instead, for the mistakes whose serde message does not say it: a table where a
/// list of tables belongs (`[redis]` for `[[redis]]`) and the reverse. `line` is the line the
/// error points at.
fn fix_for(line: &str, message: &str) -> Option<String> {
    let line = line.trim();
    let table = line.trim_matches(['[', ']', ' ']);
    if line.starts_with("[[") && ["sort", "columns", "keys"].contains(&table) {
        return Some(format!(
            "{message}: `{table}` is one table, write [{table}] (single brackets)"
        ));
    }
    if table == "redis" && !line.starts_with("[[") && message.starts_with("invalid type") {
        return Some(format!(
            "{message}: endpoints are a list, write [[redis]] (double brackets) with \
             url = \"redis://host:6379\", one [[redis]] table per endpoint"
        ));
    }
    None
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(0, |i| i + 1)
}

/// The line of `key = ...` in the `[section]` table (0 when not found).
fn line_of_key(text: &str, section: &str, key: &str) -> usize {
    let mut current = "";
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            current = header.trim_matches(['[', ']', ' ']);
            continue;
        }
        let name = line
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if current == section && name == key && line.contains('=') {
            return i + 1;
        }
    }
    0
}

/// Checks serde cannot do: column names, Redis URLs, key names and keys bound twice.
fn validate(config: &Config, name: &str, text: &str) -> Result<(), ConfigError> {
    // `key` is `section.name`: the line is that of `name = ...` in `[section]`.
    let err = |key: &str, msg: String| {
        let line = match key.split_once('.') {
            Some((section, k)) => line_of_key(text, section, k),
            None => 0,
        };
        ConfigError(format!("config {name}: line {line}, key `{key}`: {msg}"))
    };
    for r in &config.redis {
        check_redis_url(&r.url).map_err(|e| {
            ConfigError(format!(
                "config {name}: line {}, key `redis.url`: {e}",
                line_of(text, &r.url)
            ))
        })?;
        if let Some(cli) = &r.cli {
            crate::coturn_cli::check_addr(cli).map_err(|e| {
                ConfigError(format!(
                    "config {name}: line {}, key `redis.cli`: {e}",
                    line_of(text, cli)
                ))
            })?;
        }
    }
    for (kind, cols) in [
        (TableKind::Allocations, &config.columns.allocations),
        (TableKind::Users, &config.columns.users),
        (TableKind::Realms, &config.columns.realms),
    ] {
        let key = format!("columns.{}", kind.name());
        let Some(cols) = cols else { continue };
        if cols.is_empty() {
            return Err(err(
                &key,
                "an empty list would show no columns: list at least one, or remove the key to \
                 show them all"
                    .into(),
            ));
        }
        for c in cols {
            crate::table::view_column(kind, c).map_err(|e| err(&key, e))?;
        }
    }
    for (kind, sort) in [
        (TableKind::Allocations, &config.sort.allocations),
        (TableKind::Users, &config.sort.users),
        (TableKind::Realms, &config.sort.realms),
    ] {
        if let Some(s) = sort {
            parse_sort(s, kind).map_err(|e| err(&format!("sort.{}", kind.name()), e))?;
        }
    }
    if let Err(e) = config.problems.thresholds() {
        // The first severity naming no problem (the only way `thresholds` fails).
        let kind = config
            .problems
            .severity
            .keys()
            .find(|k| crate::model::ProblemKind::parse(k).is_none())
            .cloned()
            .unwrap_or_default();
        let line = text
            .lines()
            .position(|l| l.contains(&kind) && l.contains('='))
            .map_or(0, |i| i + 1);
        return Err(ConfigError(format!(
            "config {name}: line {line}, key `problems.severity.{kind}`: {e}"
        )));
    }
    let mut bindings: Vec<(Command, Vec<String>)> = config
        .keys
        .iter()
        .map(|(cmd, keys)| (*cmd, keys.keys()))
        .collect();
    // Report the first problem in the file's order, whatever the map's order.
    bindings.sort_by_key(|(cmd, _)| line_of_key(text, "keys", &command_name(*cmd)));
    for (cmd, keys) in &bindings {
        for k in keys {
            if crate::app::parse_key(k).is_none() {
                return Err(err(
                    &format!("keys.{}", command_name(*cmd)),
                    format!("`{k}` is not a key name"),
                ));
            }
        }
    }
    if let Err(conflict) = crate::app::check_bindings(&bindings) {
        let cmd = command_name(conflict.command);
        return Err(err(&format!("keys.{cmd}"), conflict.message));
    }
    Ok(())
}

/// A Redis URL's mistakes that the Redis client reports without saying what is wrong (`did not
/// parse`), each with what to write instead. What it does not check, the client still does.
pub fn check_redis_url(url: &str) -> Result<(), String> {
    let shown = crate::source::redis::redact_url(url);
    let bad = |why: String| Err(format!("invalid Redis URL '{shown}': {why}"));
    let Some((scheme, rest)) = url.split_once("://") else {
        return bad("write redis://host:6379 (or rediss:// for TLS)".into());
    };
    if scheme != "redis" && scheme != "rediss" {
        return bad(format!(
            "the scheme is `{scheme}`: write redis://host:6379 (or rediss:// for TLS)"
        ));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => return bad("an IPv6 address needs its closing `]`: redis://[::1]:6379".into()),
        },
        None => match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    if host.is_empty() {
        return bad(format!("there is no host: write {scheme}://HOST:6379"));
    }
    if let Some(port) = port {
        match port.parse::<u32>() {
            Ok(1..=65535) => {}
            Ok(p) => {
                return bad(format!(
                    "port {p} is out of range: a port is 1 to 65535 (Redis listens on 6379 by \
                     default)"
                ));
            }
            Err(_) if port.is_empty() => {
                return bad(format!(
                    "the port after `:` is missing: write {scheme}://{host}:6379"
                ));
            }
            Err(_) => {
                return bad(format!(
                    "port `{port}` is not a number: write {scheme}://{host}:6379"
                ));
            }
        }
    }
    let db = path.split(['?', '#']).next().unwrap_or("");
    let db = db.strip_prefix('/').unwrap_or(db);
    if !db.is_empty() && db.parse::<u32>().is_err() {
        return bad(format!(
            "`/{db}` is not a database number: write {scheme}://{host_port}/0 (or leave it out)"
        ));
    }
    Ok(())
}

/// A command's name in the `[keys]` section: `page-up` for `PageUp`.
fn command_name(cmd: Command) -> String {
    crate::app::command_name(cmd)
}

/// `rate`, `-rate` (descending), `+user` (ascending): a sort expression for a table. The error
/// lists the view's columns.
pub fn parse_sort(s: &str, kind: TableKind) -> Result<crate::table::Sort, String> {
    let s = s.trim();
    let (dir, name) = match s.chars().next() {
        Some('-') => (Some(true), &s[1..]),
        Some('+') => (Some(false), &s[1..]),
        _ => (None, s),
    };
    let col = crate::table::view_column(kind, name)?;
    if col == crate::column::Col::Peers {
        return Err(
            "peers comes from coturn's CLI, for the user on screen only: it cannot be sorted on"
                .into(),
        );
    }
    Ok(crate::table::Sort {
        col,
        descending: dir.unwrap_or_else(|| col.default_descending()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::column::Col;

    const EXAMPLE: &str = include_str!("../config.example.toml");

    /// Every value the example sets is the default it documents: the example can be copied
    /// without changing anything.
    #[test]
    fn the_example_config_is_the_defaults_it_documents() {
        let c = parse(EXAMPLE, "config.example.toml").unwrap();
        assert_eq!(c.theme, Some(ThemeName::default()));
        assert_eq!(c.view, Some(TableKind::Allocations));
        assert_eq!(c.rate_units, Some(RateUnits::default()));
        assert_eq!(c.history_window, Some(Duration(DEFAULT_HISTORY_WINDOW)));
        assert_eq!(c.retention, Some(Duration(DEFAULT_RETENTION)));
        assert_eq!(c.mouse, Some(false));
        assert_eq!(
            c.metrics.listen.map(|a| a.to_string()).as_deref(),
            Some(DEFAULT_METRICS_ADDR)
        );
        assert_eq!(c.metrics.users, Some(0));
        assert_eq!(
            c.redis,
            [RedisConfig {
                url: crate::source::redis::DEFAULT_URL.into(),
                name: None,
                cli: None,
            }]
        );
        let defaults = App::new(TableKind::Allocations);
        for (kind, sort) in [
            (TableKind::Allocations, &c.sort.allocations),
            (TableKind::Users, &c.sort.users),
            (TableKind::Realms, &c.sort.realms),
        ] {
            let sort = sort.as_deref().expect("the example sets every view's sort");
            assert_eq!(parse_sort(sort, kind), Ok(defaults.sort(kind)), "{kind:?}");
        }
        assert_eq!(
            c.columns,
            ColumnsConfig::default(),
            "all columns by default"
        );
        assert!(c.keys.is_empty(), "the default keys");
        assert_eq!(c.log, None, "no log file by default");
        assert_eq!(
            c.problems.thresholds(),
            Ok(crate::model::Thresholds::default()),
            "the problems' defaults"
        );
        assert_eq!(c.problems.bell, Some(false));
    }

    #[test]
    fn problems_settings_parse_and_a_wrong_kind_names_the_kinds() {
        let c = parse(
            "[problems]\nallocation_rate = \"80Mbps\"\nuser_allocations = 3\n\
             silent_after = \"30s\"\nseverity.stuck = \"critical\"\n\
             severity.count_mismatch = \"critical\"\n",
            "t",
        )
        .unwrap();
        let t = c.problems.thresholds().unwrap();
        assert_eq!(t.allocation_rate, 10e6);
        assert_eq!(t.user_allocations, 3);
        assert_eq!(t.silent_after, 30.0);
        assert_eq!(
            t.severity_of(crate::model::ProblemKind::Stuck),
            crate::model::Severity::Critical
        );
        assert_eq!(
            t.severity_of(crate::model::ProblemKind::CountMismatch),
            crate::model::Severity::Critical
        );
        let e = parse("[problems]\nseverity.stuk = \"critical\"\n", "t").unwrap_err();
        assert!(
            e.0.contains("line 2, key `problems.severity.stuk`") && e.0.contains("busy_user"),
            "{}",
            e.0
        );
        let e = parse("[problems]\nseverity.stuck = \"bad\"\n", "t").unwrap_err();
        assert!(e.0.contains("line 2"), "{}", e.0);
        let e = parse("[problems]\nallocation_rate = \"fast\"\n", "t").unwrap_err();
        assert!(e.0.contains("10MB/s"), "{}", e.0);
    }

    /// The commented-out examples are valid too: uncommented one at a time, each parses.
    #[test]
    fn the_example_configs_commented_examples_parse() {
        let lines: Vec<&str> = EXAMPLE.lines().collect();
        let mut tried = 0;
        // Keys of a table that is itself commented out (`# [[redis]]`) are not tried alone.
        let mut in_commented_table = false;
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with('[') {
                in_commented_table = false;
            }
            let Some(setting) = line.strip_prefix("# ") else {
                continue;
            };
            if setting.starts_with('[') {
                in_commented_table = true;
            }
            let key = setting.split('=').next().unwrap_or("").trim();
            if in_commented_table || !setting.contains(" = ") || key.contains(' ') || key.is_empty()
            {
                continue;
            }
            let mut text = lines.clone();
            text[i] = setting;
            let text = text.join("\n");
            parse(&text, "example").unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
            tried += 1;
        }
        assert!(tried >= 6, "{tried}");
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
            "[sort]\nallocations = \"user\"\n[columns]\nallocations = [\"user\", \"colour\"]\n",
            "/x.toml",
        )
        .unwrap_err()
        .0;
        assert_eq!(
            e,
            "config /x.toml: line 4, key `columns.allocations`: the allocations view has no \
             column 'colour'; its columns: user realm id server type remote age left state rate \
             cli-rx cli-tx peer-rx peer-tx bytes client peer last peers"
        );
        let e = parse("[keys]\nquit = \"ctrl-banana\"\n", "/x.toml")
            .unwrap_err()
            .0;
        assert!(e.contains("line 2") && e.contains("not a key name"), "{e}");
        let e = parse("theme = \n", "/x.toml").unwrap_err().0;
        assert!(!e.contains('\n') && e.contains("line 1"), "{e}");
    }

    #[test]
    fn the_names_on_screen_work_as_columns_and_sorts() {
        // The Servers and Problems views have no `[columns]`/`[sort]` keys (yet).
        for kind in [TableKind::Allocations, TableKind::Users, TableKind::Realms] {
            let titles: Vec<&str> = crate::table::columns(kind)
                .iter()
                .map(|c| c.title)
                .collect();
            let names: Vec<String> = titles
                .iter()
                .map(|t| t.to_lowercase().replace(' ', "-"))
                .collect();
            let list = |v: &[String]| {
                v.iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let titles_owned: Vec<String> = titles.iter().map(|t| (*t).to_owned()).collect();
            for cols in [&names, &titles_owned] {
                let text = format!("[columns]\n{} = [{}]\n", kind.name(), list(cols));
                let c = parse(&text, "/x.toml").unwrap_or_else(|e| panic!("{e}"));
                let got = match kind {
                    TableKind::Allocations => c.columns.allocations,
                    TableKind::Users => c.columns.users,
                    TableKind::Realms => c.columns.realms,
                    TableKind::Servers | TableKind::Problems => unreachable!("not configurable"),
                };
                let got: Vec<Col> = got.unwrap().iter().filter_map(|n| Col::parse(n)).collect();
                let want: Vec<Col> = crate::table::columns(kind).iter().map(|c| c.col).collect();
                assert_eq!(got, want);
            }
            for (name, spec) in names.iter().zip(crate::table::columns(kind)) {
                if spec.col == Col::Peers {
                    // Known for the user on screen only: shown, never sorted on.
                    assert!(
                        parse_sort(name, kind)
                            .unwrap_err()
                            .contains("cannot be sorted")
                    );
                    continue;
                }
                for s in [name.clone(), format!("-{name}"), spec.title.to_owned()] {
                    let text = format!("[sort]\n{} = \"{s}\"\n", kind.name());
                    parse(&text, "/x.toml").unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(parse_sort(&s, kind).map(|s| s.col), Ok(spec.col));
                }
            }
        }
        let e = parse("[columns]\nusers = []\n", "/x.toml").unwrap_err().0;
        assert_eq!(
            e,
            "config /x.toml: line 2, key `columns.users`: an empty list would show no columns: \
             list at least one, or remove the key to show them all"
        );
    }

    #[test]
    fn redis_as_a_table_instead_of_a_list_names_the_fix() {
        let e = parse("[redis]\nurl = \"redis://h:6379\"\n", "/x.toml")
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("config /x.toml: line 1, key `redis`: invalid type: map, expected a sequence: endpoints are a list, write [[redis]] (double brackets)"),
            "{e}"
        );
        let e = parse("[[sort]]\nusers = \"rate\"\n", "/x.toml")
            .unwrap_err()
            .0;
        assert!(e.contains("write [sort] (single brackets)"), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn redis_url_errors_name_the_fix() {
        let e = parse(
            "[[redis]]\nurl = \"redis://:secret@host:99999\"\n",
            "/x.toml",
        )
        .unwrap_err()
        .0;
        assert_eq!(
            e,
            "config /x.toml: line 2, key `redis.url`: invalid Redis URL \
             'redis://:***@host:99999': port 99999 is out of range: a port is 1 to 65535 (Redis \
             listens on 6379 by default)"
        );
        let check = |u: &str| check_redis_url(u).unwrap_err();
        assert!(
            check("redis://h:abc").contains("port `abc` is not a number: write redis://h:6379")
        );
        assert!(check("redis://h:").contains("the port after `:` is missing"));
        assert!(check("redis://:6379").contains("there is no host"));
        assert!(check("redis://h:6379/x").contains("`/x` is not a database number"));
        assert!(check("http://h").contains("the scheme is `http`"));
        assert!(check("h:6379").contains("write redis://host:6379"));
        assert!(check("redis://[::1:6379").contains("closing `]`"));
        for ok in [
            "redis://h",
            "redis://h:6379/2",
            "rediss://u:p@h:1",
            "redis://[::1]:6380",
            "redis://h:6379/?protocol=resp3",
        ] {
            assert_eq!(check_redis_url(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn a_key_bound_twice_names_both_commands() {
        let e = parse("[keys]\nhelp = \"h\"\nquit = \"j\"\n", "/x.toml")
            .unwrap_err()
            .0;
        assert_eq!(
            e,
            "config /x.toml: line 2, key `keys.help`: `h` is bound to both help and back (a \
             default key of back): choose another key for help, or give back other keys (back = \
             [\"esc\", \"backspace\", \"left\"])"
        );
        let e = parse("[keys]\nquit = \"j\"\n", "/x.toml").unwrap_err().0;
        assert!(e.contains("`j` is bound to both quit and down"), "{e}");
        let e = parse("[keys]\nquit = \"x\"\nfreeze = [\"f\", \"x\"]\n", "/x.toml")
            .unwrap_err()
            .0;
        assert!(
            e.contains("line 2, key `keys.quit`: `x` is bound to both quit and freeze: keep it for one of them"),
            "{e}"
        );
        // Moving a key: rebinding both commands is fine.
        parse("[keys]\nquit = \"j\"\ndown = \"down\"\n", "/x.toml").unwrap();
        parse("[keys]\npage-up = [\"pgup\", \"u\"]\n", "/x.toml").unwrap();
    }
}
