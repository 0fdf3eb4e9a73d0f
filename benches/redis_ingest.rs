//! Live Redis source benchmark (issue 4): prints numbers, asserts nothing about speed.
//!
//! `cargo bench --bench redis_ingest` (release). Needs redis-server, redis-cli and
//! redis-benchmark; skips with a message without them. Environment: `BENCH_N` messages per
//! flood (default 1,000,000), `BENCH_KEYS` status keys for the seed (default 100,000),
//! `BENCH_RUNS` repetitions (default 3).
//!
//! 1. Live: redis-cli `psubscribe` and turntop (source + model, in a child process) are both
//!    subscribed while `redis-benchmark -n N -P 16 PUBLISH <traffic channel> <payload>` floods
//!    one Redis; each one's rate is N / (its last message - its first message).
//! 2. Drain: both subscribers are SIGSTOPped, the same flood is queued in Redis (output-buffer
//!    limit off), then each is SIGCONTed alone and timed until its last message: the rate a
//!    subscriber can take, not the rate the publisher makes.
//! 3. Seed: K status keys; turntop's seed (connect + SCAN + MGET into the model) vs
//!    `redis-cli --scan --pattern 'turn/*' | wc -l`.

#[path = "../tests/common/redis.rs"]
#[allow(dead_code)]
mod harness;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use harness::RedisServer;
use tokio::sync::mpsc::unbounded_channel;
use turntop::coturn;
use turntop::model::{ConnectionState, Model, ModelConfig};
use turntop::source::SourceEvent;
use turntop::source::redis::{self as redis_source, RedisEndpoint, RunOptions, TlsOptions, now};

const CHANNEL: &str = "turn/realm/r/user/u/allocation/000000000000000001/traffic";
const PAYLOAD: &str = "rcvp=1, rcvb=100, sentp=1, sentb=100";
const CHILD_ENV: &str = "TURNTOP_BENCH_CHILD";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn have(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    if !["redis-server", "redis-cli", "redis-benchmark"]
        .iter()
        .all(|c| have(c))
    {
        println!("redis_ingest: skipped (redis-server, redis-cli and redis-benchmark are needed)");
        return;
    }
    let n = env_or("BENCH_N", 1_000_000);
    let keys = env_or("BENCH_KEYS", 100_000);
    let runs = env_or("BENCH_RUNS", 3);
    println!("redis_ingest: {n} messages per flood, {keys} status keys, {runs} runs");
    let mut results = Vec::new();
    for run in 1..=runs {
        println!("--- run {run}");
        let server = RedisServer::start_with(&["--client-output-buffer-limit", "pubsub 0 0 0"]);
        results.push(live_and_drain(&server, n));
        seed(&server, keys);
    }
    summary("live ", results.iter().map(|r| &r.0));
    summary("drain", results.iter().map(|r| &r.1));
}

/// One line per phase: the ratio of every valid run, and how many were invalid.
fn summary<'a>(phase: &str, ratios: impl Iterator<Item = &'a Result<f64, String>>) {
    let (mut valid, mut invalid) = (Vec::new(), 0);
    for r in ratios {
        match r {
            Ok(x) => valid.push(format!("{x:.2}x")),
            Err(_) => invalid += 1,
        }
    }
    let invalid = match invalid {
        0 => String::new(),
        k => format!(" ({k} INVALID run(s): see above)"),
    };
    println!(
        "summary {phase}: turntop/redis-cli {}{invalid}",
        if valid.is_empty() {
            "-".to_owned()
        } else {
            valid.join(", ")
        }
    );
}

// ---- the turntop subscriber (a child process, so it can be SIGSTOPped) ----------------------

