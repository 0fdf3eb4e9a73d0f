//! The real binary in a real terminal: a private tmux server (its own socket, so tests never
//! touch the user's tmux), send-keys, capture-pane, and the exit status of the program.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
    session: String,
    /// The program's exit code is written here: tmux itself does not always record it (it can
    /// mark a pane dead on the pty's EOF before it reaps the process).
    status_file: std::path::PathBuf,
}

/// tmux is a test dependency (scripts/test.sh installs it); in CI its absence is a failure.
pub fn available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("tmux is required for the terminal tests (apt-get install -y tmux)");
    }
    if !ok {
        eprintln!("skipping: tmux not installed");
    }
    ok
}

impl Tmux {
    /// Start `argv` in a detached session of `w`x`h`; the pane stays after the program exits so
    /// its last screen and exit status can be read.
    pub fn start(name: &str, w: u16, h: u16, argv: &[&str], env: &[(&str, &str)]) -> Tmux {
        let socket = format!("turntop-test-{}-{name}", std::process::id());
        let session = "t".to_owned();
        let status_file = std::env::temp_dir().join(format!("{socket}.status"));
        let _ = std::fs::remove_file(&status_file);
        let t = Tmux {
            socket,
            session,
            status_file,
        };
        let mut cmd = Command::new("tmux");
        cmd.args([
            "-L",
            &t.socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            &t.session,
        ]);
        cmd.args(["-x", &w.to_string(), "-y", &h.to_string()]);
        for (k, v) in env {
            cmd.args(["-e", &format!("{k}={v}")]);
        }
        let script = format!("\"$@\"; echo $? > '{}'", t.status_file.display());
        cmd.args(["--", "sh", "-c", &script, "sh"]).args(argv);
        let out = cmd.output().expect("tmux new-session");
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.tmux(&["set-option", "-t", &t.session, "remain-on-exit", "on"]);
        t
    }

    /// An interactive shell with job control (what Ctrl-Z and `fg` need: a program run by
    /// `sh -c` is in an orphaned process group, where the kernel discards SIGTSTP). Type a
    /// command with [`Tmux::text`] and `Enter`.
    pub fn shell(name: &str, w: u16, h: u16, env: &[(&str, &str)]) -> Tmux {
        let t = Tmux::start(
            name,
            w,
            h,
            &["bash", "--norc", "--noprofile", "-i"],
            &[env, &[("PS1", "$ ")]].concat(),
        );
        t.wait_for("the prompt", Duration::from_secs(10), |s| s.contains('$'));
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format about the pane's window, e.g. `#{window_bell_flag}`.
    pub fn display(&self, format: &str) -> String {
        self.tmux(&["display-message", "-p", "-t", &self.session, format])
            .trim()
            .to_owned()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.session])
    }

    /// Keys in tmux's send-keys syntax (`Enter`, `Escape`, `C-c`, or literal text with `-l`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// The PID of the program (the child of the `sh` that runs it in the pane).
    pub fn program_pid(&self) -> Option<u32> {
        let sh = self.tmux(&["display-message", "-p", "-t", &self.session, "#{pane_pid}"]);
        let out = Command::new("pgrep")
            .args(["-P", sh.trim()])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    pub fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", &self.session, "-l", text]);
    }

    /// Wait until the screen satisfies `pred` (or panic with the last screen).
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `Some(status)` once the program has exited (`128 + n` when signal `n` ended it).
    pub fn exit_status(&self) -> Option<i32> {
        let text = std::fs::read_to_string(&self.status_file).ok()?;
        text.trim().parse().ok()
    }

    pub fn wait_exit(&self, timeout: Duration) -> i32 {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(code) = self.exit_status() {
                return code;
            }
            if Instant::now() > deadline {
                let pane = self.tmux(&[
                    "display-message",
                    "-p",
                    "-t",
                    &self.session,
                    "#{pane_pid} #{pane_dead} #{pane_current_command}",
                ]);
                let ps = Command::new("ps")
                    .args([
                        "-o",
                        "pid,stat,wchan:20,cmd",
                        "--ppid",
                        pane.split_whitespace().next().unwrap_or("0"),
                    ])
                    .output();
                panic!(
                    "the program did not exit; pane: {pane}; children: {}; screen:\n{}",
                    ps.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                        .unwrap_or_default(),
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.status_file);
        // Ends the session and the program in it (SIGHUP), then the private server.
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
