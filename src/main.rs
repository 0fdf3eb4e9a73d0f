use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use turntop::app::App;
use turntop::capture;
use turntop::clock::{self, Clock};
use turntop::config::{self, Config};
use turntop::format::RateUnits;
use turntop::live;
use turntop::logging;
use turntop::model::{Model, ModelConfig};
use turntop::source::redis as redis_source;
use turntop::source::replay;
use turntop::table::TableKind;
use turntop::tui;
use turntop::ui::{SourceInfo, Theme, ThemeName};

mod cli;

use cli::{Cli, Command};

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
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "turntop", &mut script);
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = std::io::stdout().write_all(&script);
            return Ok(());
        }
        Some(Command::Man { out }) => return man(out.as_deref()),
        _ => {}
    }
    let (config, config_path) = config::load(cli.config.as_deref()).map_err(|e| usage(e.0))?;
    // Held until the run is over: dropping it writes out what is queued.
    let _log = match cli
        .log
        .clone()
        .or_else(|| config.log_path(config_path.as_deref()))
    {
        Some(path) => Some(logging::init(&path).map_err(usage)?),
        None => None,
    };
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "turntop starts");
    match &config_path {
        Some(path) => tracing::info!(file = %path.display(), "config loaded"),
        None => tracing::info!("no config file: defaults"),
    }
    let result = run_command(&cli, &config);
    match &result {
        Ok(()) => tracing::info!("turntop exits"),
        Err(failure) => tracing::error!(message = failure.message, "turntop exits on an error"),
    }
    result
}

