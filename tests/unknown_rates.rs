//! No report is not zero traffic (issue 14, item 9): before any allocation of a group has
//! reported, the group's rates are unknown (`-`, null, an empty raw cell), in the header, the
//! Users and Realms views and `--once`, exactly as an allocation's own rate is.

use std::process::Command;

use turntop::capture;
use turntop::coturn::Leg;
use turntop::model::{Model, ModelConfig};

const FIXTURE: &str = "tests/fixtures/coturn-4.6.1/pubsub-capture.txt";

/// The fixture's first lines: statuses of allocations, no traffic report yet.
fn statuses_only(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(FIXTURE).expect("fixture");
    let kept: Vec<&str> = text
        .lines()
        .take_while(|l| l.starts_with('#') || !l.contains("/traffic"))
        .collect();
    assert!(kept.iter().filter(|l| l.contains("/status")).count() >= 3);
    let path = dir.join("statuses.txt");
    std::fs::write(&path, kept.join("\n") + "\n").expect("write");
    path
}

#[test]
fn aggregates_of_allocations_without_reports_are_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = statuses_only(dir.path());
    let records = capture::read_file(&file).expect("capture");
    let mut model = Model::new(ModelConfig::default());
    let ep = model.add_endpoint("statuses");
    let now = turntop::source::replay::apply_all(&mut model, ep, &records);
    let users = model.user_rows(now);
    assert!(!users.is_empty());
    for u in &users {
        assert!(u.agg.live > 0);
        assert_eq!(u.agg.rate(Leg::Client), None, "{}", u.user);
        assert_eq!(u.agg.rate(Leg::Peer), None, "{}", u.user);
    }
    for a in model.allocation_rows(now) {
        assert_eq!(a.client_rate, None);
    }
}

#[test]
fn once_prints_unknown_aggregates_as_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = statuses_only(dir.path());
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_turntop"))
            .arg("replay")
            .arg(&file)
            .args(["--speed", "max", "--once"])
            .args(extra)
            .output()
            .expect("turntop");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let csv = run(&["--view", "users", "--format", "csv"]);
    let mut lines = csv.lines();
    let titles: Vec<&str> = lines.next().expect("titles").split(',').collect();
    let rate = titles.iter().position(|t| *t == "RATE").expect("RATE");
    let cli_rx = titles.iter().position(|t| *t == "CLI RX").expect("CLI RX");
    let mut rows = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[rate], "-", "{line}");
        assert_eq!(cells[cli_rx], "-", "{line}");
        rows += 1;
    }
    assert!(rows > 0);
    let raw = run(&["--view", "realms", "--format", "csv", "--raw"]);
    let mut lines = raw.lines();
    let titles: Vec<&str> = lines.next().expect("titles").split(',').collect();
    let rate = titles.iter().position(|t| *t == "RATE").expect("RATE");
    for line in lines {
        assert_eq!(
            line.split(',').nth(rate),
            Some(""),
            "unknown is an empty raw cell: {line}"
        );
    }
    let json = run(&["--view", "users", "--format", "json"]);
    assert!(
        json.contains("\"client_rx\": null") && !json.contains("\"client_rx\": 0"),
        "{json}"
    );
}
