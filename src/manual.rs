//! The manual page: what `turntop man` prints. clap_mangen renders `--help` as roff; this adds
//! the sections a man page has and `--help` lacks: keys, the filter language, the columns, exit
//! status, environment, files and examples, each built from the code it documents (the key
//! map, the column vocabulary, the filter's own description).

use std::io::{self, Write};

use crate::app::{Command, command_name, default_keys};
use crate::column::Col;
use crate::table::{TableKind, columns};

/// The examples of `--help` (and the man page's EXAMPLES). Each runs as written.
pub const EXAMPLES_HELP: &str = "\
Examples:
  turntop --demo                              a simulated coturn, no Redis needed
  turntop --redis redis://127.0.0.1:6379      watch coturn's --redis-statsdb live
  turntop --once --view users --format table  one table of users, for a pipe or a script
  turntop --once --format csv --filter 'type=tcp' --sort -bytes
  turntop --once --format csv --raw --filter 'remote=192.0.2.0/24|2001:db8::/32'
  turntop record --redis redis://10.0.0.5:6379 -o coturn.txt --duration 10m --keys
  turntop replay coturn.txt --speed 10        replay it (p pauses, n steps)
  turntop check --redis redis://127.0.0.1:6379  for Nagios, Icinga, cron: exit 0 OK, 2 CRITICAL
  turntop serve --metrics 127.0.0.1:9642      live metrics for Prometheus, headless (/metrics)
  turntop completions bash > ~/.local/share/bash-completion/completions/turntop
  turntop man > turntop.1";

/// What each command does, for the KEYS section.
fn describe(cmd: Command) -> &'static str {
    match cmd {
        Command::Quit => "quit",
        Command::Help => "help: every key, the filter terms",
        Command::Up => "move up (on the detail screen: scroll its event log)",
        Command::Down => "move down (on the detail screen: scroll its event log)",
        Command::PageUp => "one page up",
        Command::PageDown => "one page down",
        Command::HalfPageUp => "half a page up",
        Command::HalfPageDown => "half a page down",
        Command::Top => "first row",
        Command::Bottom => "last row",
        Command::Enter => {
            "drill down: realm, its users, a user's allocations, one allocation; a problem's \
             subject"
        }
        Command::Back => "back up one level",
        Command::NextView => "next view",
        Command::PrevView => "previous view",
        Command::Allocations => "the allocations view",
        Command::Users => "the users view",
        Command::Realms => "the realms view",
        Command::Problems => "the problems view: what is wrong, critical first",
        Command::Servers => "the servers view: one row per coturn listener",
        Command::Filter => "type a filter (Enter keeps it, Esc gives up an invalid one)",
        Command::ClearFilter => "clear the filter",
        Command::SortNext => "sort by the next column",
        Command::SortPrev => "sort by the previous column",
        Command::SortReverse => "reverse the sort",
        Command::SortMenu => "choose the sort column from a menu",
        Command::Freeze => "freeze the screen (data keeps arriving behind it)",
        Command::ZoomIn => "zoom the history window in (30s ... 30m)",
        Command::ZoomOut => "zoom the history window out",
        Command::Units => "rates in bytes/s or bits/s",
        Command::Suspend => "suspend to the shell (fg resumes)",
        Command::Pause => "replays: pause or resume (the clock too)",
        Command::Step => "replays: deliver the next message (pauses first)",
        Command::Follow => {
            "follow: a selection you moved stays on its row as rows move (else on its line); \
             until you move it, it stays on the first row with the table at its top"
        }
        Command::Cancel => {
            "cancel the selected allocation through coturn's CLI (asks first; needs --coturn-cli)"
        }
    }
}

const EXIT_STATUS: &str = "\
0   success; Ctrl-C, SIGTERM and --duration end record with 0
1   with --once or record: a Redis endpoint cannot be reached, refuses the credentials or
    drops while listening; the terminal failed
2   bad input: an argument, the configuration file, a URL, a password or CA file, a
    capture that is not one, an existing record output without --force or --append
