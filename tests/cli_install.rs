//! What `cargo install` users get: --version, --help with examples, completions and a man page
//! generated from the clap definition.

use std::process::Command;

fn turntop(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_turntop"))
        .args(args)
        .output()
        .expect("turntop");
    assert!(
        out.status.success(),
        "turntop {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn version_help_completions_and_man() {
    assert_eq!(
        turntop(&["--version"]).trim(),
        format!("turntop {}", env!("CARGO_PKG_VERSION"))
    );
    let help = turntop(&["--help"]);
    assert!(help.contains("Examples:") && help.contains("turntop record --redis"));
    assert!(turntop(&["completions", "bash"]).contains("_turntop()"));
    assert!(turntop(&["completions", "zsh"]).starts_with("#compdef turntop"));
    let fish = turntop(&["completions", "fish"]);
    assert!(fish.contains("complete -c turntop") && fish.contains("record"));
    let man = turntop(&["man"]);
    assert!(man.contains(".TH turntop 1") && man.contains("replay"));
    let dir = tempfile::tempdir().unwrap();
    turntop(&["man", "--out", dir.path().to_str().unwrap()]);
    for page in ["turntop.1", "turntop-record.1", "turntop-replay.1"] {
        assert!(dir.path().join(page).exists(), "{page}");
    }
}
