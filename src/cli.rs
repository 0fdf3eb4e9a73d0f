//! Command line: clap definitions only.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use turntop::source::replay::Speed;

#[derive(Parser, Debug)]
#[command(
    name = "turntop",
    version,
    about = "Live view of a coturn TURN server's allocations, from its Redis stats DB"
)]
pub struct Cli {
    /// Print the state once, without the terminal UI, and exit.
    #[arg(long, global = true)]
    pub once: bool,

    /// Output format for --once.
    #[arg(long, value_enum, default_value_t = Format::Json, global = true)]
    pub format: Format,

    /// Seconds an ended allocation stays visible.
    #[arg(long, default_value_t = 600.0, global = true, value_name = "SECS")]
    pub retention: f64,

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

    /// With --once against Redis: seconds to listen after seeding, before printing.
    #[arg(long, default_value_t = 0.0, global = true, value_name = "SECS")]
    pub listen: f64,

    #[command(subcommand)]
    pub command: Option<Command>,
}

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
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
}
