//! Headless `--once` output of the binary: CSV, JSON and the aligned table of every view parse
//! back and match the model (the same rows, in the same order, as `table::rows` gives the TUI),
//! for a replay, the demo and live Redis.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::redis::RedisServer;
use turntop::capture;
use turntop::filter::Filter;
use turntop::format::RateUnits;
use turntop::model::{Model, ModelConfig};
use turntop::output::{AllocationOut, RealmOut, UserOut};
use turntop::table::{self, Col, Ctx, Row, Scope, TableKind};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1")
        .join(name)
}

fn turntop(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_turntop"))
        .args(args)
        .env("TURNTOP_CONFIG", &config)
        .env_remove("TURNTOP_REDIS_PASSWORD")
        .output()
        .expect("turntop");
    assert!(
        out.status.success(),
        "turntop {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

const CAPTURE: &str = "pubsub-capture.txt";

fn replay(extra: &[&str]) -> String {
    let file = fixture(CAPTURE);
    let mut args = vec![
        "replay",
        file.to_str().unwrap(),
        "--once",
        "--retention",
        "100000",
    ];
    args.extend_from_slice(extra);
    turntop(&args)
}

/// The model `replay --once` builds, and the instant it prints.
fn model() -> (Model, f64) {
    let records = capture::read_file(&fixture(CAPTURE)).unwrap();
    let mut model = Model::new(ModelConfig {
        retention: 100000.0,
        ..ModelConfig::default()
    });
    let ep = model.add_endpoint(CAPTURE);
    let now = turntop::source::replay::apply_all(&mut model, ep, &records);
    (model, now)
}

fn default_sort(kind: TableKind) -> table::Sort {
    turntop::config::parse_sort("rate", kind).unwrap()
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[test]
fn csv_and_table_of_every_view_are_the_rows_and_cells_of_the_tui() {
    let (model, now) = model();
    let ctx = Ctx {
        model: &model,
        now,
        units: RateUnits::Bytes,
    };
    for (kind, name) in [
        (TableKind::Allocations, "allocations"),
        (TableKind::Users, "users"),
        (TableKind::Realms, "realms"),
    ] {
        let rows = table::rows(
            kind,
            Scope::All,
            &Filter::default(),
            default_sort(kind),
            &ctx,
        );
        assert!(!rows.is_empty(), "{name}");
        let columns = table::columns(kind);
        let (header, got) = csv_rows(&replay(&["--view", name, "--format", "csv"]));
        assert_eq!(
            header,
            columns.iter().map(|c| c.title).collect::<Vec<_>>(),
            "{name}"
        );
        assert_eq!(got.len(), rows.len(), "{name}");
        for (cells, row) in got.iter().zip(&rows) {
            for (cell, spec) in cells.iter().zip(columns) {
                if !spec.col.is_history() {
                    assert_eq!(cell, &row.cell(spec.col, &ctx), "{name} {}", spec.title);
                }
            }
        }
        // The text table: a header line, then one line per row, the user/realm first.
        let text = replay(&["--view", name, "--format", "table"]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), rows.len() + 1, "{name}");
        assert!(lines[0].starts_with(columns[0].title));
        for (line, row) in lines[1..].iter().zip(&rows) {
            assert!(line.starts_with(&row.cell(columns[0].col, &ctx)), "{line}");
        }
        assert!(!text.contains('\x1b'), "no colour in the table");
    }
    // LIVE counts of users are the model's.
    let (header, got) = csv_rows(&replay(&["--view", "users", "--format", "csv"]));
    let live = header.iter().position(|h| h == "LIVE").unwrap();
    let user = header.iter().position(|h| h == "USER").unwrap();
    for u in model.user_rows(now) {
        let row = got.iter().find(|r| r[user] == u.user).expect("the user");
        assert_eq!(row[live], u.agg.live.to_string());
    }
}

#[test]
fn filter_and_sort_apply_as_in_the_tui_for_csv_and_json() {
    let (model, now) = model();
    let ctx = Ctx {
        model: &model,
        now,
        units: RateUnits::Bytes,
    };
    let filter = Filter::parse("user=alice !state=deleted").unwrap();
    let sort = turntop::config::parse_sort("+id", TableKind::Allocations).unwrap();
    let rows = table::rows(TableKind::Allocations, Scope::All, &filter, sort, &ctx);
    assert!(rows.len() >= 2);
    let ids: Vec<String> = rows.iter().map(|r| r.cell(Col::Id, &ctx)).collect();
    let args = ["--filter", "user=alice !state=deleted", "--sort", "+id"];

    let (header, got) = csv_rows(&replay(&[&args[..], &["--format", "csv"]].concat()));
    let id = header.iter().position(|h| h == "ID").unwrap();
    assert_eq!(got.iter().map(|r| r[id].clone()).collect::<Vec<_>>(), ids);

    let v: serde_json::Value =
        serde_json::from_str(&replay(&[&args[..], &["--format", "json"]].concat())).unwrap();
    assert_eq!(v["view"], "allocations");
    assert_eq!(v["sort"], "+id");
    let got: Vec<AllocationOut> = serde_json::from_value(v["rows"].clone()).unwrap();
    let want: Vec<String> = rows
        .iter()
        .map(|r| match r {
            Row::Allocation(a) => a.alloc.id.to_string(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(got.iter().map(|a| a.id.clone()).collect::<Vec<_>>(), want);
    assert!(got.iter().all(|a| a.user == "alice"));

    // Users and realms as JSON rows are the snapshot's objects.
    let v: serde_json::Value =
        serde_json::from_str(&replay(&["--view", "users", "--format", "json"])).unwrap();
    let users: Vec<UserOut> = serde_json::from_value(v["rows"].clone()).unwrap();
    assert_eq!(users.len(), model.user_rows(now).len());
    let v: serde_json::Value =
        serde_json::from_str(&replay(&["--view", "realms", "--format", "json"])).unwrap();
    let realms: Vec<RealmOut> = serde_json::from_value(v["rows"].clone()).unwrap();
    assert_eq!(realms.len(), 1);
    assert_eq!(realms[0].realm.as_deref(), Some("lab.example"));
    assert_eq!(
        realms[0].allocations_live,
        model.realm_rows(now)[0].agg.live
    );

    // Without --view/--filter/--sort, JSON is the full snapshot, as before.
    let snap: turntop::output::Snapshot = serde_json::from_str(&replay(&[])).unwrap();
    assert_eq!(snap, turntop::output::snapshot(&model, now));
}

#[test]
fn demo_and_live_redis_print_views_too() {
    let (header, rows) = csv_rows(&turntop(&[
        "--demo", "--once", "--view", "users", "--format", "csv",
    ]));
    assert_eq!(header[0], "USER");
    assert!(!rows.is_empty());
    let table = turntop(&["--demo", "--once", "--format", "table"]);
    assert!(table.lines().count() > 2 && table.starts_with("USER"));

    let server = RedisServer::start();
    let mut con = server.connection(&server.url());
    for i in 1..=3 {
        redis::cmd("SET")
            .arg(format!(
                "turn/realm/r.example/user/u{i}/allocation/00100000000000000{i}/status"
            ))
            .arg("new lifetime=600, type=UDP")
            .query::<()>(&mut con)
            .expect("SET");
    }
    let url = server.url();
    let (header, rows) = csv_rows(&turntop(&[
        "--once", "--redis", &url, "--format", "csv", "--sort", "+user",
    ]));
    let user = header.iter().position(|h| h == "USER").unwrap();
    let users: Vec<&str> = rows.iter().map(|r| r[user].as_str()).collect();
    assert_eq!(users, ["u1", "u2", "u3"]);
    let (_, realms) = csv_rows(&turntop(&[
        "--once", "--redis", &url, "--format", "csv", "--view", "realms",
    ]));
    assert_eq!(realms.len(), 1);
    assert_eq!(realms[0][0], "r.example");
}