/// `port,n`: subscribe, print `ready` after the seed, apply everything to a model, and print
/// `done <first message epoch> <epoch when the model had counted n events>`; if the
/// connection drops, `lost <events so far> <reason>` (a run that lost it is invalid).
fn child(spec: &str) {
    let Some((port, n)) = spec.split_once(',') else {
        return;
    };
    let n: u64 = n.parse().unwrap_or(0);
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        return;
    };
    runtime.block_on(async {
        let url = format!("redis://127.0.0.1:{port}");
        let Ok(ep) = RedisEndpoint::parse(&url, None, None, &TlsOptions::default()) else {
            return;
        };
        let mut model = Model::new(ModelConfig::default());
        let id = model.add_endpoint(ep.label.clone());
        let (tx, mut rx) = unbounded_channel();
        tokio::spawn(redis_source::run(ep, id, RunOptions::default(), tx));
        let mut first = None;
        let mut buf = Vec::with_capacity(4096);
        let mut out = std::io::stdout();
        while rx.recv_many(&mut buf, 4096).await > 0 {
            for ev in buf.drain(..) {
                match &ev {
                    SourceEvent::SeedEnd { .. } => {
                        let _ = writeln!(out, "ready");
                        let _ = out.flush();
                    }
                    SourceEvent::Message { at, .. } if first.is_none() => first = Some(*at),
                    SourceEvent::Connection {
                        state:
                            ConnectionState::Reconnecting { reason, .. }
                            | ConnectionState::AuthFailed { reason, .. },
                        ..
                    } => {
                        let _ = writeln!(out, "lost {} {reason}", model.counters.events);
                        let _ = out.flush();
                    }
                    _ => {}
                }
                ev.apply_to(&mut model);
            }
            if model.counters.events >= n {
                let _ = writeln!(out, "done {} {}", first.unwrap_or(0.0), now());
                let _ = out.flush();
                return;
            }
        }
    });
}

/// What a subscriber's reader thread sees.
enum Report {
    Ready,
    /// (first message, last message) epochs.
    Done(f64, f64),
    /// turntop's connection dropped (it reconnects, but the backlog is gone).
    Lost(String),
    /// The subscriber's output ended (it exited), after this many messages if known.
    Closed(Option<u64>),
}

struct Sub {
    name: &'static str,
    child: Child,
    reports: mpsc::Receiver<Report>,
}

impl Sub {
    fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status();
    }

    /// Wait for `Ready` (or for `Done` when `ready` is false): `Err` says why the run is invalid.
    fn wait(&self, ready: bool, secs: u64) -> Result<(f64, f64), String> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.reports.recv_timeout(left) {
                Ok(Report::Ready) if ready => return Ok((0.0, 0.0)),
                Ok(Report::Ready) => {}
                Ok(Report::Done(first, last)) => return Ok((first, last)),
                Ok(Report::Lost(why)) => {
                    return Err(format!("{} lost its subscription: {why}", self.name));
                }
                Ok(Report::Closed(count)) => {
                    let after = count.map_or(String::new(), |c| format!(" after {c} messages"));
                    return Err(format!("{} exited{after}", self.name));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(format!("{} exited", self.name));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let what = if ready { "subscribed" } else { "done" };
                    return Err(format!("{} not {what} within {secs} s", self.name));
                }
            }
        }
    }
}

impl Drop for Sub {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn turntop_sub(port: u16, n: u64) -> Result<Sub, String> {
    let mut child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .env(CHILD_ENV, format!("{port},{n}"))
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("bench child: {e}"))?;
    let stdout = child.stdout.take().expect("stdout");
    let (tx, reports) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let report = if line == "ready" {
                Report::Ready
            } else if let Some(rest) = line.strip_prefix("done ") {
                let mut it = rest.split(' ').filter_map(|x| x.parse::<f64>().ok());
                let (Some(a), Some(b)) = (it.next(), it.next()) else {
                    continue;
                };
                Report::Done(a, b)
            } else if let Some(rest) = line.strip_prefix("lost ") {
                let (count, why) = rest.split_once(' ').unwrap_or((rest, ""));
                Report::Lost(format!("{why} (after {count} events)"))
            } else {
                continue;
            };
            let _ = tx.send(report);
        }
        let _ = tx.send(Report::Closed(None));
    });
    let sub = Sub {
        name: "turntop",
        child,
        reports,
    };
    sub.wait(true, 60)?;
    Ok(sub)
}

fn cli_sub(port: u16, n: u64) -> Result<Sub, String> {
    let mut args = vec!["-p".to_owned(), port.to_string(), "psubscribe".to_owned()];
    args.extend(coturn::SUBSCRIBE_PATTERNS.iter().map(|s| s.to_string()));
    let mut child = Command::new("redis-cli")
        .args(&args)
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("redis-cli: {e}"))?;
    let stdout: ChildStdout = child.stdout.take().expect("stdout");
    let (tx, reports) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::with_capacity(1 << 16, stdout);
        let mut line = Vec::with_capacity(256);
        let (mut subscribed, mut count, mut first) = (0, 0u64, 0.0);
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(Report::Closed(Some(count)));
                    return;
                }
                Ok(_) => {}
            }
            match &line[..] {
                b"psubscribe\n" => {
                    subscribed += 1;
                    if subscribed == coturn::SUBSCRIBE_PATTERNS.len() {
                        let _ = tx.send(Report::Ready);
                    }
                }
                b"pmessage\n" => {
                    count += 1;
                    if count == 1 {
                        first = now();
                    }
                    if count == n {
                        let _ = tx.send(Report::Done(first, now()));
                    }
                }
                _ => {}
            }
        }
    });
    let sub = Sub {
        name: "redis-cli",
        child,
        reports,
    };
    sub.wait(true, 60)?;
    // The confirmation of the second pattern is printed once both are active.
    std::thread::sleep(Duration::from_millis(50));
    Ok(sub)
}

