//! Command line: clap definitions only.
//!
//! Each command takes only the options that mean something for it: the live view (and
//! `--demo`) take the view options and the Redis options, `replay` the view options, `record`
//! the Redis options and its own. Options go after the command (`turntop replay FILE --once`);
//! top-level options before a command are an error, not silently dropped.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use turntop::source::replay::Speed;
use turntop::table::TableKind;
use turntop::ui::ThemeName;

#[derive(Parser, Debug)]
#[command(
    name = "turntop",
    version,
    about = "Live view of a coturn TURN server's allocations, from its Redis stats DB",
    after_help = turntop::manual::EXAMPLES_HELP,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Run on the bundled demo (a living, simulated coturn), no Redis needed.
    #[arg(long, conflicts_with_all = ["redis", "redis_password_file", "redis_ca", "redis_insecure", "listen", "coturn_cli", "coturn_cli_password_file"])]
    pub demo: bool,

    /// Seed of the demo generator (the same seed gives the same picture).
    #[arg(long, default_value_t = 1, value_name = "N", requires = "demo")]
    pub demo_seed: u64,

    #[command(flatten)]
    pub view: ViewArgs,

    #[command(flatten)]
    pub redis: RedisArgs,

    #[command(flatten)]
    pub coturn_cli: CoturnCliArgs,

    /// With --once against Redis: seconds to listen after seeding, before printing.
    #[arg(long, default_value_t = 0.0, value_name = "SECS", requires = "once")]
    pub listen: f64,

    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub metrics: TuiMetricsArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What every command that runs takes: its configuration file and its log.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Configuration file [default: $TURNTOP_CONFIG, else ~/.config/turntop/config.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log connections, seeds, disconnects and bad messages into this file (appended to);
    /// the level comes from TURNTOP_LOG (default info). Nothing is logged without it.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

/// What to show and how: the live view, `--demo` and `replay`.
#[derive(Args, Debug, Clone)]
pub struct ViewArgs {
    /// Print the state once, without the terminal UI, and exit.
    #[arg(long)]
    pub once: bool,

    /// Output format for --once: table and csv print the --view (filtered, sorted) as the TUI
    /// shows it; json prints the full snapshot, or the view's rows with --view/--filter/--sort.
    #[arg(long, value_enum, default_value_t = Format::Json, requires = "once")]
    pub format: Format,

    /// With --once --format table or csv: cells for scripts: full ids, bytes and bytes/s as
    /// integers, durations in seconds, unknown as empty.
    #[arg(long, requires = "once")]
    pub raw: bool,

    /// How long an ended allocation stays visible: seconds or e.g. 10m [default: 10m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub retention: Option<f64>,

    /// Colour theme [default: dark; NO_COLOR selects none].
    #[arg(long, value_enum)]
    pub theme: Option<ThemeName>,

    /// No colours at all (same as NO_COLOR=1 or --theme none).
    #[arg(long)]
    pub no_color: bool,

    /// The view to open with.
    #[arg(long, value_enum)]
    pub view: Option<TableKind>,

    /// Sort the view by a column, by the name on screen: `rate`, `-bytes` (descending),
    /// `+user` (ascending), `cli-rx`, `server`, `last`.
    #[arg(long, value_name = "COLUMN", allow_hyphen_values = true)]
    pub sort: Option<String>,

    /// Show only rows matching a filter, e.g. `user=alice|bob type=udp rate>8Mbps
    /// remote=192.0.2.0/24 !state=deleted` (see `turntop man`).
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,

    /// Rates in bits per second.
    #[arg(long)]
    pub bits: bool,

    /// Capture the mouse: click a header to sort, a row to select, wheel to scroll.
    #[arg(long)]
    pub mouse: bool,

    /// Ring the terminal bell once when a new critical problem appears (config: problems.bell).
    #[arg(long)]
    pub bell: bool,

    /// Initial history window of sparklines and charts: seconds or e.g. 5m [default: 10m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub history: Option<f64>,
}

/// coturn's admin CLI beside each Redis (the live view).
#[derive(Args, Debug, Clone)]
pub struct CoturnCliArgs {
    /// coturn's admin CLI (telnet, coturn --cli-port) as HOST:PORT, paired in order with
    /// --redis (repeatable): peers, relay addresses, coturn's own count, K to cancel a session.
    #[arg(long = "coturn-cli", value_name = "HOST:PORT")]
    pub coturn_cli: Vec<String>,

    /// Read coturn's CLI password (--cli-password) from this file (first line); else from
    /// TURNTOP_COTURN_CLI_PASSWORD.
    #[arg(long, value_name = "FILE")]
    pub coturn_cli_password_file: Option<PathBuf>,

    /// Never cancel a session (K off), e.g. on a shared terminal.
    #[arg(long)]
    pub read_only: bool,
}

/// Where coturn's Redis is: the live view and `record`.
#[derive(Args, Debug, Clone)]
pub struct RedisArgs {
    /// Redis endpoint coturn writes to: redis://[user:pass@]host:port[/db] or rediss://
    /// (repeatable). Default: redis://127.0.0.1:6379.
    #[arg(long = "redis", value_name = "URL")]
    pub redis: Vec<String>,

    /// Read the Redis password from this file (first line), for URLs without one.
    /// The TURNTOP_REDIS_PASSWORD environment variable is used otherwise.
    #[arg(long, value_name = "FILE")]
    pub redis_password_file: Option<PathBuf>,

    /// Trust this PEM CA certificate for rediss:// endpoints.
    #[arg(long, value_name = "FILE")]
    pub redis_ca: Option<PathBuf>,

    /// Do not verify the TLS certificate of rediss:// endpoints (self-signed test setups).
    #[arg(long)]
    pub redis_insecure: bool,
}

/// `--metrics` next to the TUI (the live view and `--demo`).
#[derive(Args, Debug, Clone)]
pub struct TuiMetricsArgs {
    /// Also serve Prometheus metrics on this address (e.g. 127.0.0.1:9642): /metrics, /healthz.
    #[arg(long = "metrics", value_name = "ADDR", conflicts_with = "once")]
    pub addr: Option<std::net::SocketAddr>,
    /// Export the top N users by rate, the rest summed as user="_other" (0: no user series).
    #[arg(
        long = "metrics-users",
        value_name = "N",
        default_value_t = 0,
        requires = "addr"
    )]
    pub users: usize,
}

