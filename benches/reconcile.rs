//! Key reconciliation benchmark (issue 12): prints numbers, asserts nothing about speed.
//!
//! `cargo bench --bench reconcile` (release). Needs redis-server; skips with a message without
//! it. `BENCH_KEYS` status keys (default 100,000), `BENCH_PASSES` passes (default 5).
//!
//! One redis-server with K status keys; turntop's live source seeds a model with them, then runs
//! a reconciliation pass (the same SCAN COUNT 1000 + MGET as the seed, into a model that already
//! holds every row) every second. Per pass it prints: the wall time from `SeedBegin` to
//! `SeedEnd` (the source's SCAN + MGET round trips), the time the model takes to apply the pass
//! (the UI thread's cost), and what the pass cost Redis: the SCAN and MGET calls and their
//! server-side microseconds from `INFO commandstats`.

#[path = "../tests/common/redis.rs"]
#[allow(dead_code)]
mod harness;

use std::time::{Duration, Instant};

use harness::RedisServer;
use tokio::sync::mpsc::unbounded_channel;
use turntop::model::{Model, ModelConfig};
use turntop::source::SourceEvent;
use turntop::source::redis::{self as redis_source, RedisEndpoint, RunOptions, TlsOptions};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (calls, usec) of one command from `INFO commandstats`.
fn stats(con: &mut redis::Connection, command: &str) -> (u64, u64) {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(con)
        .unwrap_or_default();
    let prefix = format!("cmdstat_{command}:");
    let Some(line) = info.lines().find(|l| l.starts_with(&prefix)) else {
        return (0, 0);
    };
    let field = |name: &str| {
        line.split(',')
            .find_map(|f| f.split(':').next_back()?.strip_prefix(name)?.parse().ok())
            .or_else(|| {
                line.split([':', ','])
                    .find_map(|f| f.strip_prefix(name)?.parse().ok())
            })
            .unwrap_or(0)
    };
    (field("calls="), field("usec="))
}

fn main() {
    let have = std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok();
    if !have {
        println!("reconcile: skipped (redis-server is needed)");
        return;
    }
    let keys = env_or("BENCH_KEYS", 100_000);
    let passes = env_or("BENCH_PASSES", 5);
    let server = RedisServer::start();
    let url = server.url();
    let mut con = server.connection(&url);
    for chunk in (0..keys).collect::<Vec<_>>().chunks(10_000) {
        let mut pipe = redis::pipe();
        for i in chunk {
            let key = format!("turn/realm/r/user/u{}/allocation/{i:018}/status", i % 1000);
            pipe.set(key, "refreshed lifetime=600, type=UDP, local=10.0.0.1:3478, remote=192.0.2.1:5000, ssl=NONE, cipher=NONE").ignore();
        }
        pipe.query::<()>(&mut con).expect("SET");
    }
    println!(
        "reconcile: {keys} status keys, a pass every second, SCAN COUNT 1000 + MGET of each batch"
    );

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let ep = RedisEndpoint::parse(&url, None, None, &TlsOptions::default()).expect("url");
        let mut model = Model::new(ModelConfig::default());
        let id = model.add_endpoint(ep.label.clone());
        let (tx, mut rx) = unbounded_channel();
        let options = RunOptions {
            reconcile_every: Duration::from_secs(1),
            ..RunOptions::default()
        };
        let task = tokio::spawn(redis_source::run(ep, id, options, tx));
        let mut pass = 0u64;
        let mut began = Instant::now();
        let mut applying = Duration::ZERO;
        let mut before = (stats(&mut con, "scan"), stats(&mut con, "mget"));
        while let Some(ev) = rx.recv().await {
            if matches!(ev, SourceEvent::SeedBegin { .. }) {
                began = Instant::now();
                applying = Duration::ZERO;
                before = (stats(&mut con, "scan"), stats(&mut con, "mget"));
            }
            let end = matches!(ev, SourceEvent::SeedEnd { .. });
            let t = Instant::now();
            ev.apply_to(&mut model);
            applying += t.elapsed();
            if !end {
                continue;
            }
            let wall = began.elapsed();
            let after = (stats(&mut con, "scan"), stats(&mut con, "mget"));
            let what = if pass == 0 { "seed     " } else { "reconcile" };
            println!(
                "{what} {pass}: {:>6.1} ms wall (SeedBegin to SeedEnd) | model {:>6.1} ms | Redis: SCAN {} calls {:.1} ms, MGET {} calls {:.1} ms | {} rows",
                wall.as_secs_f64() * 1e3,
                applying.as_secs_f64() * 1e3,
                after.0.0 - before.0.0,
                (after.0.1 - before.0.1) as f64 / 1e3,
                after.1.0 - before.1.0,
                (after.1.1 - before.1.1) as f64 / 1e3,
                model.allocations().count(),
            );
            pass += 1;
            if pass > passes {
                break;
            }
        }
        task.abort();
        assert_eq!(model.counters.seeded, keys, "every key seeded once");
    });
}
