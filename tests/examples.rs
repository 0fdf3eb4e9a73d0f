//! Every example command shown in README.md and in `turntop --help` runs as written (issue 14,
//! item 1: `--sort -bytes` once failed with "unexpected argument '-b'").
//!
//! The commands are taken from the text itself, not copied here, so a new example is tested
//! the day it is written. Each runs through bash in a fresh directory with the built `turntop`
//! first on PATH and HOME pointing into that directory (so `> ~/.local/...` lands there), a
//! capture from the bundled fixtures standing in for `coturn.txt` / `CAPTURE`, and a real
//! redis-server (started here, on a free port) standing in for `redis://127.0.0.1:6379`: both
//! the URLs written out and the default endpoint (through `TURNTOP_CONFIG`). Only the commands
//! listed in [`skip_reason`] are not run, each with the reason.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::redis::RedisServer;

const BIN: &str = env!("CARGO_BIN_EXE_turntop");
const CAPTURE: &str = "tests/fixtures/coturn-4.6.1/pubsub-capture.txt";

/// Lines that are commands: `turntop ...`, `$ turntop ...` or `VAR=value turntop ...`, with a
/// trailing `# comment` dropped; for `--help` (`indented_descriptions`) the description after
/// two or more spaces dropped too.
fn commands(text: &str, indented_descriptions: bool) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("$ ").unwrap_or(line);
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| !is_env_assignment(w)) else {
            continue;
        };
        if words[at] != "turntop" {
            continue;
        }
        let mut cmd = line.to_owned();
        if let Some(i) = cmd.find(" #") {
            cmd.truncate(i);
        }
        if indented_descriptions && let Some(i) = cmd.find("  ") {
            // `turntop --demo      a simulated coturn` (the help's right column). A command
            // never has two spaces inside it except before a `>` (README's aligned redirects).
            if !cmd[i..].trim_start().starts_with('>') {
                cmd.truncate(i);
            }
        }
        out.push(cmd.trim().to_owned());
    }
    out
}

fn is_env_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    })
}

fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    // Only what is inside ``` blocks is a command to type.
    let mut inside = false;
    let mut block = String::new();
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
            continue;
        }
        if inside {
            block.push_str(line);
            block.push('\n');
        }
    }
    commands(&block, false)
}

fn help_commands() -> Vec<String> {
    let out = Command::new(BIN)
        .arg("--help")
        .output()
        .expect("turntop --help");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let examples = text
        .split_once("Examples:")
        .map(|(_, e)| e.to_owned())
        .expect("--help has an Examples section");
    commands(&examples, true)
}

/// Why a command is not run here, or `None` when it is.
fn skip_reason(cmd: &str) -> Option<&'static str> {
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let sub = args
        .iter()
        .skip_while(|a| **a != "turntop")
        .nth(1)
        .copied()
        .unwrap_or("");
    if cmd.contains("${fpath") {
        return Some(
            "zsh syntax ($fpath is zsh's completion path); the same command for bash runs",
        );
    }
    if sub == "record" {
        return Some(
            "record subscribes to coturn's Redis at 10.0.0.5 until Ctrl-C or 10m \
             (tests/record.rs runs record against a real redis-server)",
        );
    }
    let runs_headless =
        args.contains(&"--once") || ["completions", "man", "--version", "--help"].contains(&sub);
    if !runs_headless {
        return Some("draws the terminal UI (tests/tui_tmux.rs runs it in tmux)");
    }
    None
}

fn setup_dir(dir: &Path, redis_port: u16) {
    for d in [
        ".local/share/bash-completion/completions",
        ".config/fish/completions",
        ".local/share/man/man1",
    ] {
        std::fs::create_dir_all(dir.join(d)).expect("mkdir");
    }
    for name in ["coturn.txt", "CAPTURE"] {
        std::fs::copy(CAPTURE, dir.join(name)).expect("copy the fixture capture");
    }
    std::fs::write(
        dir.join("config.toml"),
        format!("[[redis]]\nurl = \"redis://127.0.0.1:{redis_port}\"\n"),
    )
    .expect("config");
}

fn run(cmd: &str, redis_port: u16) {
    let dir = tempfile::tempdir().expect("tempdir");
    setup_dir(dir.path(), redis_port);
    let bin_dir: PathBuf = Path::new(BIN).parent().expect("bin dir").to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The default endpoint and every URL written as 127.0.0.1:6379 go to the test's Redis.
    let script = cmd.replace(
        "redis://127.0.0.1:6379",
        &format!("redis://127.0.0.1:{redis_port}"),
    );
    let mut child = Command::new("bash")
        .args(["-c", &format!("set -e -o pipefail; {script}")])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("HOME", dir.path())
        .env("TURNTOP_CONFIG", dir.path().join("config.toml"))
        .env_remove("NO_COLOR")
        .env_remove("TURNTOP_REDIS_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    let status = common::wait_child(&mut child, 120, cmd);
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(
        status.success(),
        "documented command failed ({status}): {cmd}\n{stderr}"
    );
}

#[test]
fn command_extraction_reads_both_sources() {
    let readme = readme_commands();
    assert!(
        readme.iter().any(|c| c.contains("--sort -bytes")),
        "README's csv example is found: {readme:#?}"
    );
    assert!(readme.contains(&"TURNTOP_LOG=debug turntop --once --redis redis://127.0.0.1:6379 --log /tmp/turntop.log".to_owned()));
    assert!(readme.contains(
        &"turntop completions bash > ~/.local/share/bash-completion/completions/turntop".to_owned()
    ));
    let help = help_commands();
    assert!(help.contains(&"turntop --demo".to_owned()), "{help:#?}");
    assert!(
        help.contains(&"turntop man > turntop.1".to_owned()),
        "{help:#?}"
    );
}

#[test]
fn every_documented_command_runs_as_written() {
    let redis = RedisServer::start();
    let mut all = readme_commands();
    all.extend(help_commands());
    all.dedup();
    let mut ran = 0;
    let mut skipped = Vec::new();
    for cmd in &all {
        match skip_reason(cmd) {
            Some(why) => skipped.push(format!("{cmd}: {why}")),
            None => {
                run(cmd, redis.port);
                ran += 1;
            }
        }
    }
    eprintln!("ran {ran} commands; skipped:\n{}", skipped.join("\n"));
    assert!(ran >= 14, "only {ran} commands ran");
}

#[test]
fn sort_takes_a_descending_column_as_a_separate_word() {
    let out = Command::new(BIN)
        .args([
            "replay", CAPTURE, "--speed", "max", "--once", "--format", "csv",
        ])
        .args(["--sort", "-bytes", "--filter", "type=udp"])
        .output()
        .expect("turntop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(BIN)
        .args([
            "replay", CAPTURE, "--speed", "max", "--once", "--format", "csv",
        ])
        .args(["--filter", "-user=alice"])
        .output()
        .expect("turntop");
    // A filter starting with `-` reaches the filter parser (which says what is wrong) instead
    // of clap reading it as flags.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("unexpected argument"), "{err}");
}
