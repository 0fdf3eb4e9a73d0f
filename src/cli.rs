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
