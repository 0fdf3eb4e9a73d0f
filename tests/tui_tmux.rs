//! The real binary in a real terminal (tmux): rows appear, sorting changes the order, the filter
//! narrows, Enter drills down, q exits and the terminal is restored; a replay pauses and steps;
//! Ctrl-Z in a job-control shell stops it with the terminal restored and `fg` brings it back;
//! live from a test Redis, hostile usernames are shown inert and rates appear while traffic
//! flows.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::redis::RedisServer;
use common::tmux::{self, Tmux};
use redis::Commands;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_turntop")
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1")
        .join(name)
        .display()
        .to_string()
}

const WAIT: Duration = Duration::from_secs(30);

/// The data rows of the table: lines between the column header and the hint bar.
fn table_rows(screen: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(header) = lines.iter().position(|l| l.starts_with("USER")) else {
        return Vec::new();
    };
    lines[header + 1..]
        .iter()
        .take_while(|l| !l.trim_start().starts_with("q quit"))
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.to_string())
        .collect()
}

#[test]
fn replay_in_a_real_terminal() {
    if !tmux::available() {
        return;
    }
    let capture = fixture("pubsub-capture.txt");
    let t = Tmux::start(
        "replay",
        120,
        30,
        &[bin(), "replay", &capture, "--speed", "max"],
        &[("NO_COLOR", "1")],
    );
    let s = t.wait_for("rows", WAIT, |s| {
        table_rows(s).len() >= 8 && s.contains("end of capture")
            || s.contains("[REPLAY]") && table_rows(s).len() >= 8
    });
    assert!(s.contains("Allocations") && s.contains("sort RATE▼"), "{s}");

    // Sorting by USER (ascending): alice rows come before bob rows.
    t.keys(&["o"]);
    t.wait_for("sort menu", WAIT, |s| s.contains("sort by"));
    for _ in 0..20 {
        t.keys(&["k"]);
    }
    t.keys(&["Enter"]);
    let s = t.wait_for("sorted by user", WAIT, |s| s.contains("sort USER▲"));
    let rows = table_rows(&s);
    let first_bob = rows
        .iter()
        .position(|r| r.starts_with("bob"))
        .expect("bob rows");
    assert!(
        first_bob > 0 && rows[..first_bob].iter().all(|r| r.starts_with("alice")),
        "{s}"
    );
    t.keys(&["r"]);
    let s = t.wait_for("reversed", WAIT, |s| s.contains("sort USER▼"));
    assert!(table_rows(&s)[0].starts_with("bob"), "{s}");

    // The filter narrows (and stays after Esc).
    t.keys(&["/"]);
    t.text("user=alice");
    t.keys(&["Escape"]);
    let s = t.wait_for("filtered", WAIT, |s| {
        s.contains("filter: user=alice") && table_rows(s).iter().all(|r| r.starts_with("alice"))
    });
    assert!(!table_rows(&s).is_empty());

    // Enter drills down to one allocation; Esc comes back.
    t.keys(&["Enter"]);
    t.wait_for("detail", WAIT, |s| {
        s.contains("event log") && s.contains("› allocation")
    });
    t.keys(&["Escape"]);
    t.wait_for("back", WAIT, |s| {
        s.contains("filter: user=alice") && !s.contains("event log")
    });

    // Users view and drill to a user's allocations.
    t.keys(&["2"]);
    t.wait_for("users view", WAIT, |s| {
        s.contains(" Users ") && s.contains("LIVE")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
    // The alternate screen is gone: the pane shows what was there before (nothing), not the UI.
    let s = t.screen();
    assert!(
        !s.contains("turntop") && !s.contains("USER"),
        "terminal not restored:\n{s}"
    );
}

#[test]
fn live_from_redis_shows_users_rates_and_inert_hostile_names() {
    if !tmux::available() {
        return;
    }
    let server = RedisServer::start();
    let url = server.url();
    let t = Tmux::start(
        "live",
        160,
        30,
        &[bin(), "--redis", &url],
        &[("NO_COLOR", "1")],
    );
    t.wait_for("connected", WAIT, |s| s.contains("connected"));
    let mut con = server.connection(&url);
    let evil = "mallory\x1b[2J\x1b]0;pwned\x07\u{202E}txt.exe";
    let base = format!("turn/realm/lab.example/user/{evil}/allocation/000000000000000042");
    let _: () = con
        .publish(format!("{base}/status"), "new lifetime=600, type=UDP, local=127.0.0.1:3478, remote=127.0.0.1:5000, ssl=NONE, cipher=NONE")
        .unwrap();
    // Traffic reports a second apart: a non-zero rate appears.
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(700));
        let _: () = con
            .publish(
                format!("{base}/traffic"),
                "rcvp=2048, rcvb=409600, sentp=2048, sentb=409600",
            )
            .unwrap();
        let _: () = con
            .publish(
                format!("{base}/traffic/peer"),
                "rcvp=2048, rcvb=400000, sentp=2048, sentb=400000",
            )
            .unwrap();
    }
    // Escaped, then middle-truncated to the column: both ends show.
    let s = t.wait_for("the hostile user with a rate", WAIT, |s| {
        s.contains("mallory\\x") && s.contains("txt.exe") && s.contains("KB/s")
    });
    let row = table_rows(&s)
        .into_iter()
        .find(|r| r.contains("mallory"))
        .expect("row");
    assert!(row.contains("● live"), "{row}");
    assert!(
        !s.contains("pwned\u{7}") && !s.contains('\u{202E}'),
        "raw control characters reached the terminal:\n{s}"
    );
    // The header still reads normally (a raw ESC[2J would have cleared it).
    assert!(
        s.lines().next().is_some_and(|l| l.contains("turntop")),
        "{s}"
    );
    t.keys(&["2"]);
    t.wait_for("users view", WAIT, |s| {
        s.contains(" Users ") && s.contains("mallory\\x1b")
    });
    t.keys(&["C-c"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
}

#[test]
fn a_pipe_gets_a_hint_not_a_tui() {
    let out = std::process::Command::new(bin())
        .args(["replay", &fixture("pubsub-capture.txt")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a terminal") && err.contains("--once"),
        "{err}"
    );
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    if !tmux::available() {
        return;
    }
    for signal in ["TERM", "HUP"] {
        let capture = fixture("pubsub-capture.txt");
        let t = Tmux::start(
            &format!("sig{signal}"),
            100,
            30,
            &[bin(), "replay", &capture, "--speed", "max"],
            &[],
        );
        t.wait_for("rows", WAIT, |s| table_rows(s).len() >= 3);
        let pid = t.program_pid().expect("the program's pid").to_string();
        let ok = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(ok.success());
        assert_eq!(
            t.wait_exit(Duration::from_secs(30)),
            0,
            "SIG{signal} is a clean exit"
        );
        let s = t.screen();
        assert!(
            !s.contains("turntop") && !s.contains("USER"),
            "SIG{signal}: terminal not restored:\n{s}"
        );
    }
}

/// The replay clock in the header (`[REPLAY] file 2026-... ×1`).
fn replay_clock(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains("[REPLAY]"))
        .and_then(|l| l.split_whitespace().find(|w| w.contains(':')))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn replay_pauses_and_steps() {
    if !tmux::available() {
        return;
    }
    let capture = fixture("pubsub-capture.txt");
    let t = Tmux::start(
        "pause",
        120,
        30,
        &[bin(), "replay", &capture, "--speed", "1"],
        &[("NO_COLOR", "1")],
    );
    t.wait_for("the replay", WAIT, |s| s.contains("[REPLAY]"));
    // Pause: the clock stops while real time goes on.
    t.keys(&["p"]);
    let paused = t.wait_for("PAUSED", WAIT, |s| s.contains("PAUSED"));
    let clock = replay_clock(&paused);
    assert!(!clock.is_empty(), "{paused}");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(replay_clock(&t.screen()), clock, "paused, the clock stands");
    // Step: one message at a time; enough of them move the clock, and it stays paused.
    for _ in 0..60 {
        t.keys(&["n"]);
    }
    let stepped = t.wait_for("steps", WAIT, |s| replay_clock(s) != clock);
    assert!(stepped.contains("PAUSED"), "{stepped}");
    // Resume.
    t.keys(&["p"]);
    t.wait_for("resumed", WAIT, |s| {
        s.contains("[REPLAY]") && !s.contains("PAUSED")
    });

    t.keys(&["q"]);
    assert_eq!(t.wait_exit(WAIT), 0);
}

#[test]
fn ctrl_z_suspends_and_fg_resumes() {
    if !tmux::available() {
        return;
    }
    let capture = fixture("pubsub-capture.txt");
    let t = Tmux::shell("suspend", 120, 30, &[("NO_COLOR", "1")]);
    t.text(&format!("{} replay {capture} --speed 1", bin()));
    t.keys(&["Enter"]);
    t.wait_for("the replay", WAIT, |s| {
        s.contains("[REPLAY]") && s.contains("USER")
    });
    // Ctrl-Z gives the terminal back to the shell, which reports the job stopped.
    t.keys(&["C-z"]);
    let s = t.wait_for("the job stopped", WAIT, |s| s.contains("Stopped"));
    assert!(
        !s.contains("USER"),
        "suspended, the terminal is restored:\n{s}"
    );
    // fg takes it again and redraws.
    t.text("fg");
    t.keys(&["Enter"]);
    t.wait_for("the redraw after fg", WAIT, |s| {
        s.contains("[REPLAY]") && s.contains("USER")
    });
    // q ends it; fg returns its exit status.
    t.keys(&["q"]);
    t.wait_for("the prompt", WAIT, |s| s.trim_end().ends_with('$'));
    t.text("echo EXIT=$?");
    t.keys(&["Enter"]);
    t.wait_for("a clean exit", WAIT, |s| s.contains("EXIT=0"));
}
