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
                // Counted from the end of the seed; long enough for the pipeline below to be
                // delivered on a loaded two-core machine.
                "--listen",
                "6",
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
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

    // A Redis that is not there: exit 1 with the reason, and no file at all.
    let port = free_port();
    let url = format!("redis://:secret@127.0.0.1:{port}");
    let absent = dir.path().join("absent.txt");
    let mut rec = spawn(
        dir.path(),
        "fail",
        &["record", "--redis", &url, "-o", absent.to_str().unwrap()],
    );
    let status = wait_child(&mut rec, 15, "record without redis");
    assert_eq!(status.code(), Some(1));
    let err = read(dir.path(), "fail.err");
    assert!(
        err.contains(&format!("turntop: cannot connect to 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(!err.contains("secret"));
    assert!(!absent.exists(), "nothing subscribed, nothing created");
}

/// The reproduction: `record` pointed at a file that holds a capture, with an
/// unreachable Redis, used to leave a 6-line header in its place.
#[test]
fn record_never_destroys_an_existing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let precious = dir.path().join("precious.txt");
    std::fs::copy(fixture("pubsub-capture.txt"), &precious).expect("copy");
    let original = std::fs::read(&precious).unwrap();
    let unreachable = format!("redis://127.0.0.1:{}", free_port());
    let p = precious.to_str().unwrap();

    // Without --force or --append: refused before connecting, exit 2, the fix named.
    let mut rec = spawn(
        dir.path(),
        "refused",
        &["record", "--redis", &unreachable, "-o", p],
    );
    assert_eq!(
        wait_child(&mut rec, 15, "record onto a file").code(),
        Some(2)
    );
    let err = read(dir.path(), "refused.err");
    assert_eq!(
        err.trim_end(),
        format!(
            "turntop: {p} exists: record never replaces a file; --append continues it, --force \
             replaces it"
        )
    );
    // With --force, or --append, and a Redis that cannot be reached: the file is not touched
    // (it is opened only once the subscription is up).
    for (name, flag) in [("force", "--force"), ("append", "--append")] {
        let mut rec = spawn(
            dir.path(),
            name,
            &["record", "--redis", &unreachable, "-o", p, flag],
        );
        assert_eq!(wait_child(&mut rec, 15, "record, no redis").code(), Some(1));
        assert!(read(dir.path(), &format!("{name}.err")).contains("cannot connect"));
        assert_eq!(std::fs::read(&precious).unwrap(), original, "{flag}");
    }
    assert_eq!(capture::read_file(&precious).unwrap().len(), 200);

    // --append refuses what it cannot continue, naming why.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "shopping list\n").unwrap();
    let cut = dir.path().join("cut.txt");
    std::fs::write(&cut, "# header\n1.0\t2.0\tturn/*\tc\tm\n1.5\t2.5\ttu").unwrap();
    for (file, why) in [
        (
            &notes,
            "cannot append: not a turntop/coturn capture: line 1",
        ),
        (&cut, "cannot append: it ends in a cut line"),
    ] {
        let before = std::fs::read(file).unwrap();
        let f = file.to_str().unwrap();
        let mut rec = spawn(
            dir.path(),
            "bad",
            &["record", "--redis", &unreachable, "-o", f, "--append"],
        );
        assert_eq!(wait_child(&mut rec, 15, "record --append").code(), Some(2));
        let err = read(dir.path(), "bad.err");
        assert!(err.contains(why), "{err}");
        assert_eq!(std::fs::read(file).unwrap(), before);
    }
}

/// Publish one message and wait until the recording holds it (it is flushed per message).
fn publish_and_wait(con: &mut redis::Connection, file: &Path, channel: &str, message: &str) {
    redis::cmd("PUBLISH")
        .arg(channel)
        .arg(message)
        .query::<()>(con)
        .expect("PUBLISH");
    let deadline = Instant::now() + Duration::from_secs(15);
    while !std::fs::read_to_string(file)
        .unwrap_or_default()
        .contains(channel)
    {
        assert!(
            Instant::now() < deadline,
            "the message never reached {file:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `--append` continues a capture as one capture: `t_rel_s` still counts from its start, the
/// time not recorded is a gap comment, and the whole file replays.
#[test]
fn append_continues_the_capture_and_force_replaces_it() {
    let server = RedisServer::start();
    let url = server.url();
    let mut con = server.connection(&url);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cap.txt");
    std::fs::copy(fixture("pubsub-capture-rest-api.txt"), &file).expect("copy");
    let before = capture::read_file(&file).unwrap();
    let origin = before[0].epoch - before[0].t_rel;
    let f = file.to_str().unwrap();

    let channel = "turn/realm/r.example/user/appended/allocation/003000000000000001/status";
    let mut rec = spawn(
        dir.path(),
        "append",
        &["record", "--redis", &url, "-o", f, "--append"],
    );
    wait_for_subscribers(&mut con, 1);
    publish_and_wait(&mut con, &file, channel, "new lifetime=600, type=UDP");
    sigterm(&rec);
    let status = wait_child(&mut rec, 10, "record --append");
    assert_eq!(status.code(), Some(0), "{}", read(dir.path(), "append.err"));

    let text = read(dir.path(), "cap.txt");
    assert_eq!(
        text.matches("# turntop record ").count(),
        0,
        "no second header"
    );
    assert!(text.contains("# resumed "), "{text}");
    assert!(text.contains(&format!("t_rel_s still counts from epoch {origin:.3}")));
    assert!(text.contains("# gap: messages published since "), "{text}");
    let after = capture::read_file(&file).expect("still one capture");
    assert_eq!(
        after[..before.len()],
        before[..],
        "the old messages are kept"
    );
    assert_eq!(after.len(), before.len() + 1);
    let new = after.last().unwrap();
    assert_eq!(new.channel, channel);
    assert!((new.t_rel - (new.epoch - origin)).abs() < 0.002, "{new:?}");
    let mut replay = spawn(
        dir.path(),
        "replay",
        &["replay", f, "--speed", "max", "--once", "--format", "json"],
    );
    assert!(wait_child(&mut replay, 30, "replay").success());
    assert!(read(dir.path(), "replay.out").contains("\"user\": \"appended\""));

    // --force replaces it with a new capture.
    let mut rec = spawn(
        dir.path(),
        "force",
        &["record", "--redis", &url, "-o", f, "--force"],
    );
    wait_for_subscribers(&mut con, 1);
    publish_and_wait(&mut con, &file, channel, "refreshed lifetime=600, type=UDP");
    sigterm(&rec);
    assert_eq!(wait_child(&mut rec, 10, "record --force").code(), Some(0));
    let replaced = capture::read_file(&file).unwrap();
    assert_eq!(replaced.len(), 1);
    assert!(read(dir.path(), "cap.txt").starts_with("# turntop record "));
}

/// `record` and `replay` take only the options that mean something for them; `--help` lists
/// only those.
#[test]
fn record_and_replay_reject_options_that_mean_nothing_for_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = fixture("pubsub-capture.txt");
    let c = capture.to_str().unwrap();
    let out = dir.path().join("x.txt");
    let o = out.to_str().unwrap();
    for (args, bad) in [
        (vec!["record", "--demo", "-o", o], "--demo"),
        (vec!["record", "-o", o, "--once"], "--once"),
        (vec!["record", "-o", o, "--format", "json"], "--format"),
        (vec!["record", "-o", o, "--view", "users"], "--view"),
        (vec!["record", "-o", o, "--force", "--append"], "--append"),
        (vec!["record", "-o", o, "--append", "--keys"], "--keys"),
        (vec!["replay", "--demo", c], "--demo"),
        (vec!["replay", c, "--redis", "redis://h"], "--redis"),
        (vec!["replay", c, "--listen", "3"], "--listen"),
        (vec!["--once", "replay", c], "--once"),
        (vec!["--demo", "--redis", "redis://h"], "--redis"),
        (vec!["--format", "csv"], "--once"),
        (vec!["--raw"], "--once"),
    ] {
        let mut child = spawn(dir.path(), "reject", &args);
        let status = wait_child(&mut child, 10, "turntop with a meaningless option");
        let err = read(dir.path(), "reject.err");
        assert_eq!(status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(bad), "{args:?}: {err}");
        assert!(!out.exists());
    }
    let help = |args: &[&str]| {
        let mut child = spawn(dir.path(), "help", args);
        assert!(wait_child(&mut child, 10, "--help").success());
        read(dir.path(), "help.out")
    };
    let record = help(&["record", "--help"]);
    for wanted in [
        "--output",
        "--force",
        "--append",
        "--duration",
        "--keys",
        "--redis",
    ] {
        assert!(record.contains(wanted), "{wanted}: {record}");
    }
    for unwanted in [
        "--once", "--format", "--mouse", "--view", "--demo", "--filter", "--sort",
    ] {
        assert!(!record.contains(unwanted), "{unwanted}: {record}");
    }
    let replay = help(&["replay", "--help"]);
    for unwanted in ["--redis", "--demo", "--listen"] {
        assert!(!replay.contains(unwanted), "{unwanted}: {replay}");
    }
    assert!(replay.contains("--once") && replay.contains("--raw"));
}
