//! `--log FILE` and the config key `log`, with the binary against a real redis-server that
//! has `requirepass`: the connection story is in the file with the URL redacted as on screen,
//! the password is not, bad messages are logged a few at a time and then counted, and nothing
//! of the log reaches stdout or stderr.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::redis::RedisServer;
use turntop::logging::{DETAILED_PER_ENDPOINT, LOG_ENV};
use turntop::model::ConnectionState;
use turntop::output::Snapshot;
use turntop::source::redis::PASSWORD_ENV;

const PASSWORD: &str = "pw-Zq81x-right";
const WRONG: &str = "pw-Zq81x-wrong";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run turntop with a time limit, in `dir`, with no password, log level or config from the
/// environment; output goes through files so a full pipe cannot block it.
fn turntop(dir: &Path, args: &[&str]) -> Run {
    turntop_with(dir, args, &[])
}

fn turntop_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = std::fs::File::create(dir.join("stdout")).expect("stdout");
    let err = std::fs::File::create(dir.join("stderr")).expect("stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_turntop"))
        .args(args)
        .current_dir(dir)
        .env_remove(PASSWORD_ENV)
        .env_remove(LOG_ENV)
        .env_remove("TURNTOP_CONFIG")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .envs(env.iter().copied())
        .spawn()
        .expect("turntop");
    let status = common::wait_child(&mut child, 30, &format!("turntop {args:?}"));
    Run {
        code: status.code(),
        stdout: std::fs::read_to_string(dir.join("stdout")).unwrap_or_default(),
        stderr: std::fs::read_to_string(dir.join("stderr")).unwrap_or_default(),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn once_logs_the_connection_with_the_url_redacted_and_never_the_password() {
    let server = RedisServer::start_with(&["--requirepass", PASSWORD]);
    let port = server.port;
    let mut con = server.connection(&format!("redis://:{PASSWORD}@127.0.0.1:{port}"));
    redis::cmd("SET")
        .arg("turn/user/u1/allocation/001000000000000001/status")
        .arg("new lifetime=600")
        .query::<()>(&mut con)
        .expect("SET");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").expect("config");
    let config = config.display().to_string();
    let redacted = format!("redis://:***@127.0.0.1:{port}");

    // The right password, the file from --log.
    let log = dir.path().join("right.log");
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{port}");
    let run = turntop(
        dir.path(),
        &[
            "--once",
            "--config",
            &config,
            "--redis",
            &url,
            "--log",
            &log.display().to_string(),
        ],
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stderr, "", "the log must not reach the terminal");
    let snap: Snapshot = serde_json::from_str(&run.stdout).expect("stdout is the JSON alone");
    assert_eq!(snap.allocations.len(), 1);
    let text = read(&log);
    for needle in [
        "config loaded",
        config.as_str(),
        "connecting",
        "connected and subscribed",
        "seeded from the status keys",
        "keys=1",
        redacted.as_str(),
        "turntop exits",
    ] {
        assert!(text.contains(needle), "no {needle:?} in the log:\n{text}");
    }
    assert!(
        !text.contains(PASSWORD),
        "the password is in the log:\n{text}"
    );

    // A wrong password, the file from the config key (relative to the config's directory).
    std::fs::write(dir.path().join("config.toml"), "log = \"wrong.log\"\n").expect("config");
    let url = format!("redis://:{WRONG}@127.0.0.1:{port}");
    let run = turntop(
        dir.path(),
        &["--once", "--config", &config, "--redis", &url],
    );
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        format!("turntop: authentication failed for 127.0.0.1:{port}\n"),
        "the terminal gets the one-line error and nothing of the log"
    );
    assert_eq!(run.stdout, "");
    let text = read(&dir.path().join("wrong.log"));
    for needle in [
        "authentication failed",
        redacted.as_str(),
        "not retrying",
        "turntop exits on an error",
    ] {
        assert!(text.contains(needle), "no {needle:?} in the log:\n{text}");
    }
    assert!(!text.contains(WRONG), "the password is in the log:\n{text}");
    assert!(
        !text.contains(PASSWORD),
        "the password is in the log:\n{text}"
    );
}

