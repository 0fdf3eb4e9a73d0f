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
use turntop::model::{Model, ModelConfig};
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
    for run in 1..=runs {
        println!("--- run {run}");
        let server = RedisServer::start_with(&["--client-output-buffer-limit", "pubsub 0 0 0"]);
        live_and_drain(&server, n);
        seed(&server, keys);
    }
}

// ---- the turntop subscriber (a child process, so it can be SIGSTOPped) ----------------------

/// `port,n`: subscribe, print `ready` after the seed, apply everything to a model, and print
/// `done <first message epoch> <epoch when the model had counted n events>`.
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

struct Sub {
    name: &'static str,
    child: Child,
    /// (first message, last message) epochs, once done.
    done: mpsc::Receiver<(f64, f64)>,
}

impl Sub {
    fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status();
    }
    fn wait(&self, secs: u64) -> Option<(f64, f64)> {
        self.done.recv_timeout(Duration::from_secs(secs)).ok()
    }
}

impl Drop for Sub {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn turntop_sub(port: u16, n: u64) -> Sub {
    let mut child = Command::new(std::env::current_exe().expect("current exe"))
        .env(CHILD_ENV, format!("{port},{n}"))
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("bench child");
    let stdout = child.stdout.take().expect("stdout");
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line == "ready" {
                let _ = ready_tx.send(());
            } else if let Some(rest) = line.strip_prefix("done ") {
                let mut it = rest.split(' ').filter_map(|x| x.parse::<f64>().ok());
                if let (Some(a), Some(b)) = (it.next(), it.next()) {
                    let _ = done_tx.send((a, b));
                }
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("turntop subscriber ready");
    Sub {
        name: "turntop",
        child,
        done,
    }
}

fn cli_sub(port: u16, n: u64) -> Sub {
    let mut args = vec!["-p".to_owned(), port.to_string(), "psubscribe".to_owned()];
    args.extend(coturn::SUBSCRIBE_PATTERNS.iter().map(|s| s.to_string()));
    let mut child = Command::new("redis-cli")
        .args(&args)
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("redis-cli");
    let stdout: ChildStdout = child.stdout.take().expect("stdout");
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::with_capacity(1 << 16, stdout);
        let mut line = Vec::with_capacity(256);
        let (mut subscribed, mut count, mut first) = (0, 0u64, 0.0);
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            match &line[..] {
                b"psubscribe\n" => {
                    subscribed += 1;
                    if subscribed == coturn::SUBSCRIBE_PATTERNS.len() {
                        let _ = ready_tx.send(());
                    }
                }
                b"pmessage\n" => {
                    count += 1;
                    if count == 1 {
                        first = now();
                    }
                    if count == n {
                        let _ = done_tx.send((first, now()));
                    }
                }
                _ => {}
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("redis-cli subscribed");
    // The confirmation of the second pattern is printed once both are active.
    std::thread::sleep(Duration::from_millis(50));
    Sub {
        name: "redis-cli",
        child,
        done,
    }
}

fn flood(port: u16, n: u64) -> Duration {
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
        .expect("redis-benchmark");
    assert!(status.success(), "redis-benchmark failed");
    started.elapsed()
}

fn rate(n: u64, secs: f64) -> f64 {
    n as f64 / secs.max(1e-9)
}

fn live_and_drain(server: &RedisServer, n: u64) {
    let port = server.port;
    // 1. live: both subscribed while the flood runs.
    {
        let cli = cli_sub(port, n);
        let tt = turntop_sub(port, n);
        let took = flood(port, n);
        let mut rates = Vec::new();
        for sub in [&cli, &tt] {
            let (first, last) = sub
                .wait(120)
                .unwrap_or_else(|| panic!("{} lagged", sub.name));
            rates.push(rate(n, last - first));
        }
        println!(
            "live : publisher {:>9.0} msg/s | redis-cli {:>9.0} msg/s | turntop {:>9.0} msg/s | turntop/redis-cli {:.2}x",
            rate(n, took.as_secs_f64()),
            rates[0],
            rates[1],
            rates[1] / rates[0]
        );
    }
    // 2. drain: the flood is queued in Redis while both are stopped, then each drains alone.
    {
        let cli = cli_sub(port, n);
        let tt = turntop_sub(port, n);
        cli.signal("-STOP");
        tt.signal("-STOP");
        flood(port, n);
        let mut rates = Vec::new();
        for sub in [&cli, &tt] {
            let start = now();
            sub.signal("-CONT");
            let (_, last) = sub
                .wait(120)
                .unwrap_or_else(|| panic!("{} stuck", sub.name));
            rates.push(rate(n, last - start));
        }
        println!(
            "drain: redis-cli {:>9.0} msg/s | turntop {:>9.0} msg/s | turntop/redis-cli {:.2}x",
            rates[0],
            rates[1],
            rates[1] / rates[0]
        );
    }
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
