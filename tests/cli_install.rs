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
    man_has_the_sections_help_lacks(&man);
    let dir = tempfile::tempdir().unwrap();
    turntop(&["man", "--out", dir.path().to_str().unwrap()]);
    for page in ["turntop.1", "turntop-record.1", "turntop-replay.1"] {
        assert!(dir.path().join(page).exists(), "{page}");
    }
}

/// `turntop man` is more than `--help` as roff: keys, the filter language, the columns, exit
/// status, environment, files and examples, each complete.
fn man_has_the_sections_help_lacks(man: &str) {
    let sections: Vec<&str> = man
        .lines()
        .filter_map(|l| l.strip_prefix(".SH "))
        .map(|s| s.trim_matches('"'))
        .collect();
    for wanted in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "KEYS",
        "FILTER LANGUAGE",
        "COLUMNS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "EXAMPLES",
    ] {
        assert!(sections.contains(&wanted), "{wanted}: {sections:?}");
    }
    // Roff escapes hyphens; read the page as text.
    let text = man.replace("\\-", "-").replace("\\e", "\\");
    let section = |name: &str| {
        let start = text.find(&format!(".SH \"{name}\"")).expect(name);
        let rest = &text[start + 4..];
        rest[..rest.find(".SH ").unwrap_or(rest.len())].to_owned()
    };
    let keys = section("KEYS");
    for (key, _) in turntop::app::default_keys() {
        assert!(keys.contains(key), "key {key}");
    }
    for cmd in ["quit", "sort-menu", "zoom-in", "pause"] {
        assert!(keys.contains(cmd), "{cmd}");
    }
    let columns = section("COLUMNS");
    for c in turntop::column::Col::ALL {
        assert!(
            columns.contains(c.name()) && columns.contains(c.title()),
            "{c:?}"
        );
    }
    let filter = section("FILTER LANGUAGE");
    for term in [
        "rate>8Mbps",
        "alice|bob",
        "remote=192.0.2.0/24",
        "type=udp",
        "user=(none)",
    ] {
        assert!(filter.contains(term), "{term}");
    }
    let exit = section("EXIT STATUS");
    assert!(exit.contains("0 ") && exit.contains("1 ") && exit.contains("2 "));
    let env = section("ENVIRONMENT");
    for var in [
        "TURNTOP_CONFIG",
        "TURNTOP_REDIS_PASSWORD",
        "TURNTOP_LOG",
        "NO_COLOR",
    ] {
        assert!(env.contains(var), "{var}");
    }
    assert!(section("FILES").contains("config.toml"));
    assert!(section("EXAMPLES").contains("turntop record --redis"));
}
