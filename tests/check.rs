//! `turntop check` and `turntop replay FILE --speed max --check` (issue 13): the
//! monitoring-plugins convention (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; the first line
//! `TURNTOP <STATE> - summary | perfdata`, then one line per problem), read back. Live checks
//! run against a real redis-server into which a real capture is published while the check
//! listens; and with the server stopped.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::redis::RedisServer;
use turntop::check::{CheckState, parse_first_line};

fn turntop() -> Command {
    Command::new(env!("CARGO_BIN_EXE_turntop"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1")
        .join(name)
}

/// A config file with these `[problems]` lines.
fn config(lines: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "[problems]\n{lines}").unwrap();
    f
}

struct Parsed {
    state: CheckState,
    code: i32,
    summary: String,
    perf: Vec<(String, f64)>,
    lines: Vec<String>,
}

fn parse(out: &Output) -> Parsed {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines().map(str::to_owned);
    let first = lines.next().unwrap_or_default();
    let (state, summary, perf) =
        parse_first_line(&first).unwrap_or_else(|| panic!("not a plugin line: {text:?}"));
    Parsed {
        state,
        code: out.status.code().unwrap_or(-1),
        summary,
        perf,
        lines: lines.collect(),
    }
}

fn perf(p: &Parsed, label: &str) -> f64 {
    p.perf
        .iter()
        .find(|(l, _)| l == label)
        .unwrap_or_else(|| panic!("no {label} in {:?}", p.perf))
        .1
}

fn replay_check(config: Option<&tempfile::NamedTempFile>) -> Parsed {
    let mut cmd = turntop();
    cmd.args(["replay", fixture("pubsub-capture.txt").to_str().unwrap()])
        .args(["--speed", "max", "--check"]);
    if let Some(c) = config {
        cmd.arg("--config").arg(c.path());
    }
    parse(&cmd.output().unwrap())
}

#[test]
fn replay_check_ok_warning_critical() {
    let ok = replay_check(None);
    assert_eq!((ok.state, ok.code), (CheckState::Ok, 0), "{}", ok.summary);
    assert_eq!(perf(&ok, "live"), 3.0);
    assert_eq!(perf(&ok, "users"), 2.0);
    assert_eq!(perf(&ok, "busy_user"), 0.0);
    assert!(ok.lines.is_empty());

    let busy = config("user_allocations = 1");
    let warn = replay_check(Some(&busy));
    assert_eq!((warn.state, warn.code), (CheckState::Warning, 1));
    assert!(
        warn.summary
            .starts_with("0 critical, 1 warning: busy_user alice@lab.example"),
        "{}",
        warn.summary
    );
    assert_eq!(perf(&warn, "busy_user"), 1.0);
    assert_eq!(warn.lines.len(), 1);
    assert!(
        warn.lines[0].starts_with("WARNING busy_user alice@lab.example: 3 live allocations"),
        "{:?}",
        warn.lines
    );

    let critical = config("user_allocations = 1\nseverity.busy_user = \"critical\"");
    let crit = replay_check(Some(&critical));
    assert_eq!((crit.state, crit.code), (CheckState::Critical, 2));
    assert!(
        crit.lines[0].starts_with("CRITICAL busy_user"),
        "{:?}",
        crit.lines
    );
}

#[test]
fn bad_arguments_and_a_bad_config_are_unknown() {
    let p = parse(
        &turntop()
            .args(["check", "--listen", "soon"])
            .output()
            .unwrap(),
    );
    assert_eq!((p.state, p.code), (CheckState::Unknown, 3));
    assert!(p.summary.contains("--listen"), "{}", p.summary);
    let bad = config("severity.nope = \"critical\"");
    let p = parse(
        &turntop()
            .args(["check", "--config"])
            .arg(bad.path())
            .output()
            .unwrap(),
    );
    assert_eq!((p.state, p.code), (CheckState::Unknown, 3));
    assert!(
        p.summary.contains("problems.severity.nope"),
        "{}",
        p.summary
    );
}

/// Publish a capture's messages once the check has subscribed (its PSUBSCRIBE shows in
/// `PUBSUB NUMPAT`), in their order, as coturn did.
fn publish_when_subscribed(redis: &RedisServer, capture: &str) -> std::thread::JoinHandle<()> {
    let mut conn = redis.connection(&redis.url());
    let records = turntop::capture::read_file(&fixture(capture)).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let n: i64 = redis::cmd("PUBSUB")
                .arg("NUMPAT")
                .query(&mut conn)
                .unwrap_or(0);
            if n > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the check never subscribed");
            std::thread::sleep(Duration::from_millis(20));
        }
        for r in records {
            let _: i64 = redis::cmd("PUBLISH")
                .arg(&r.channel)
                .arg(&r.message[..])
                .query(&mut conn)
                .unwrap();
        }
    })
}

fn live_check(redis: &RedisServer, config: Option<&tempfile::NamedTempFile>) -> Parsed {
    let publisher = publish_when_subscribed(redis, "pubsub-capture.txt");
    let mut cmd = turntop();
    cmd.args(["check", "--redis", &redis.url(), "--listen", "4"])
        .stdin(Stdio::null());
    if let Some(c) = config {
        cmd.arg("--config").arg(c.path());
    }
    let out = cmd.output().unwrap();
    publisher.join().expect("publisher");
    parse(&out)
}

#[test]
fn live_check_against_a_real_redis_ok_warning_critical_and_stopped() {
    let mut redis = RedisServer::start();
    let ok = live_check(&redis, None);
    assert_eq!(
        (ok.state, ok.code),
        (CheckState::Ok, 0),
        "{} {:?}",
        ok.summary,
        ok.lines
    );
    assert_eq!(perf(&ok, "live"), 3.0);
    assert_eq!(perf(&ok, "users"), 2.0);

    let busy = config("user_allocations = 1");
    let warn = live_check(&redis, Some(&busy));
    assert_eq!(
        (warn.state, warn.code),
        (CheckState::Warning, 1),
        "{}",
        warn.summary
    );
    assert_eq!(perf(&warn, "busy_user"), 1.0);
    assert!(
        warn.lines[0].starts_with("WARNING busy_user alice@lab.example"),
        "{:?}",
        warn.lines
    );

    let critical = config("user_allocations = 1\nseverity.busy_user = \"critical\"");
    let crit = live_check(&redis, Some(&critical));
    assert_eq!((crit.state, crit.code), (CheckState::Critical, 2));

    let url = redis.url();
    redis.kill();
    let out = turntop()
        .args(["check", "--redis", &url, "--listen", "1"])
        .output()
        .unwrap();
    let down = parse(&out);
    assert_eq!((down.state, down.code), (CheckState::Critical, 2));
    assert!(
        down.summary.contains("Redis") && down.summary.contains("refused"),
        "the reason: {}",
        down.summary
    );
}