fn flood(port: u16, n: u64) -> Result<Duration, String> {
    let started = Instant::now();
    let status = Command::new("redis-benchmark")
        .args([
            "-p",
            &port.to_string(),
            "-n",
            &n.to_string(),
            "-P",
            "16",
            "-q",
        ])
        .args(["PUBLISH", CHANNEL, PAYLOAD])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("redis-benchmark: {e}"))?;
    if !status.success() {
        return Err(format!("redis-benchmark failed: {status}"));
    }
    Ok(started.elapsed())
}

fn rate(n: u64, secs: f64) -> f64 {
    n as f64 / secs.max(1e-9)
}

fn query(con: &mut redis::Connection, args: &[&str]) -> Result<redis::Value, String> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con)
        .map_err(|e| format!("{}: {e}", args.join(" ")))
}

fn text(v: &redis::Value) -> String {
    match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        redis::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(" "),
        other => format!("{other:?}"),
    }
}

/// Make sure Redis will not kill a subscriber for its backlog: the pub/sub output-buffer limit
/// must be off (`pubsub 0 0 0`) right before the flood. Sets it if not; `Err` if it won't.
fn no_pubsub_limit(con: &mut redis::Connection) -> Result<(), String> {
    let pubsub_limit = |con: &mut redis::Connection| -> Result<String, String> {
        let all = text(&query(
            con,
            &["CONFIG", "GET", "client-output-buffer-limit"],
        )?);
        let words: Vec<&str> = all.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "pubsub");
        Ok(at.map_or(String::new(), |i| {
            words[i + 1..]
                .iter()
                .take(3)
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        }))
    };
    if pubsub_limit(con)? == "0 0 0" {
        return Ok(());
    }
    query(
        con,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 0 0 0",
        ],
    )?;
    match pubsub_limit(con)? {
        limit if limit == "0 0 0" => Ok(()),
        limit => Err(format!(
            "the pub/sub output-buffer limit is '{limit}', not off"
        )),
    }
}

/// The pub/sub clients Redis has now, and the bytes queued for them.
fn pubsub_clients(con: &mut redis::Connection) -> Result<(usize, u64), String> {
    let list = text(&query(con, &["CLIENT", "LIST", "TYPE", "pubsub"])?);
    let mut clients = 0;
    let mut queued = 0;
    for line in list.lines().filter(|l| !l.trim().is_empty()) {
        clients += 1;
        for field in line.split_whitespace() {
            if let Some(v) = field.strip_prefix("omem=") {
                queued += v.parse::<u64>().unwrap_or(0);
            }
        }
    }
    Ok((clients, queued))
}

/// Output-buffer kills Redis has logged so far.
fn kills(server: &RedisServer) -> usize {
    server.log().matches("output buffer limits").count()
}

/// (live ratio, drain ratio) of one run; a phase is `Err(why it is invalid)`.
type Ratios = (Result<f64, String>, Result<f64, String>);

fn live_and_drain(server: &RedisServer, n: u64) -> Ratios {
    let port = server.port;
    let live = live(server, n).map(|(publisher, cli, tt)| {
        println!(
            "live : publisher {publisher:>9.0} msg/s | redis-cli {cli:>9.0} msg/s | turntop {tt:>9.0} msg/s | turntop/redis-cli {:.2}x",
            tt / cli
        );
        tt / cli
    });
    if let Err(why) = &live {
        println!("live : INVALID run: {why}");
    }
    let killed_before = kills(server);
    let drain = drain(server, n).map(|(cli, tt, queued)| {
        println!(
            "drain: redis-cli {cli:>9.0} msg/s | turntop {tt:>9.0} msg/s | turntop/redis-cli {:.2}x | {:.0} MB queued",
            tt / cli,
            queued as f64 / 1e6
        );
        tt / cli
    });
    let drain = drain.map_err(|why| {
        let killed = kills(server) - killed_before;
        let why = if killed > 0 {
            format!("{why}; Redis logged {killed} output-buffer kill(s)")
        } else {
            why
        };
        println!("drain: INVALID run: {why} (port {port})");
        why
    });
    (live, drain)
}

