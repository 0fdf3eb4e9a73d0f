use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use turntop::capture;
use turntop::live;
use turntop::model::{Model, ModelConfig};
use turntop::output;
use turntop::source::redis as redis_source;
use turntop::source::replay;

mod cli;

use cli::{Cli, Command, Format};

/// Exit code for bad input (files, arguments, configuration), as clap uses for bad arguments.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { message, code }) => {
            eprintln!("turntop: {message}");
            ExitCode::from(code)
        }
    }
}

struct Failure {
    message: String,
    code: u8,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: EXIT_USAGE,
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Some(Command::Replay { file, speed: _ }) => {
            let records =
                capture::read_file(&file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
            if !cli.once {
                return Err(usage("the terminal UI is not available yet: add --once"));
            }
            let mut model = Model::new(ModelConfig {
                retention: cli.retention,
                ..ModelConfig::default()
            });
            let endpoint = model.add_endpoint(file.display().to_string());
            let now = replay::apply_all(&mut model, endpoint, &records);
            print_once(&model, now, cli.format)
        }
        None if cli.once => live_once(&cli),
        None => Err(usage(
            "the live Redis source is not available yet: use `turntop replay FILE --once`",
        )),
    }
}

/// Exit code when a Redis endpoint cannot be reached (or refuses us) under `--once`.
const EXIT_UNREACHABLE: u8 = 1;

/// `turntop --once` against live Redis: connect, seed, listen `--listen` seconds, print.
fn live_once(cli: &Cli) -> Result<(), Failure> {
    let endpoints = redis_source::endpoints(&redis_source::EndpointsConfig {
        urls: cli.redis.iter().map(|u| (u.clone(), None)).collect(),
        password_file: cli.redis_password_file.as_deref(),
        password_env: std::env::var(redis_source::PASSWORD_ENV).ok(),
        ca_file: cli.redis_ca.as_deref(),
        insecure: cli.redis_insecure,
    })
    .map_err(|e| usage(e.0))?;
    if !(cli.listen.is_finite() && cli.listen >= 0.0) {
        return Err(usage("--listen must be a number of seconds >= 0"));
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| usage(e.to_string()))?;
    let config = ModelConfig {
        retention: cli.retention,
        ..ModelConfig::default()
    };
    let (model, now) = runtime
        .block_on(live::once(
            endpoints,
            std::time::Duration::from_secs_f64(cli.listen),
            config,
            redis_source::RunOptions::default(),
        ))
        .map_err(|e| Failure {
            message: e.0,
            code: EXIT_UNREACHABLE,
        })?;
    print_once(&model, now, cli.format)
}

fn print_once(model: &Model, now: f64, format: Format) -> Result<(), Failure> {
    let snapshot = output::snapshot(model, now);
    let text = match format {
        Format::Json => {
            serde_json::to_string_pretty(&snapshot).map_err(|e| usage(e.to_string()))?
        }
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = writeln!(out, "{text}");
    Ok(())
}
