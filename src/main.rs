use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use turntop::app::App;
use turntop::capture;
use turntop::check::{self, CheckState};
use turntop::clock::{self, Clock};
use turntop::config::{self, Config};
use turntop::coturn_cli::view::CancelPolicy;
use turntop::format::RateUnits;
use turntop::live;
use turntop::logging;
use turntop::model::{Model, ModelConfig};
use turntop::source::redis as redis_source;
use turntop::source::replay;
use turntop::table::{Col, TableKind};
use turntop::tui;
use turntop::ui::{SourceInfo, Theme, ThemeName};

mod cli;

use cli::{
    Cli, Command, CommonArgs, RecordArgs, RedisArgs, ReplayArgs, ServeArgs, TuiMetricsArgs,
    ViewArgs,
};

/// Exit code for bad input (files, arguments, configuration), as clap uses for bad arguments.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A monitoring plugin's bad arguments are UNKNOWN (3), in its own format.
        Err(e) if is_check_command() && e.use_stderr() => {
            let reason = e.to_string();
            let reason = reason.lines().next().unwrap_or("bad arguments");
            let reason = reason.strip_prefix("error: ").unwrap_or(reason);
            print!("{}", check::failed(CheckState::Unknown, reason).text);
            return ExitCode::from(CheckState::Unknown.code());
        }
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { message, code }) => {
            // A check has printed its report already.
            if !message.is_empty() {
                eprintln!("turntop: {message}");
            }
            ExitCode::from(code)
        }
    }
}

fn is_check_command() -> bool {
    std::env::args().nth(1).as_deref() == Some("check")
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
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "turntop", &mut script);
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = std::io::stdout().write_all(&script);
            Ok(())
        }
        Some(Command::Man { out }) => man(out.as_deref()),
        Some(Command::Check(args)) => check_live(&args),
        Some(Command::Serve(args)) => with_config(&args.common, |config| serve(&args, config)),
        Some(Command::Record(args)) => with_config(&args.common, |config| record(&args, config)),
        Some(Command::Replay(args)) => {
            with_config(&args.common, |config| replay_file(&args, config))
        }
        None => with_config(&cli.common, |config| {
            if cli.demo {
                demo(&cli, config)
            } else if cli.view.once {
                live_once(&cli, config)
            } else {
                live(&cli, config)
            }
        }),
    }
}

/// Load the configuration, open the log it or `--log` names, and run `command` with them.
fn with_config(
    common: &CommonArgs,
    command: impl FnOnce(&Config) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let (config, config_path) = config::load(common.config.as_deref()).map_err(|e| usage(e.0))?;
    // Held until the run is over: dropping it writes out what is queued.
    let _log = match common
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
    let result = command(&config);
    match &result {
        Ok(()) => tracing::info!("turntop exits"),
        Err(failure) => tracing::error!(message = failure.message, "turntop exits on an error"),
    }
    result
}

/// The model's settings for a view or `serve`: `--retention` over the file's, over the default.
fn model_config(retention: Option<f64>, config: &Config) -> ModelConfig {
    ModelConfig {
        // Validated when the configuration was read.
        problems: config.problems.thresholds().unwrap_or_default(),
        key_grace: turntop::model::KEY_GRACE,
        retention: retention
            .or(config.retention.map(|d| d.0))
            .unwrap_or(config::DEFAULT_RETENTION),
        history_window: 1800.0,
    }
}

fn replay_file(args: &ReplayArgs, config: &Config) -> Result<(), Failure> {
    let file = &args.file;
    let records =
        capture::read_file(file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
    let mut passes = turntop::record::read_passes(file)
        .map_err(|e| usage(format!("{}: {e}", file.display())))?;
    let mut model = Model::new(model_config(args.view.retention, config));
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
    if args.view.once || args.check {
        let now = replay::apply_all_with_passes(&mut model, endpoint, &records, &later);
        if args.check {
            model.tick(now);
            return print_check(&check::report(&model, now));
        }
        return print_once(&args.view, config, &model, now);
    }
    let mut app = build_app(&args.view, config)?;
    app.replay = true;
    app.cli.cancel = CancelPolicy::Disabled("replay");
    tui::check_terminal().map_err(usage)?;
    let start = records.first().map_or(0.0, |r| r.epoch);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let speed = args.speed;
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
        theme(&args.view, config),
        move || Clock::replay(start, speed),
        async move {
            replay::run_controlled(records, later, endpoint, speed, tx, control_rx).await;
        },
        Vec::new(),
        &TuiMetricsArgs {
            addr: None,
            users: 0,
        },
    )
}