fn run_command(cli: &Cli, config: &Config) -> Result<(), Failure> {
    let model_config = ModelConfig {
        key_grace: turntop::model::KEY_GRACE,
        retention: cli
            .retention
            .or(config.retention.map(|d| d.0))
            .unwrap_or(600.0),
        history_window: 1800.0,
    };
    match &cli.command {
        Some(Command::Completions { .. } | Command::Man { .. }) => Ok(()),
        Some(Command::Record {
            output,
            duration,
            keys,
        }) => record(cli, config, output, *duration, *keys),
        Some(Command::Replay { file, speed }) => {
            let records =
                capture::read_file(file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
            let mut passes = turntop::record::read_passes(file)
                .map_err(|e| usage(format!("{}: {e}", file.display())))?;
            let mut model = Model::new(model_config);
            let label = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let endpoint = model.add_endpoint(label.clone());
            // A pass before the first message is the seed the replay starts from.
            let later = passes.split_off(passes.partition_point(|p| p.at_message == 0));
            for seed in &passes {
                seed.apply_to(&mut model, endpoint);
            }
            if cli.once {
                let now = replay::apply_all_with_passes(&mut model, endpoint, &records, &later);
                return print_once(cli, config, &model, now);
            }
            let mut app = build_app(cli, config)?;
            app.replay = true;
            tui::check_terminal().map_err(usage)?;
            let start = records.first().map_or(0.0, |r| r.epoch);
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let speed = *speed;
            let (control, control_rx) = tokio::sync::watch::channel(replay::Control::default());
            let source = SourceInfo::Replay {
                file: label,
                speed: match speed {
                    replay::Speed::Max => "max".into(),
                    replay::Speed::Factor(f) => format!("{f}"),
                },
                paused: false,
                finished: false,
            };
            run_tui(
                app,
                model,
                rx,
                Some(control),
                Default::default(),
                source,
                theme(cli, config),
                move || Clock::replay(start, speed),
                async move {
                    replay::run_controlled(records, later, endpoint, speed, tx, control_rx).await;
                },
            )
        }
        None if cli.demo => {
            let mut model = Model::new(model_config);
            let endpoint = model.add_endpoint("demo");
            let demo_config = turntop::demo::DemoConfig::with_seed(cli.demo_seed);
            let app = if cli.once {
                None
            } else {
                let app = build_app(cli, config)?;
                tui::check_terminal().map_err(usage)?;
                Some(app)
            };
            // The warm-up history goes straight into the model: it is history, and through the
            // source queue it would show as a burst of thousands of events a second.
            let now = clock::now();
            let mut demo = turntop::demo::Demo::new(demo_config, now);
            for m in demo.prewarm() {
                model.apply_raw(endpoint, m.at, &m.channel, m.payload.as_bytes());
            }
            model.evict(now);
            let Some(app) = app else {
                return print_once(cli, config, &model, now);
            };
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let mut reconcilers = turntop::source::Reconcilers::default();
            let trigger = reconcilers.trigger(endpoint);
            run_tui(
                app,
                model,
                rx,
                None,
                reconcilers,
                SourceInfo::Demo,
                theme(cli, config),
                || Clock::Wall,
                async move {
                    turntop::demo::follow(demo, endpoint, tx, trigger).await;
                },
            )
        }
        None if cli.once => live_once(cli, config, model_config),
        None => {
            let endpoints = redis_endpoints(cli, config)?;
            let app = build_app(cli, config)?;
            tui::check_terminal().map_err(usage)?;
            let mut model = Model::new(model_config);
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let mut reconcilers = turntop::source::Reconcilers::default();
            let tasks: Vec<_> = endpoints
                .into_iter()
                .map(|ep| {
                    let id = model.add_endpoint(ep.label.clone());
                    let options = redis_source::RunOptions {
                        reconcile: reconcilers.trigger(id),
                        ..Default::default()
                    };
                    redis_source::run(ep, id, options, tx.clone())
                })
                .collect();
            drop(tx);
            run_tui(
                app,
                model,
                rx,
                None,
                reconcilers,
                SourceInfo::Live,
                theme(cli, config),
                || Clock::Wall,
                async move {
                    futures::future::join_all(tasks).await;
                },
            )
        }
    }
}

fn theme(cli: &Cli, config: &Config) -> Theme {
    let no_color = cli.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Theme::new(if no_color {
        ThemeName::None
    } else {
        cli.theme.or(config.theme).unwrap_or_default()
    })
}

/// The app state from flags > config file > defaults.
fn build_app(cli: &Cli, config: &Config) -> Result<App, Failure> {
    let view = cli.view.or(config.view).unwrap_or(TableKind::Allocations);
    let mut app = App::new(view);
    for (kind, sort) in [
        (TableKind::Allocations, &config.sort.allocations),
        (TableKind::Users, &config.sort.users),
        (TableKind::Realms, &config.sort.realms),
    ] {
        if let Some(s) = sort.as_deref().and_then(|s| config::parse_sort(s, kind)) {
            app.sorts[kind.index()] = s;
        }
    }
    if let Some(s) = &cli.sort {
        let sort = config::parse_sort(s, view).ok_or_else(|| {
            usage(format!(
                "--sort: the {} view has no column '{s}'",
                view.title().to_lowercase()
            ))
        })?;
        app.sorts[view.index()] = sort;
    }
    if let Some(f) = &cli.filter {
        app.filter =
            turntop::filter::Filter::parse(f).map_err(|e| usage(format!("--filter: {e}")))?;
    }
    for (kind, cols) in [
        (TableKind::Allocations, &config.columns.allocations),
        (TableKind::Users, &config.columns.users),
        (TableKind::Realms, &config.columns.realms),
    ] {
        if let Some(cols) = cols {
            app.columns[kind.index()] = Some(
                cols.iter()
                    .filter_map(|c| turntop::table::parse_column(c))
                    .collect(),
            );
        }
    }
    for (cmd, keys) in &config.keys {
        app.keys
            .rebind(*cmd, &keys.keys())
            .map_err(|e| usage(format!("config: keys: {e}")))?;
    }
    app.units = if cli.bits {
        RateUnits::Bits
    } else {
        config.rate_units.unwrap_or_default()
    };
    app.mouse = cli.mouse || config.mouse.unwrap_or(false);
    app.set_history_window(
        cli.history
            .or(config.history_window.map(|d| d.0))
            .unwrap_or(600.0),
    );
    Ok(app)
}

fn redis_endpoints(
    cli: &Cli,
    config: &Config,
) -> Result<Vec<redis_source::RedisEndpoint>, Failure> {
    let urls: Vec<(String, Option<String>)> = if cli.redis.is_empty() {
        config
            .redis
            .iter()
            .map(|r| (r.url.clone(), r.name.clone()))
            .collect()
    } else {
        cli.redis.iter().map(|u| (u.clone(), None)).collect()
    };
    redis_source::endpoints(&redis_source::EndpointsConfig {
        urls,
        password_file: cli.redis_password_file.as_deref(),
        password_env: std::env::var(redis_source::PASSWORD_ENV).ok(),
        ca_file: cli.redis_ca.as_deref(),
        insecure: cli.redis_insecure,
    })
    .map_err(|e| usage(e.0))
}

#[allow(clippy::too_many_arguments)]
fn run_tui(
    app: App,
    model: Model,
    events: tokio::sync::mpsc::UnboundedReceiver<turntop::source::SourceEvent>,
    control: Option<tokio::sync::watch::Sender<replay::Control>>,
    reconcilers: turntop::source::Reconcilers,
    source: SourceInfo,
    theme: Theme,
    clock: impl FnOnce() -> Clock,
    producer: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Failure> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| usage(e.to_string()))?;
    runtime
        .block_on(async move {
            // The replay clock and its task start together.
            let clock = clock();
            let task = tokio::spawn(producer);
            let result = tui::run(tui::Session {
                app,
                model,
                events,
                clock,
                source,
                theme,
                control,
                reconcilers,
            })
            .await;
            task.abort();
            result
        })
        .map_err(|e| Failure {
            message: format!("terminal: {e}"),
            code: 1,
        })?;
    // Sources may hold sockets in blocking states; do not wait for them on the way out.
    runtime.shutdown_background();
    Ok(())
}

