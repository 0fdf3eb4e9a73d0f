//! `turntop --demo` in a real terminal (tmux, 120x30): rows within 2 s, and the events/s meter
//! shows the live pace from the start (the warm-up history is not counted as a burst).

mod common;

use std::time::Duration;

use common::tmux::{self, Tmux};

/// The events/s figure of the header (` turntop [DEMO]   81.3 ev/s ...`).
fn events_per_sec(screen: &str) -> Option<f64> {
    let line = screen.lines().find(|l| l.contains("[DEMO]"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "ev/s")?;
    words.get(at.checked_sub(1)?)?.parse().ok()
}

#[test]
fn demo_shows_rows_within_two_seconds_at_its_live_pace() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let config = config.display().to_string();
    let t = Tmux::start(
        "demo",
        120,
        30,
        &[env!("CARGO_BIN_EXE_turntop"), "--demo"],
        &[("TURNTOP_CONFIG", config.as_str())],
    );
    t.wait_for("demo rows", Duration::from_secs(20), |s| {
        s.contains("[DEMO]") && s.lines().filter(|l| l.contains(" live ")).count() >= 3
    });
    // The demo publishes ~80 events a second; its 15-minute warm-up (tens of thousands of
    // messages) is history, not traffic.
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(1100));
        let s = t.screen();
        let rate = events_per_sec(&s).expect("an events/s figure in the header");
        assert!(rate < 1000.0, "{rate} ev/s:\n{s}");
    }
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(10)), 0);
}
