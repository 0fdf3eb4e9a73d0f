//! The binary, headless: `turntop replay FILE --speed max --once --format json`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn turntop() -> Command {
    Command::new(env!("CARGO_BIN_EXE_turntop"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1")
        .join(name)
}

fn counters_shape(v: &Value) {
    for k in ["rcvp", "rcvb", "sentp", "sentb"] {
        assert!(v[k].is_u64(), "{k} in {v}");
    }
}

#[test]
fn replay_once_json_follows_the_contract() {
    let out = turntop()
        .args([
            "replay",
            fixture("pubsub-capture.txt").to_str().unwrap(),
            "--speed",
            "max",
            "--once",
            "--format",
            "json",
        ])
        .args(["--retention", "100000"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let allocations = v["allocations"].as_array().unwrap();
    assert_eq!(allocations.len(), 21);
    for a in allocations {
        assert!(a["realm"].is_string() || a["realm"].is_null());
        assert!(a["user"].is_string());
        let id = a["id"].as_str().unwrap();
        assert!(id.len() == 18 && id.bytes().all(|b| b.is_ascii_digit()));
        assert!(["live", "released", "expired", "deleted"].contains(&a["state"].as_str().unwrap()));
        assert!(a["transport"].is_string() || a["transport"].is_null());
        assert!(a["remote"].is_string() || a["remote"].is_null());
        assert!(a["lifetime_s"].is_u64() || a["lifetime_s"].is_null());
        counters_shape(&a["client"]);
        counters_shape(&a["peer"]);
        if a["state"] == "deleted" {
            counters_shape(&a["total"]["client"]);
            counters_shape(&a["total"]["peer"]);
            assert_eq!(a["total"]["client"], a["client"]);
        } else {
            assert!(a["total"].is_null());
        }
    }
    let live: Vec<&str> = allocations
        .iter()
        .filter(|a| a["state"] == "live")
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        live,
        [
            "001000000000000011",
            "001000000000000012",
            "001000000000000013"
        ]
    );
    for u in v["users"].as_array().unwrap() {
        assert!(u["user"].is_string() && u["allocations_live"].is_u64());
        counters_shape(&u["client"]);
        counters_shape(&u["peer"]);
    }
    let realms = v["realms"].as_array().unwrap();
    assert_eq!(realms.len(), 1);
    assert_eq!(realms[0]["realm"], "lab.example");
    assert_eq!(realms[0]["allocations_live"], 3);
    assert_eq!(v["counters"]["events"], 200);
    assert_eq!(v["counters"]["malformed"], 0);
    assert_eq!(v["counters"]["unknown"], 0);
}

#[test]
fn default_retention_keeps_ten_minutes_of_ended_allocations() {
    let out = turntop()
        .args([
            "replay",
            fixture("pubsub-capture.txt").to_str().unwrap(),
            "--speed",
            "max",
            "--once",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The capture ends at t_rel 846: what ended before t_rel 246 is gone, the 5 ended later
    // (at 605..782) and the 3 live ones remain.
    let states: Vec<&str> = v["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "deleted").count(), 5);
    assert_eq!(states.iter().filter(|s| **s == "live").count(), 3);
}

#[test]
fn realmless_capture_has_null_realm() {
    let out = turntop()
        .args([
            "replay",
            fixture("pubsub-capture-no-auth.txt").to_str().unwrap(),
            "--speed",
            "max",
            "--once",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["realm"].is_null() && a["user"] == "")
    );
}

fn one_line_error(args: &[&str]) -> String {
    let out = turntop().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    err
}

#[test]
fn missing_file_is_one_error_line_and_exit_2() {
    let err = one_line_error(&[
        "replay",
        "/nonexistent/capture.txt",
        "--speed",
        "max",
        "--once",
    ]);
    assert!(
        err.starts_with("turntop: /nonexistent/capture.txt: No such file"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_capture_is_one_error_line_and_exit_2() {
    let cargo_toml = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let err = one_line_error(&[
        "replay",
        cargo_toml.to_str().unwrap(),
        "--speed",
        "max",
        "--once",
    ]);
    assert!(
        err.contains("not a turntop/coturn capture: line 1"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "# nothing\n").unwrap();
    let err = one_line_error(&[
        "replay",
        empty.to_str().unwrap(),
        "--speed",
        "max",
        "--once",
    ]);
    assert!(err.contains("no message lines"), "{err}");
    let binary = dir.path().join("binary");
    std::fs::write(&binary, [0xff, 0xfe, 0, 1, 2]).unwrap();
    let err = one_line_error(&[
        "replay",
        binary.to_str().unwrap(),
        "--speed",
        "max",
        "--once",
    ]);
    assert!(err.contains("not UTF-8"), "{err}");
}

#[test]
fn bad_speed_is_rejected() {
    let out = turntop()
        .args(["replay", "x", "--speed", "fast", "--once"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
