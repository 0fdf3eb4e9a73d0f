//! `turntop record` against a real redis-server (loopback, free port, killed by PID) while real
//! captures are PUBLISHed: the recording replays to the same state as a live `--once` run that
//! watched the same publishing, it is complete when stopped by SIGTERM, and `--duration` stops it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::redis::RedisServer;
use common::snapshot::comparable;
use common::wait_child;
use turntop::capture;
use turntop::output::Snapshot;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1")
        .join(name)
}

/// Start turntop with stdout/stderr in files of `dir` named after `name`.
fn spawn(dir: &Path, name: &str, args: &[&str]) -> Child {
    // An empty configuration: the user's own must not change what the tests see.
    std::fs::write(dir.join("empty-config.toml"), "").unwrap();
    Command::new(env!("CARGO_BIN_EXE_turntop"))
        .args(args)
        .env_remove("TURNTOP_REDIS_PASSWORD")
        .env("TURNTOP_CONFIG", dir.join("empty-config.toml"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join(format!("{name}.out"))).unwrap())
        .stderr(std::fs::File::create(dir.join(format!("{name}.err"))).unwrap())
        .spawn()
        .expect("turntop")
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

/// Wait until `n` clients hold a pattern subscription.
fn wait_for_subscribers(con: &mut redis::Connection, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query(con)
            .expect("CLIENT LIST");
        let subscribed = list
            .lines()
            .filter(|l| {
                l.split(' ')
                    .any(|f| f.starts_with("psub=") && f != "psub=0")
            })
            .count();
        if subscribed >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {subscribed} of {n} subscribers after 15 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sigterm(child: &Child) {
    // SAFETY: kill(2) on the PID of a child we started and have not reaped.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0, "kill -TERM");
}

const SEEDED_KEY: &str = "turn/realm/seed.example/user/sam/allocation/002000000000000001/status";
const MALFORMED_CHANNEL: &str =
    "turn/realm/seed.example/user/sam/allocation/002000000000000001/traffic";
/// Not a traffic report: recorded verbatim all the same (TAB and newline escaped).
const MALFORMED: &[u8] = b"rcvp=oops,\tsentb=\n\\x";

#[test]
fn a_recording_replays_to_the_state_of_the_live_run_it_recorded() {
    for name in ["pubsub-capture-rest-api.txt", "pubsub-capture.txt"] {
        let records = capture::read_file(&fixture(name)).expect("capture");
        let server = RedisServer::start();
        let url = server.url();
        let mut con = server.connection(&url);
        redis::cmd("SET")
            .arg(SEEDED_KEY)
            .arg("refreshed lifetime=600, type=TCP, local=127.0.0.1:3478, remote=10.0.0.9:5000, ssl=NONE, cipher=NONE")
            .query::<()>(&mut con)
            .expect("SET");
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("rec.txt");
        let file_s = file.to_str().unwrap();
        let mut rec = spawn(
            dir.path(),
            "record",
            &["record", "--redis", &url, "-o", file_s, "--keys"],
        );
        let mut live = spawn(
            dir.path(),
            "live",
            &[
                "--once",
                "--redis",
                &url,
                "--listen",
                "3",
                "--retention",
                "100000",
                "--format",
                "json",
            ],
        );
        wait_for_subscribers(&mut con, 2);
        let mut pipe = redis::pipe();
        for r in &records {
            pipe.cmd("PUBLISH")
                .arg(&r.channel)
                .arg(&r.message[..])
                .ignore();
        }
        pipe.cmd("PUBLISH")
            .arg(MALFORMED_CHANNEL)
            .arg(MALFORMED)
            .ignore();
        pipe.query::<()>(&mut con).expect("PUBLISH");

        let status = wait_child(&mut live, 30, "turntop --once");
        assert!(status.success(), "live: {}", read(dir.path(), "live.err"));
        // Everything published has been delivered to both subscribers by now.
        sigterm(&rec);
        let status = wait_child(&mut rec, 10, "turntop record after SIGTERM");
        assert_eq!(status.code(), Some(0), "{}", read(dir.path(), "record.err"));

        // The file is complete: header, key snapshot, every message in order, verbatim.
        let text = read(dir.path(), "rec.txt");
        assert!(text.starts_with("# turntop record "), "{text}");
        assert!(text.contains(&format!("Redis {}", server.label())));
        assert!(
            text.contains(
                "\tturn/realm/seed.example/user/sam/allocation/002000000000000001/status\t"
            )
        );
        assert!(
            text.trim_end()
                .lines()
                .last()
                .unwrap()
                .contains("terminated (SIGTERM)")
        );
        let recorded = capture::read_file(&file).expect("the recording reads back");
        assert_eq!(recorded.len(), records.len() + 1, "{name}");
        for (got, sent) in recorded.iter().zip(&records) {
            assert_eq!((&got.channel, &got.message), (&sent.channel, &sent.message));
            assert_eq!(got.pattern, turntop::record::pattern_of(&got.channel));
            assert!((got.epoch - (got.t_rel + recorded[0].epoch - recorded[0].t_rel)).abs() < 0.01);
        }
        assert_eq!(recorded.last().unwrap().message, MALFORMED);

        // ... and replays to the live state.
        let mut replay = spawn(
            dir.path(),
            "replay",
            &[
                "replay",
                file_s,
                "--speed",
                "max",
                "--once",
                "--format",
                "json",
                "--retention",
                "100000",
            ],
        );
        assert!(wait_child(&mut replay, 30, "replay --once").success());
        let live: Snapshot =
            serde_json::from_str(&read(dir.path(), "live.out")).expect("live JSON");
        let replayed: Snapshot =
            serde_json::from_str(&read(dir.path(), "replay.out")).expect("replay JSON");
        assert!(
            live.allocations.iter().any(|a| a.seeded),
            "{name}: the seed"
        );
        assert_eq!(comparable(&live), comparable(&replayed), "{name}");
        assert_eq!(live.counters, replayed.counters, "{name}: counters");
    }
}

#[test]
fn record_stops_after_its_duration_and_fails_clearly_without_redis() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("short.txt");
    let started = Instant::now();
    let mut rec = spawn(
        dir.path(),
        "record",
        &[
            "record",
            "--redis",
            &server.url(),
            "-o",
            file.to_str().unwrap(),
            "--duration",
            "1",
        ],
    );
    let status = wait_child(&mut rec, 15, "record --duration 1");
    assert_eq!(status.code(), Some(0), "{}", read(dir.path(), "record.err"));
    assert!(started.elapsed() >= Duration::from_secs(1));
    let text = read(dir.path(), "short.txt");
    assert!(text.starts_with("# turntop record "));
    assert!(text.contains("--duration reached; 0 messages"), "{text}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let url = format!("redis://:secret@127.0.0.1:{port}");
    let mut rec = spawn(
        dir.path(),
        "fail",
        &["record", "--redis", &url, "-o", file.to_str().unwrap()],
    );
    let status = wait_child(&mut rec, 15, "record without redis");
    assert_eq!(status.code(), Some(1));
    let err = read(dir.path(), "fail.err");
    assert!(
        err.contains(&format!("turntop: cannot connect to 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(!err.contains("secret"));
}
