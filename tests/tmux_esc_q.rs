//! Esc then q typed quickly arrive in one read (`\x1bq`), which crossterm reports as Alt-q
//! (issue 14, item 8): from the help overlay, turntop still quits. The real binary in tmux.

mod common;

use std::time::Duration;

use common::tmux::{self, Tmux};

#[test]
fn esc_q_in_one_write_closes_help_and_quits() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").expect("config");
    let config = config.display().to_string();
    let t = Tmux::start(
        "escq",
        100,
        30,
        &[env!("CARGO_BIN_EXE_turntop"), "--demo"],
        &[("TURNTOP_CONFIG", config.as_str())],
    );
    t.wait_for("the demo", Duration::from_secs(60), |s| {
        s.contains("[DEMO]")
    });
    t.keys(&["?"]);
    t.wait_for("the help", Duration::from_secs(60), |s| s.contains("quit"));
    // One literal write: ESC and q together.
    t.text("\x1bq");
    assert_eq!(t.wait_exit(Duration::from_secs(60)), 0);
}
