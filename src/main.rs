use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use turntop::capture;
use turntop::model::{Model, ModelConfig};
use turntop::output;
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
        None => Err(usage(
            "the live Redis source is not available yet: use `turntop replay FILE --once`",
        )),
    }
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