fn demo(cli: &Cli, config: &Config) -> Result<(), Failure> {
    let mut model = Model::new(model_config(cli.view.retention, config));
    let endpoint = model.add_endpoint("demo");
    let demo_config = turntop::demo::DemoConfig::with_seed(cli.demo_seed);
    let app = if cli.view.once {
        None
    } else {
        let mut app = build_app(&cli.view, config)?;
        app.cli.cancel = CancelPolicy::Disabled("demo");
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
    model.tick(now);
    let Some(app) = app else {
        return print_once(&cli.view, config, &model, now);
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
        theme(&cli.view, config),
        || Clock::Wall,
        async move {
            turntop::demo::follow(demo, endpoint, tx, trigger).await;
        },
        Vec::new(),
        &cli.metrics,
    )
}

fn live(cli: &Cli, config: &Config) -> Result<(), Failure> {
    let endpoints = redis_endpoints(&cli.redis, config)?;
    let mut app = build_app(&cli.view, config)?;
    let coturn_cli = coturn_cli_endpoints(cli, config, endpoints.len())?;
    if cli.coturn_cli.read_only || config.read_only == Some(true) {
        app.cli.cancel = CancelPolicy::Disabled("read-only");
    }
    tui::check_terminal().map_err(usage)?;
    let mut model = Model::new(model_config(cli.view.retention, config));
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
        theme(&cli.view, config),
        || Clock::Wall,
        async move {
            futures::future::join_all(tasks).await;
        },
        coturn_cli,
        &cli.metrics,
    )
}

/// coturn's CLI of each endpoint (`--coturn-cli` paired in order with the endpoints, else
/// `cli` of each `[[redis]]`), with the password from the file or the environment.
fn coturn_cli_endpoints(
    cli: &Cli,
    config: &Config,
    endpoints: usize,
) -> Result<Vec<Option<turntop::coturn_cli::CliEndpoint>>, Failure> {
    use turntop::coturn_cli as cc;
    let addrs: Vec<Option<String>> = if cli.coturn_cli.coturn_cli.is_empty() {
        if cli.redis.redis.is_empty() {
            config.redis.iter().map(|r| r.cli.clone()).collect()
        } else {
            Vec::new()
        }
    } else {
        if cli.coturn_cli.coturn_cli.len() > endpoints {
            return Err(usage(format!(
                "{} --coturn-cli for {endpoints} Redis endpoint(s): each --coturn-cli pairs with \
                 the --redis at the same position",
                cli.coturn_cli.coturn_cli.len()
            )));
        }
        cli.coturn_cli
            .coturn_cli
            .iter()
            .cloned()
            .map(Some)
            .collect()
    };
    if addrs.iter().all(Option::is_none) {
        return Ok(Vec::new());
    }
    for a in addrs.iter().flatten() {
        cc::check_addr(a).map_err(|e| usage(format!("--coturn-cli: {e}")))?;
    }
    let password = cc::password(
        cli.coturn_cli.coturn_cli_password_file.as_deref(),
        std::env::var(cc::PASSWORD_ENV).ok(),
    )
    .map_err(usage)?
    .ok_or_else(|| {
        usage(format!(
            "coturn's CLI needs its password (--cli-password): --coturn-cli-password-file FILE \
             or {}",
            cc::PASSWORD_ENV
        ))
    })?;
    Ok(addrs
        .into_iter()
        .map(|a| {
            a.map(|addr| cc::CliEndpoint {
                addr,
                password: password.clone(),
            })
        })
        .collect())
}

fn theme(cli: &ViewArgs, config: &Config) -> Theme {
    let no_color = cli.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Theme::new(if no_color {
        ThemeName::None
    } else {
        cli.theme.or(config.theme).unwrap_or_default()
    })
}

/// The app state from flags > config file > defaults.
fn build_app(cli: &ViewArgs, config: &Config) -> Result<App, Failure> {
    let view = cli.view.or(config.view).unwrap_or(TableKind::Allocations);
    let mut app = App::new(view);
    app.bell = cli.bell || config.problems.bell.unwrap_or(false);
    for (kind, sort) in [
        (TableKind::Allocations, &config.sort.allocations),
        (TableKind::Users, &config.sort.users),
        (TableKind::Realms, &config.sort.realms),
    ] {
        // Checked when the file was read.
        if let Some(Ok(s)) = sort.as_deref().map(|s| config::parse_sort(s, kind)) {
            app.sorts[kind.index()] = s;
        }
    }
    if let Some(s) = &cli.sort {
        let sort = config::parse_sort(s, view).map_err(|e| usage(format!("--sort: {e}")))?;
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
            app.columns[kind.index()] = Some(cols.iter().filter_map(|c| Col::parse(c)).collect());
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
            .unwrap_or(config::DEFAULT_HISTORY_WINDOW),
    );
    Ok(app)
}

