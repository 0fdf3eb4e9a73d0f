//! `--once --view problems` in every format (issue 13): table, CSV (and --raw), JSON rows with
//! kind, severity, user, realm, id, endpoint, since, detail; and the snapshot's `problems`.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn run(format: &str, extra: &[&str]) -> String {
    let capture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1/pubsub-capture.txt");
    let mut config = tempfile::NamedTempFile::new().unwrap();
    writeln!(config, "[problems]\nuser_allocations = 1").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_turntop"))
        .arg("replay")
        .arg(&capture)
        .args(["--speed", "max", "--once", "--format", format])
        .arg("--config")
        .arg(config.path())
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn table_and_csv_show_the_problems_view() {
    let table = run("table", &["--view", "problems"]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["SEVERITY", "PROBLEM", "SUBJECT", "DETAIL", "AGE"]);
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("warning")
            && row.contains("busy_user")
            && row.contains("alice@lab.example"),
        "{row}"
    );
    let csv = run("csv", &["--view", "problems"]);
    assert!(
        csv.starts_with(
            "SEVERITY,PROBLEM,SUBJECT,DETAIL,AGE\nwarning,busy_user,alice@lab.example,\"3 live"
        ),
        "{csv}"
    );
    let raw = run("csv", &["--view", "problems", "--raw"]);
    assert!(
        raw.lines()
            .nth(1)
            .unwrap()
            .starts_with("warning,busy_user,alice@lab.example,"),
        "{raw}"
    );
    assert!(
        raw.lines().nth(1).unwrap().ends_with(",0"),
        "age in seconds: {raw}"
    );
}

#[test]
fn json_rows_carry_the_fields() {
    let v: Value = serde_json::from_str(&run("json", &["--view", "problems"])).unwrap();
    assert_eq!(v["view"], "problems");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let p = &rows[0];
    for key in [
        "kind", "severity", "user", "realm", "id", "endpoint", "since", "detail",
    ] {
        assert!(p.get(key).is_some(), "{key} in {p}");
    }
    assert_eq!(p["kind"], "busy_user");
    assert_eq!(p["severity"], "warning");
    assert_eq!(p["user"], "alice");
    assert_eq!(p["realm"], "lab.example");
    assert!(p["since"].is_f64());

    let filtered: Value = serde_json::from_str(&run(
        "json",
        &["--view", "problems", "--filter", "severity=critical"],
    ))
    .unwrap();
    assert_eq!(filtered["rows"].as_array().unwrap().len(), 0);

    let snapshot: Value = serde_json::from_str(&run("json", &[])).unwrap();
    assert_eq!(snapshot["problems"][0]["kind"], "busy_user");
}
