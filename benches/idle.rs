//! Idle cost (issue 5): the real binary in a real terminal (tmux, 80x24) with nothing happening
//! but the 1 Hz countdown: frames drawn per second and bytes written to the terminal per second.
//! Targets: <= 1 redraw/s, <= 1 KB/s. Run: `cargo bench --bench idle` (needs tmux).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn tmux(socket: &str, args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .args(["-L", socket])
        .args(args)
        .output()
        .expect("tmux")
}

fn main() {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("idle: skipped (tmux not installed)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("turntop-idle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("terminal.bytes");
    let frames = dir.join("frames.log");
    let capture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1/pubsub-capture.txt");

    println!(
        "{:<44} {:>10} {:>12}   (targets: <= 1 redraw/s, <= 1024 B/s)",
        "idle at 80x24, 20 s", "frames/s", "bytes/s"
    );
    for (name, args) in [
        // Every event delivered at once, then only the clock ticks: 3 live allocations count down.
        (
            "replay --speed max (countdowns running)",
            vec![
                "replay",
                capture.to_str().unwrap_or_default(),
                "--speed",
                "max",
            ],
        ),
        ("demo (a busy server, for contrast)", vec!["--demo"]),
    ] {
        let socket = format!("turntop-idle-{}-{}", std::process::id(), name.len());
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(&frames);
        let mut cmd = vec![env!("CARGO_BIN_EXE_turntop")];
        cmd.extend(args.iter().copied());
        let frames_env = format!("TURNTOP_FRAME_LOG={}", frames.display());
        let mut new = vec![
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "idle",
            "-x",
            "80",
            "-y",
            "24",
            "-e",
            &frames_env,
            "--",
        ];
        new.extend(cmd.iter().copied());
        assert!(tmux(&socket, &new).status.success());
        std::thread::sleep(Duration::from_secs(3));
        let pipe = format!("cat >> {}", out.display());
        tmux(&socket, &["pipe-pane", "-o", "-t", "idle", &pipe]);
        std::thread::sleep(Duration::from_secs(20));
        tmux(&socket, &["pipe-pane", "-t", "idle"]);
        tmux(&socket, &["kill-server"]);
        let bytes = std::fs::metadata(&out).map_or(0, |m| m.len());
        // Frames drawn during the 20 s measured (after 3 s of settling).
        let drawn = std::fs::read_to_string(&frames)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse::<f64>().ok())
            .filter(|t| (3.0..23.0).contains(t))
            .count();
        let fps = drawn as f64 / 20.0;
        println!("{name:<44} {fps:>10.2} {:>12.0}", bytes as f64 / 20.0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
