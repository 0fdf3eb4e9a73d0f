//! Issue 7's last check: the TUI in a real terminal (tmux) against a live coturn shows the users
//! and a non-zero rate while traffic flows.

mod common;

use std::time::Duration;

use common::coturn::{self, LabEnv};
use common::tmux::{self, Tmux};

/// A rate cell with a non-zero value (e.g. `12.3KB/s`, `980B/s`), not `0B/s` or `-`.
fn has_nonzero_rate(line: &str) -> bool {
    line.split_whitespace()
        .map(|w| w.trim_start_matches(['↓', '↑']))
        .any(|w| {
            w.ends_with("B/s")
                && w.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() && c != '0')
        })
}

#[test]
fn tui_against_live_coturn_shows_users_and_rates() {
    if !coturn::available() || !tmux::available() {
        return;
    }
    let mut env = LabEnv::scenario1(Duration::from_secs(90));
    let url = env.url();
    let t = Tmux::start(
        "coturn",
        160,
        30,
        &[env!("CARGO_BIN_EXE_turntop"), "--redis", &url],
        &[("NO_COLOR", "1")],
    );
    t.wait_for("connected", Duration::from_secs(30), |s| {
        s.contains("● connected")
    });
    // ~500 messages/s each way: coturn reports every ~2 s.
    let _udp = env
        .coturn
        .uclient("udp", &["-n", "6000", "-z", "2", "-l", "100"], 60);
    let _tcp = env
        .coturn
        .uclient("tcp", &["-t", "-n", "6000", "-z", "2", "-l", "100"], 60);
    let s = t.wait_for(
        "both users with a non-zero rate",
        Duration::from_secs(40),
        |s| {
            let rows: Vec<&str> = s
                .lines()
                .filter(|l| l.contains("● live") && has_nonzero_rate(l))
                .collect();
            rows.iter().any(|l| l.starts_with("udp ")) && rows.iter().any(|l| l.starts_with("tcp "))
        },
    );
    assert!(
        s.lines().nth(1).is_some_and(has_nonzero_rate),
        "the header totals show traffic:\n{s}"
    );
    t.keys(&["2"]);
    let s = t.wait_for("users view with rates", Duration::from_secs(30), |s| {
        s.contains(" Users ")
            && s.lines()
                .any(|l| l.starts_with("udp ") && has_nonzero_rate(l))
    });
    assert!(
        s.lines()
            .any(|l| l.starts_with("tcp ") && l.contains("e2e.example")),
        "{s}"
    );
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
}