fn redis_endpoints(
    cli: &RedisArgs,
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
    for (url, _) in &urls {
        config::check_redis_url(url).map_err(usage)?;
    }
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
    cli: Vec<Option<turntop::coturn_cli::CliEndpoint>>,
    metrics: &TuiMetricsArgs,
) -> Result<(), Failure> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| usage(e.to_string()))?;
    // Bound before the terminal is taken, so a busy address is a one-line error.
    let (http, scrapes) = match metrics.addr {
        Some(addr) => {
            let (server, scrapes) = runtime
                .block_on(turntop::serve::bind(addr, metrics.users))
                .map_err(|e| usage(format!("--metrics {addr}: {e}")))?;
            (Some(runtime.spawn(server.run())), Some(scrapes))
        }
        None => (None, None),
    };
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
                cli,
                scrapes,
            })
            .await;
            task.abort();
            if let Some(http) = http {
                http.abort();
            }
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

/// Print a check's report; its state is the exit status.
fn print_check(report: &check::CheckReport) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_all(report.text.as_bytes())
        .and_then(|()| out.flush());
    match report.state {
        CheckState::Ok => Ok(()),
        state => Err(Failure {
            message: String::new(),
            code: state.code(),
        }),
    }
}

/// `turntop serve`: the live sources, headless, with the metrics server, until a signal.
fn serve(args: &ServeArgs, config: &Config) -> Result<(), Failure> {
    let endpoints = redis_endpoints(&args.redis, config)?;
    let model_config = model_config(args.retention, config);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| usage(e.to_string()))?;
    let result = runtime.block_on(turntop::driver::serve(
        endpoints,
        model_config,
        args.addr
            .or(config.metrics.listen)
            .or_else(|| config::DEFAULT_METRICS_ADDR.parse().ok())
            .ok_or_else(|| usage("no metrics address"))?,
        args.users.or(config.metrics.users).unwrap_or(0),
        // Port 0 picks a free port: say which.
        |bound| eprintln!("turntop: serving metrics on http://{bound}/metrics"),
    ));
    runtime.shutdown_background();
    match result.map_err(usage)? {
        turntop::driver::Stop::Signal(signal) => {
            tracing::info!(signal, "serve: stopping");
            Ok(())
        }
        turntop::driver::Stop::SourcesEnded => Err(Failure {
            message: "every Redis source stopped".into(),
            code: EXIT_UNREACHABLE,
        }),
    }
}

/// `turntop check`: connect, seed, listen `--listen` seconds, report. Every failure is a
/// report too: Redis unreachable or refusing us is CRITICAL, bad input UNKNOWN.
fn check_live(args: &cli::CheckArgs) -> Result<(), Failure> {
    let unknown = |reason: &str| print_check(&check::failed(CheckState::Unknown, reason));
    let (config, config_path) = match config::load(args.common.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return unknown(&e.0),
    };
    let _log = match args
        .common
        .log
        .clone()
        .or_else(|| config.log_path(config_path.as_deref()))
    {
        Some(path) => match logging::init(&path) {
            Ok(guard) => Some(guard),
            Err(e) => return unknown(&e),
        },
        None => None,
    };
    if !(args.listen.is_finite() && args.listen >= 0.0) {
        return unknown("--listen must be a number of seconds >= 0");
    }
    let endpoints = match redis_endpoints(&args.redis, &config) {
        Ok(e) => e,
        Err(f) => return unknown(&f.message),
    };
    let model_config = ModelConfig {
        problems: config.problems.thresholds().unwrap_or_default(),
        retention: config.retention.map_or(config::DEFAULT_RETENTION, |d| d.0),
        ..ModelConfig::default()
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return unknown(&e.to_string()),
    };
    let result = runtime.block_on(live::once(
        endpoints,
        std::time::Duration::from_secs_f64(args.listen),
        model_config,
        redis_source::RunOptions::default(),
    ));
    match result {
        Ok((model, now)) => print_check(&check::report(&model, now)),
        Err(e) => print_check(&check::failed(
            CheckState::Critical,
            &format!("Redis: {}", e.0),
        )),
    }
}

/// Exit code when a Redis endpoint cannot be reached (or refuses us) under `--once`.
const EXIT_UNREACHABLE: u8 = 1;

/// `turntop --once` against live Redis: connect, seed, listen `--listen` seconds, print.
fn live_once(cli: &Cli, config: &Config) -> Result<(), Failure> {
    let endpoints = redis_endpoints(&cli.redis, config)?;
    let coturn_cli = coturn_cli_endpoints(cli, config, endpoints.len())?;
    if !(cli.listen.is_finite() && cli.listen >= 0.0) {
        return Err(usage("--listen must be a number of seconds >= 0"));
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| usage(e.to_string()))?;
    let (model, now) = runtime
        .block_on(live::once(
            endpoints,
            std::time::Duration::from_secs_f64(cli.listen),
            model_config(cli.view.retention, config),
            redis_source::RunOptions::default(),
        ))
        .map_err(|e| Failure {
            message: e.0,
            code: EXIT_UNREACHABLE,
        })?;
    let cli_view = runtime.block_on(turntop::coturn_cli::once::fetch(&coturn_cli, &model, now));
    for ep in cli_view.endpoints.iter().flatten() {
        if let turntop::coturn_cli::CliState::Down(why) = &ep.state {
            eprintln!(
                "turntop: warning: coturn CLI {}: {why}; printed without its fields",
                ep.addr
            );
        }
    }
    print_once_with(&cli.view, config, &model, now, cli_view)
}

