//! `turntop --demo` in a real terminal (tmux, 120x30): rows within 2 s. Skipped with a message
//! when tmux is missing, unless CI=true (then it fails).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed when the test ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("tmux")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-session", "-t", "demo"]);
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn demo_shows_rows_within_two_seconds() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "tmux is required on CI"
        );
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let tmux = Tmux {
        socket: format!("turntop-demo-{}", std::process::id()),
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let command = format!(
        "TURNTOP_CONFIG='{}' exec '{}' --demo",
        config.display(),
        env!("CARGO_BIN_EXE_turntop")
    );
    let started = Instant::now();
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "demo",
        "-x",
        "120",
        "-y",
        "30",
        &command,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut screen = String::new();
    while started.elapsed() < Duration::from_secs(2) {
        let out = tmux.run(&["capture-pane", "-p", "-t", "demo"]);
        screen = String::from_utf8_lossy(&out.stdout).into_owned();
        let rows = screen.lines().filter(|l| l.contains(" live ")).count();
        if screen.contains("[DEMO]") && rows >= 3 {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no demo rows after 2 s; the screen:\n{screen}");
}