check (and replay --check), as monitoring plugins: 0 OK, 1 WARNING, 2 CRITICAL (a critical
    problem, or Redis unreachable), 3 UNKNOWN (bad arguments or configuration)";

const ENVIRONMENT: &str = "\
TURNTOP_CONFIG           the configuration file (--config wins)
TURNTOP_COTURN_CLI_PASSWORD
                         coturn's CLI password for --coturn-cli (--coturn-cli-password-file
                         wins)
TURNTOP_REDIS_PASSWORD   the Redis password for URLs without one (--redis-password-file wins)
TURNTOP_LOG              the level of --log: info (default), debug, warn, or per module
                         (turntop=debug,redis=warn)
NO_COLOR                 no colours (as --no-color)";

const FILES: &str = "\
~/.config/turntop/config.toml   the configuration ($XDG_CONFIG_HOME/turntop/config.toml);
                                every key is documented in config.example.toml
capture files                   what record writes and replay reads: one message a line,
                                TAB separated t_rel_s epoch_s pattern channel message";

/// One line per command with its default keys: `  q ^C         quit`.
fn keys_section() -> String {
    let mut out = String::new();
    let mut seen: Vec<Command> = Vec::new();
    for (_, cmd) in default_keys() {
        if seen.contains(cmd) {
            continue;
        }
        seen.push(*cmd);
        let keys: Vec<&str> = default_keys()
            .iter()
            .filter(|(_, c)| c == cmd)
            .map(|(k, _)| *k)
            .collect();
        out.push_str(&format!(
            "{:<22} {:<16} {}\n",
            keys.join(" "),
            command_name(*cmd),
            describe(*cmd)
        ));
    }
    out.push_str(
        "\nThe second column is the command's name in the configuration file's [keys] section,\n\
         which rebinds it.",
    );
    out
}

fn columns_section() -> String {
    let mut out = String::from(
        "A column's name is its title on screen in lower case, with - for the space; it works\n\
         in --sort, as a filter field, and in the configuration's columns and sort. The titles\n\
         themselves and the older long names (the aliases) work too.\n\n",
    );
    for c in Col::ALL {
        let views: Vec<&str> = TableKind::ALL
            .iter()
            .filter(|k| columns(**k).iter().any(|s| s.col == c))
            .map(|k| k.name())
            .collect();
        out.push_str(&format!(
            "{:<8} {:<8} in {}\n         {}\n",
            c.name(),
            c.title(),
            views.join(", "),
            c.description()
        ));
        if !c.aliases().is_empty() {
            out.push_str(&format!("         also: {}\n", c.aliases().join(" ")));
        }
    }
    out.push_str(
        "\nWith --once --raw: ids in full, bytes and bytes/s as integers, durations in seconds\n\
         (LEFT is negative once expired), unknown values empty.",
    );
    out
}

/// Escape text for roff: backslashes, hyphens (so they print as ASCII hyphens, which readers
/// copy into commands), and a leading `.` or `'` (control characters there).
fn roff_escape(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\e").replace('-', "\\-");
            if line.starts_with(['.', '\'']) {
                format!("\\&{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A section of preformatted text.
fn section(out: &mut Vec<u8>, title: &str, body: &str) -> io::Result<()> {
    writeln!(out, ".SH \"{title}\"\n.nf\n{}\n.fi", roff_escape(body))
}

/// The whole page of `cmd` (the top-level command).
pub fn render(cmd: clap::Command, out: &mut Vec<u8>) -> io::Result<()> {
    let man = clap_mangen::Man::new(cmd);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    section(out, "KEYS", &keys_section())?;
    section(out, "FILTER LANGUAGE", crate::filter::LANGUAGE)?;
    section(out, "COLUMNS", &columns_section())?;
    section(out, "EXIT STATUS", EXIT_STATUS)?;
    section(out, "ENVIRONMENT", ENVIRONMENT)?;
    section(out, "FILES", FILES)?;
    let examples = EXAMPLES_HELP
        .lines()
        .skip(1)
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n");
    section(out, "EXAMPLES", &examples)?;
    man.render_version_section(out)
}
