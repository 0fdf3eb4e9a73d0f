//! Command line: clap definitions only.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use turntop::source::replay::Speed;
use turntop::table::TableKind;
use turntop::ui::ThemeName;

#[derive(Parser, Debug)]
#[command(
    name = "turntop",
    version,
    about = "Live view of a coturn TURN server's allocations, from its Redis stats DB",
    after_help = EXAMPLES
)]
pub struct Cli {
    /// Run on the bundled demo (a living, simulated coturn), no Redis needed.
    #[arg(long, global = true)]
    pub demo: bool,

    /// Seed of the demo generator (the same seed gives the same picture).
    #[arg(long, global = true, default_value_t = 1, value_name = "N")]
    pub demo_seed: u64,

    /// Print the state once, without the terminal UI, and exit.
    #[arg(long, global = true)]
    pub once: bool,

    /// Output format for --once: table and csv print the --view (filtered, sorted) as the TUI
    /// shows it; json prints the full snapshot, or the view's rows with --view/--filter/--sort.
    #[arg(long, value_enum, default_value_t = Format::Json, global = true)]
    pub format: Format,

    /// How long an ended allocation stays visible: seconds or e.g. 10m [default: 10m].
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub retention: Option<f64>,

    /// Configuration file [default: $TURNTOP_CONFIG, else ~/.config/turntop/config.toml].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Colour theme [default: dark; NO_COLOR selects none].
    #[arg(long, value_enum, global = true)]
    pub theme: Option<ThemeName>,

    /// No colours at all (same as NO_COLOR=1 or --theme none).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// The view to open with.
    #[arg(long, value_enum, global = true)]
    pub view: Option<TableKind>,

    /// Sort the view by a column: `rate`, `-bytes` (descending), `+user` (ascending).
    #[arg(long, global = true, value_name = "COLUMN")]
    pub sort: Option<String>,

    /// Show only rows matching a filter, e.g. `user=alice type=tcp rate>1MB !state=deleted`.
    #[arg(long, global = true, value_name = "EXPR")]
    pub filter: Option<String>,

    /// Rates in bits per second.
    #[arg(long, global = true)]
    pub bits: bool,

    /// Capture the mouse: click a header to sort, a row to select, wheel to scroll.
    #[arg(long, global = true)]
    pub mouse: bool,

    /// Initial history window of sparklines and charts: seconds or e.g. 5m [default: 10m].
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub history: Option<f64>,

    /// Redis endpoint coturn writes to: redis://[user:pass@]host:port[/db] or rediss://
    /// (repeatable). Default: redis://127.0.0.1:6379.
    #[arg(long = "redis", value_name = "URL", global = true)]
    pub redis: Vec<String>,

    /// Read the Redis password from this file (first line), for URLs without one.
    /// The TURNTOP_REDIS_PASSWORD environment variable is used otherwise.
    #[arg(long, value_name = "FILE", global = true)]
    pub redis_password_file: Option<PathBuf>,

    /// Trust this PEM CA certificate for rediss:// endpoints.
    #[arg(long, value_name = "FILE", global = true)]
    pub redis_ca: Option<PathBuf>,

    /// Do not verify the TLS certificate of rediss:// endpoints (self-signed test setups).
    #[arg(long, global = true)]
    pub redis_insecure: bool,

    /// Log connections, seeds, disconnects and bad messages into this file (appended to);
    /// the level comes from TURNTOP_LOG (default info). Nothing is logged without it.
    #[arg(long, value_name = "FILE", global = true)]
    pub log: Option<PathBuf>,

    /// With --once against Redis: seconds to listen after seeding, before printing.
    #[arg(long, default_value_t = 0.0, global = true, value_name = "SECS")]
    pub listen: f64,

    #[command(subcommand)]
    pub command: Option<Command>,
}

const EXAMPLES: &str = "\
Examples:
  turntop --demo                              a simulated coturn, no Redis needed
  turntop --redis redis://127.0.0.1:6379      watch coturn's --redis-statsdb live
  turntop --once --view users --format table  one table of users, for a pipe or a script
  turntop --once --format csv --filter 'type=tcp' --sort -bytes
  turntop record --redis redis://10.0.0.5:6379 -o coturn.txt --duration 10m --keys
  turntop replay coturn.txt --speed 10        replay it (p pauses, n steps)
  turntop completions bash > ~/.local/share/bash-completion/completions/turntop
  turntop man > turntop.1";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Replay a capture file (the format `turntop record` writes).
    Replay {
        /// The capture to replay.
        file: PathBuf,
        /// Replay speed: 1 = real time, 10 = ten times faster, max = no waiting.
        #[arg(long, default_value = "1")]
        speed: Speed,
    },
    /// Record every message coturn publishes (from --redis) into a capture file, until Ctrl-C,
    /// SIGTERM or --duration.
    Record {
        /// The capture file to write (`-` for stdout); replaced if it exists.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// Stop after this long: seconds or e.g. 10m.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        duration: Option<f64>,
        /// Also write the status keys found at start (#key lines; replay seeds from them).
        #[arg(long)]
        keys: bool,
    },
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), or write one page per command into --out DIR.
    Man {
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

pub use turntop::headless::Format;

fn parse_duration(s: &str) -> Result<f64, String> {
    turntop::format::parse_duration(s)
        .ok_or_else(|| format!("'{s}' is not a duration (e.g. 90, 90s, 10m, 1h)"))
}