/// Exit code when a Redis endpoint cannot be reached (or refuses us) under `--once`.
const EXIT_UNREACHABLE: u8 = 1;

/// `turntop --once` against live Redis: connect, seed, listen `--listen` seconds, print.
fn live_once(cli: &Cli, config: &Config, model_config: ModelConfig) -> Result<(), Failure> {
    let endpoints = redis_endpoints(cli, config)?;
    if !(cli.listen.is_finite() && cli.listen >= 0.0) {
        return Err(usage("--listen must be a number of seconds >= 0"));
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| usage(e.to_string()))?;
    let (model, now) = runtime
        .block_on(live::once(
            endpoints,
            std::time::Duration::from_secs_f64(cli.listen),
            model_config,
            redis_source::RunOptions::default(),
        ))
        .map_err(|e| Failure {
            message: e.0,
            code: EXIT_UNREACHABLE,
        })?;
    print_once(cli, config, &model, now)
}

/// `--once`: the view (table, csv) or the snapshot (json; the view's rows when --view,
/// --filter or --sort is given).
fn print_once(cli: &Cli, config: &Config, model: &Model, now: f64) -> Result<(), Failure> {
    let app = build_app(cli, config)?;
    let rows_json = cli.view.is_some() || cli.filter.is_some() || cli.sort.is_some();
    let text = turntop::headless::render(cli.format, &app, model, now, rows_json).map_err(usage)?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    Ok(())
}

/// `turntop record`: one endpoint, into a file (or stdout), until a signal or --duration.
fn record(
    cli: &Cli,
    config: &Config,
    output: &std::path::Path,
    duration: Option<f64>,
    keys: bool,
) -> Result<(), Failure> {
    let mut endpoints = redis_endpoints(cli, config)?;
    if endpoints.len() != 1 {
        return Err(usage(
            "record takes one Redis endpoint: run one record per --redis",
        ));
    }
    let endpoint = endpoints.remove(0);
    let label = endpoint.label.clone();
    let to_stdout = output.as_os_str() == "-";
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout())
    } else {
        let file = std::fs::File::create(output)
            .map_err(|e| usage(format!("{}: {e}", output.display())))?;
        Box::new(std::io::BufWriter::new(file))
    };
    let options = turntop::record::Options {
        duration: duration.map(std::time::Duration::from_secs_f64),
        keys,
        run: redis_source::RunOptions::default(),
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| usage(e.to_string()))?;
    let result = runtime.block_on(async {
        let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| e.to_string())?;
        let stop = async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => "interrupted (Ctrl-C)",
                _ = sigterm.recv() => "terminated (SIGTERM)",
            }
        };
        if !to_stdout {
            eprintln!(
                "turntop: recording {label} into {} (Ctrl-C stops)",
                output.display()
            );
        }
        turntop::record::record(endpoint, &mut out, options, stop).await
    });
    runtime.shutdown_background();
    let summary = result.map_err(|message| Failure {
        message,
        code: EXIT_UNREACHABLE,
    })?;
    if !to_stdout {
        eprintln!(
            "turntop: recorded {} messages{} into {}",
            summary.messages,
            if keys {
                format!(" and {} status keys", summary.keys)
            } else {
                String::new()
            },
            output.display()
        );
    }
    Ok(())
}

/// `turntop man`: the page of the whole command on stdout, or one page per command in `dir`.
fn man(dir: Option<&std::path::Path>) -> Result<(), Failure> {
    let cmd = Cli::command();
    let result = match dir {
        Some(dir) => std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(cmd, dir)),
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .map(|()| drop(std::io::stdout().write_all(&page)))
        }
    };
    result.map_err(|e| Failure {
        message: format!("man: {e}"),
        code: 1,
    })
}