/// Both subscribed while the flood runs: (publisher, redis-cli, turntop) msg/s.
fn live(server: &RedisServer, n: u64) -> Result<(f64, f64, f64), String> {
    let port = server.port;
    let mut con = server.connection(&server.url());
    no_pubsub_limit(&mut con)?;
    let cli = cli_sub(port, n)?;
    let tt = turntop_sub(port, n)?;
    let took = flood(port, n)?;
    let (first, last) = cli.wait(false, 300)?;
    let cli_rate = rate(n, last - first);
    let (first, last) = tt.wait(false, 300)?;
    Ok((rate(n, took.as_secs_f64()), cli_rate, rate(n, last - first)))
}

/// The flood is queued in Redis while both are stopped, then each drains alone:
/// (redis-cli, turntop) msg/s and the bytes that were queued.
fn drain(server: &RedisServer, n: u64) -> Result<(f64, f64, u64), String> {
    let port = server.port;
    let mut con = server.connection(&server.url());
    let cli = cli_sub(port, n)?;
    let tt = turntop_sub(port, n)?;
    no_pubsub_limit(&mut con)?;
    cli.signal("-STOP");
    tt.signal("-STOP");
    flood(port, n)?;
    // Both must still be subscribed, each with its whole backlog queued.
    let (clients, queued) = pubsub_clients(&mut con)?;
    if clients != 2 {
        return Err(format!(
            "{clients} subscriber(s) left after the flood, not 2 (Redis dropped one)"
        ));
    }
    let mut rates = Vec::new();
    for sub in [&cli, &tt] {
        let start = now();
        sub.signal("-CONT");
        let (_, last) = sub.wait(false, 300)?;
        rates.push(rate(n, last - start));
    }
    Ok((rates[0], rates[1], queued))
}

fn seed(server: &RedisServer, keys: u64) {
    let url = server.url();
    let mut con = server.connection(&url);
    let _: () = redis::cmd("FLUSHALL").query(&mut con).expect("FLUSHALL");
    for chunk in (0..keys).collect::<Vec<_>>().chunks(10_000) {
        let mut pipe = redis::pipe();
        for i in chunk {
            let key = if i % 2 == 0 {
                format!("turn/realm/r/user/u{}/allocation/{i:018}/status", i % 100)
            } else {
                format!("turn/user/u{}/allocation/{i:018}/status", i % 100)
            };
            pipe.set(key, "new lifetime=600, type=UDP, local=10.0.0.1:3478, remote=192.0.2.1:5000, ssl=NONE, cipher=NONE").ignore();
        }
        pipe.query::<()>(&mut con).expect("SET");
    }

    let started = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "redis-cli -p {} --scan --pattern 'turn/*' | wc -l",
            server.port
        ))
        .output()
        .expect("redis-cli --scan");
    let cli_time = started.elapsed();
    let counted: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    assert_eq!(counted, keys, "redis-cli --scan counted {counted}");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let tt_time = runtime.block_on(async {
        let ep = RedisEndpoint::parse(&url, None, None, &TlsOptions::default()).expect("url");
        let mut model = Model::new(ModelConfig::default());
        let id = model.add_endpoint(ep.label.clone());
        let (tx, mut rx) = unbounded_channel();
        let started = Instant::now();
        let task = tokio::spawn(redis_source::run(ep, id, RunOptions::default(), tx));
        while let Some(ev) = rx.recv().await {
            let end = matches!(ev, SourceEvent::SeedEnd { .. });
            ev.apply_to(&mut model);
            if end {
                break;
            }
        }
        let took = started.elapsed();
        task.abort();
        assert_eq!(model.counters.seeded, keys, "turntop seeded");
        took
    });
    println!(
        "seed : {keys} keys | redis-cli --scan | wc -l {:>7.1} ms | turntop connect+SCAN+MGET+model {:>7.1} ms | turntop/redis-cli {:.2}x",
        cli_time.as_secs_f64() * 1e3,
        tt_time.as_secs_f64() * 1e3,
        tt_time.as_secs_f64() / cli_time.as_secs_f64()
    );
}
