//! The Problems view in a real terminal (tmux, the real binary): `4` shows the problems, Enter
//! lands on the subject (a busy user's allocations), and `--bell` rings when a critical problem
//! appears.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use common::tmux::{self, Tmux};

const WAIT: Duration = Duration::from_secs(60);

fn capture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1/pubsub-capture.txt")
        .display()
        .to_string()
}

/// alice holds 3 allocations at the end of the capture: over 1 is a busy user.
fn config(severity: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        f,
        "[problems]\nuser_allocations = 1\nseverity.busy_user = \"{severity}\""
    )
    .unwrap();
    f
}

#[test]
fn key_4_shows_the_problems_and_enter_lands_on_the_subject() {
    if !tmux::available() {
        return;
    }
    let config = config("warning");
    let path = config.path().display().to_string();
    let capture = capture();
    let argv = [
        env!("CARGO_BIN_EXE_turntop"),
        "replay",
        &capture,
        "--speed",
        "max",
        "--config",
        &path,
    ];
    let t = Tmux::start("problems", 120, 30, &argv, &[("NO_COLOR", "1")]);
    t.wait_for("the badge", WAIT, |s| s.contains("▲ 1 warn"));
    t.keys(&["4"]);
    let s = t.wait_for("the problems view", WAIT, |s| {
        s.contains("SEVERITY") && s.contains("busy_user")
    });
    assert!(
        s.contains("▲ warning") && s.contains("alice@lab.example"),
        "{s}"
    );
    t.keys(&["Enter"]);
    let s = t.wait_for("alice's allocations", WAIT, |s| {
        s.contains("USER") && s.contains("alice") && !s.contains("SEVERITY")
    });
    let rows: Vec<&str> = s.lines().filter(|l| l.starts_with("alice")).collect();
    assert!(!rows.is_empty(), "{s}");
    assert!(
        !s.lines().any(|l| l.starts_with("bob")),
        "only her allocations: {s}"
    );
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(WAIT), 0);
}

#[test]
fn the_bell_rings_for_a_new_critical_problem() {
    if !tmux::available() {
        return;
    }
    let config = config("critical");
    let path = config.path().display().to_string();
    let capture = capture();
    let argv = [
        env!("CARGO_BIN_EXE_turntop"),
        "replay",
        &capture,
        "--speed",
        "max",
        "--config",
        &path,
        "--bell",
    ];
    let t = Tmux::start("bell", 120, 30, &argv, &[("NO_COLOR", "1")]);
    t.wait_for("the badge", WAIT, |s| s.contains("✖ 1 crit"));
    let deadline = std::time::Instant::now() + WAIT;
    while t.display("#{window_bell_flag}") != "1" {
        assert!(std::time::Instant::now() < deadline, "no bell");
        std::thread::sleep(Duration::from_millis(50));
    }
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(WAIT), 0);
}
