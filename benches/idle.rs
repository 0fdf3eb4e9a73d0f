//! Idle cost (issue 5): the real binary in a real terminal (tmux, 80x24) with nothing happening
//! but the 1 Hz countdown: frames drawn per second and bytes written to the terminal per second.
//! Targets: <= 1 redraw/s, <= 1 KB/s. Issue 14 adds 10k and 100k allocations with nothing
//! published at 160x50, and the CPU the process used (from /proc: user + system time over the
//! 20 s), target <= 0.5 % of a core. Run: `cargo bench --bench idle` (needs tmux).

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
        "{:<44} {:>10} {:>12} {:>8}   (targets: <= 1 redraw/s, <= 1024 B/s, <= 0.5 %)",
        "idle, 20 s", "frames/s", "bytes/s", "CPU %"
    );
    let big = |n: usize| {
        let path = dir.join(format!("statuses-{n}.txt"));
        write_statuses(&path, n);
        path.display().to_string()
    };
    let (k10, k100) = (big(10_000), big(100_000));
    for (name, size, args) in [
        (
            "100k allocations, nothing published, 160x50",
            ("160", "50"),
            vec!["replay", k100.as_str(), "--speed", "max"],
        ),
        (
            "10k allocations, nothing published, 160x50",
            ("160", "50"),
            vec!["replay", k10.as_str(), "--speed", "max"],
        ),
        // Every event delivered at once, then only the clock ticks: 3 live allocations count down.
        (
            "replay --speed max (countdowns running), 80x24",
            ("80", "24"),
            vec![
                "replay",
                capture.to_str().unwrap_or_default(),
                "--speed",
                "max",
            ],
        ),
        (
            "demo (a busy server, for contrast), 80x24",
            ("80", "24"),
            vec!["--demo"],
        ),
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
            size.0,
            "-y",
            size.1,
            "-e",
            &frames_env,
            "--",
        ];
        new.extend(cmd.iter().copied());
        assert!(tmux(&socket, &new).status.success());
        let pid = String::from_utf8_lossy(
            &tmux(
                &socket,
                &["display-message", "-p", "-t", "idle", "#{pane_pid}"],
            )
            .stdout,
        )
        .trim()
        .to_owned();
        // Settled: the replay delivered (a big one takes a few seconds), then 3 s more.
        wait_settled(&frames);
        let start = frames_so_far(&frames);
        std::thread::sleep(Duration::from_secs(3));
        let pipe = format!("cat >> {}", out.display());
        let cpu0 = cpu_seconds(&pid);
        tmux(&socket, &["pipe-pane", "-o", "-t", "idle", &pipe]);
        std::thread::sleep(Duration::from_secs(20));
        tmux(&socket, &["pipe-pane", "-t", "idle"]);
        let cpu = cpu_seconds(&pid) - cpu0;
        tmux(&socket, &["kill-server"]);
        let bytes = std::fs::metadata(&out).map_or(0, |m| m.len());
        // Frames drawn during the 20 s measured (after 3 s of settling).
        let drawn = std::fs::read_to_string(&frames)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse::<f64>().ok())
            .filter(|t| (start + 3.0..start + 23.0).contains(t))
            .count();
        let fps = drawn as f64 / 20.0;
        let cpu_pct = cpu / 20.0 * 100.0;
        println!(
            "{name:<44} {fps:>10.2} {:>12.0} {cpu_pct:>8.2}",
            bytes as f64 / 20.0
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A capture of `n` allocations that each said `new` and nothing else, over 50 realms.
fn write_statuses(path: &std::path::Path, n: usize) {
    use std::io::Write;
    let file = std::fs::File::create(path).expect("capture");
    let mut w = std::io::BufWriter::new(file);
    let t0 = 1_800_000_000.0;
    for i in 0..n {
        let t = i as f64 * 0.0001;
        writeln!(
            w,
            "{t:.4}\t{:.4}\tturn/*\tturn/realm/r{}.example/user/u{i}/allocation/{:018}/status\t\
             new lifetime=3600, type=UDP, local=10.0.0.1:3478, remote=192.0.2.{}:{}, ssl=NONE, cipher=NONE",
            t0 + t,
            i % 50,
            i + 1,
            i % 250,
            1024 + i % 60000
        )
        .expect("write");
    }
}

/// The process's user + system CPU seconds (/proc/PID/stat fields 14 and 15).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15; `rest` starts at field 3.
    (ticks(11) + ticks(12)) / 100.0
}

fn frames_so_far(frames: &std::path::Path) -> f64 {
    std::fs::read_to_string(frames)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse::<f64>().ok())
        .fold(0.0, f64::max)
}

/// Until frames come at most once a second (the replay has been delivered).
fn wait_settled(frames: &std::path::Path) {
    for _ in 0..120 {
        std::thread::sleep(Duration::from_secs(1));
        let times: Vec<f64> = std::fs::read_to_string(frames)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse::<f64>().ok())
            .collect();
        let last = times.last().copied().unwrap_or(0.0);
        let recent = times.iter().filter(|t| **t > last - 3.0).count();
        if last > 3.0 && recent <= 4 {
            return;
        }
    }
}