/// `--once`: the view (table, csv) or the snapshot (json; the view's rows when --view,
/// --filter or --sort is given).
fn print_once(cli: &ViewArgs, config: &Config, model: &Model, now: f64) -> Result<(), Failure> {
    print_once_with(cli, config, model, now, Default::default())
}

/// [`print_once`] with what coturn's CLIs said (the JSON's `coturn_cli`, the PEERS column).
fn print_once_with(
    cli: &ViewArgs,
    config: &Config,
    model: &Model,
    now: f64,
    cli_view: turntop::coturn_cli::CliView,
) -> Result<(), Failure> {
    let mut app = build_app(cli, config)?;
    app.cli = cli_view;
    let output = turntop::headless::Output {
        format: cli.format,
        raw: cli.raw,
        rows_json: cli.view.is_some() || cli.filter.is_some() || cli.sort.is_some(),
    };
    let text = turntop::headless::render(output, &app, model, now).map_err(usage)?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    Ok(())
}

/// `turntop record`: one endpoint, into a file (or stdout), until a signal or --duration.
fn record(args: &RecordArgs, config: &Config) -> Result<(), Failure> {
    let mut endpoints = redis_endpoints(&args.redis, config)?;
    if endpoints.len() != 1 {
        return Err(usage(
            "record takes one Redis endpoint: run one record per --redis",
        ));
    }
    let endpoint = endpoints.remove(0);
    let label = endpoint.label.clone();
    let output = args.output.as_path();
    let to_stdout = output.as_os_str() == "-";
    let shown = output.display();
    let resume = if to_stdout {
        if args.force || args.append {
            return Err(usage("--force and --append are for -o FILE, not stdout"));
        }
        None
    } else if output.exists() {
        if args.append {
            turntop::record::resume_point(output)
                .map_err(|e| usage(format!("{shown}: cannot append: {e}")))?
        } else if args.force {
            None
        } else {
            return Err(usage(format!(
                "{shown} exists: record never replaces a file; --append continues it, \
                 --force replaces it"
            )));
        }
    } else {
        None
    };
    // Opened once the subscription is up: a Redis that cannot be reached leaves no file.
    let append = args.append;
    let open = || -> std::io::Result<Box<dyn Write>> {
        if to_stdout {
            return Ok(Box::new(std::io::stdout()));
        }
        let mut options = std::fs::OpenOptions::new();
        if append {
            options.append(true).create(true);
        } else {
            options.write(true).create(true).truncate(true);
        }
        Ok(Box::new(std::io::BufWriter::new(options.open(output)?)))
    };
    let options = turntop::record::Options {
        duration: args.duration.map(std::time::Duration::from_secs_f64),
        keys: args.keys,
        run: redis_source::RunOptions::default(),
        resume,
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
            eprintln!("turntop: recording {label} into {shown} once subscribed (Ctrl-C stops)");
        }
        turntop::record::record(endpoint, open, options, stop).await
    });
    runtime.shutdown_background();
    let summary = result.map_err(|message| Failure {
        message,
        code: EXIT_UNREACHABLE,
    })?;
    if !to_stdout {
        if summary.opened {
            eprintln!(
                "turntop: recorded {} messages{} into {shown}",
                summary.messages,
                if args.keys {
                    format!(" and {} status keys", summary.keys)
                } else {
                    String::new()
                },
            );
        } else {
            eprintln!("turntop: stopped before Redis answered: {shown} was not written");
        }
    }
    Ok(())
}

/// `turntop man`: the page of the whole command on stdout, or one page per command in `dir`.
fn man(dir: Option<&std::path::Path>) -> Result<(), Failure> {
    let mut page = Vec::new();
    let result = turntop::manual::render(Cli::command(), &mut page).and_then(|()| match dir {
        Some(dir) => std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
            // The top-level page with the sections --help lacks.
            .and_then(|()| std::fs::write(dir.join("turntop.1"), &page)),
        None => {
            // A closed pipe (`| man -l -`) is not an error worth a message.
            let _ = std::io::stdout().write_all(&page);
            Ok(())
        }
    });
    result.map_err(|e| Failure {
        message: format!("man: {e}"),
        code: 1,
    })
}