#[test]
fn bad_messages_are_logged_a_few_per_endpoint_then_only_counted() {
    let server = RedisServer::start();
    let url = server.url();
    let mut con = server.connection(&url);
    // A bad allocation id, and an escape sequence that must not reach the file raw.
    let channel = "turn/user/u\x1b[2J/allocation/12/status";
    let stop = Arc::new(AtomicBool::new(false));
    let publisher = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg("new lifetime=600")
                    .query::<i64>(&mut con)
                    .expect("PUBLISH");
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.toml"), "").expect("config");
    let run = turntop(
        dir.path(),
        &[
            "--once",
            "--config",
            "config.toml",
            "--redis",
            &url,
            "--listen",
            "1",
            "--log",
            "bad.log",
        ],
    );
    stop.store(true, Ordering::Relaxed);
    publisher.join().expect("publisher");
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stderr, "");
    let snap: Snapshot = serde_json::from_str(&run.stdout).expect("JSON");
    assert!(
        snap.counters.malformed > u64::from(DETAILED_PER_ENDPOINT),
        "{:?}",
        snap.counters
    );
    let text = read(&dir.path().join("bad.log"));
    let one_by_one = text
        .lines()
        .filter(|l| l.contains(" bad message endpoint="))
        .count();
    assert_eq!(one_by_one, DETAILED_PER_ENDPOINT as usize, "{text}");
    let counted: u64 = snap.counters.malformed - u64::from(DETAILED_PER_ENDPOINT);
    assert!(
        text.contains(&format!("{counted} more bad messages")),
        "no count of the {counted} others:\n{text}"
    );
    assert!(text.contains("allocation id is not 18 digits"), "{text}");
    assert!(
        text.contains(r"u\\x1b[2J"),
        "channel not sanitized:\n{text}"
    );
    assert!(!text.contains('\x1b'), "a raw escape in the log:\n{text}");
}

#[test]
fn a_bad_level_or_an_unwritable_file_is_one_clear_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.toml"), "").expect("config");
    let args = [
        "--demo",
        "--once",
        "--config",
        "config.toml",
        "--log",
        "demo.log",
    ];
    let run = turntop_with(dir.path(), &args, &[(LOG_ENV, "turntop=[[[")]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.starts_with("turntop: TURNTOP_LOG=turntop=[[[: ")
            && run.stderr.lines().count() == 1,
        "{}",
        run.stderr
    );
    let run = turntop_with(dir.path(), &args, &[(LOG_ENV, "debug")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(read(&dir.path().join("demo.log")).contains("turntop starts"));
    let missing = dir.path().join("no/such/dir/turntop.log");
    let run = turntop(
        dir.path(),
        &[
            "--demo",
            "--once",
            "--config",
            "config.toml",
            "--log",
            &missing.display().to_string(),
        ],
    );
    assert_eq!(run.code, Some(2));
    assert_eq!(
        run.stderr,
        format!(
            "turntop: log file {}: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
}

/// A log kept in memory, for the source running in this test's thread.
#[derive(Clone, Default)]
struct Memory(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Memory {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Memory {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log")).into_owned()
    }
}

// One thread: the source's task logs through this thread's default subscriber.
#[tokio::test(flavor = "current_thread")]
async fn a_restart_logs_the_disconnect_the_attempts_and_the_gap() {
    let memory = Memory::default();
    let writer = memory.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let mut server = RedisServer::start_with(&["--requirepass", PASSWORD]);
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{}", server.port);
    let mut live = common::live::Live::new();
    let tls = turntop::source::redis::TlsOptions::default();
    let id = live.add_with(&url, None, &tls, common::live::fast_reconnect());
    live.seeded(id).await;
    server.kill();
    live.state(id, "the drop", |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await;
    // Let an attempt or two fail against the dead port.
    live.pump(0.6).await;
    server.restart();
    live.state(id, "the reconnect", |s| *s == ConnectionState::Connected)
        .await;
    live.pump(0.2).await;
    let text = memory.text();
    let label = server.label();
    for needle in [
        "disconnected",
        &format!("connection to {label} lost"),
        "next attempt in",
        "connection failed",
        "attempt=2",
        "gap: whatever was published in the",
        &format!("redis://:***@{label}"),
    ] {
        assert!(text.contains(needle), "no {needle:?} in the log:\n{text}");
    }
    assert!(
        !text.contains(PASSWORD),
        "the password is in the log:\n{text}"
    );
}