/// What `serve` takes besides the Redis options.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Serve Prometheus metrics on this address: /metrics and /healthz
    /// [default: [metrics] listen, else 127.0.0.1:9642].
    #[arg(long = "metrics", value_name = "ADDR")]
    pub addr: Option<std::net::SocketAddr>,
    /// Export the top N users by rate, the rest summed as user="_other"
    /// [default: [metrics] users, else 0: no user series].
    #[arg(long = "metrics-users", value_name = "N")]
    pub users: Option<usize>,
    /// How long an ended allocation stays counted in turntop_allocations{state="ended"}:
    /// seconds or e.g. 10m [default: 10m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub retention: Option<f64>,
    #[command(flatten)]
    pub redis: RedisArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Export live metrics for Prometheus, without a terminal (/metrics, /healthz), until
    /// SIGTERM: the same Redis sources and configuration as the live view.
    Serve(ServeArgs),
    /// Replay a capture file (the format `turntop record` writes).
    Replay(ReplayArgs),
    /// Record every message coturn publishes (from --redis) into a capture file, until Ctrl-C,
    /// SIGTERM or --duration.
    Record(RecordArgs),
    /// For cron and monitoring systems (Nagios, Icinga...): listen to Redis for a few seconds,
    /// then print `TURNTOP OK|WARNING|CRITICAL - summary | perfdata` and one line per problem;
    /// exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Redis unreachable is CRITICAL.
    Check(CheckArgs),
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), or write one page per command into --out DIR.
    Man {
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The capture to replay.
    pub file: PathBuf,
    /// Replay speed: 1 = real time, 10 = ten times faster, max = no waiting.
    #[arg(long, default_value = "1")]
    pub speed: Speed,
    /// Replay the whole capture (at max speed), then report its problems as `turntop check`
    /// does (output and exit status).
    #[arg(long, conflicts_with = "once")]
    pub check: bool,
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Seconds to listen after seeding, so that rates exist, before deciding.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub listen: f64,
    #[command(flatten)]
    pub redis: RedisArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The capture file to write (`-` for stdout). An existing file is never replaced without
    /// --force; --append continues it.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// Replace FILE if it exists.
    #[arg(long, conflicts_with = "append")]
    pub force: bool,
    /// Continue FILE if it exists (a capture this command wrote): times keep counting from
    /// its start, and the time not recorded is marked as a gap.
    #[arg(long, conflicts_with = "keys")]
    pub append: bool,
    /// Stop after this long: seconds or e.g. 10m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<f64>,
    /// Also write the status keys found at start (#key lines; replay seeds from them).
    #[arg(long)]
    pub keys: bool,
    #[command(flatten)]
    pub redis: RedisArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub use turntop::headless::Format;

fn parse_duration(s: &str) -> Result<f64, String> {
    turntop::format::parse_duration(s)
        .ok_or_else(|| format!("'{s}' is not a duration (e.g. 90, 90s, 10m, 1h)"))
}
