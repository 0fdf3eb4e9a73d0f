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
        // What the TUI shows without coturn's CLI (PEERS only with one).
        let columns = turntop::app::App::new(kind).table_columns(kind);
        let (header, got) = csv_rows(&replay(&["--view", name, "--format", "csv"]));
        assert_eq!(
            header,
            columns.iter().map(|c| c.title).collect::<Vec<_>>(),
            "{name}"
        );
        assert_eq!(got.len(), rows.len(), "{name}");
        for (cells, row) in got.iter().zip(&rows) {
            for (cell, spec) in cells.iter().zip(&columns) {
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

/// `turntop` with arguments, its exit code and stderr (for the commands expected to fail).
fn turntop_fails(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_turntop"))
        .args(args)
        .env("TURNTOP_CONFIG", &config)
        .output()
        .expect("turntop");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn replay_of(file: &str, extra: &[&str]) -> String {
    let path = fixture(file);
    let mut args = vec![
        "replay",
        path.to_str().unwrap(),
        "--once",
        "--retention",
        "100000",
    ];
    args.extend_from_slice(extra);
    turntop(&args)
}

fn seconds(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| cell.parse().expect("seconds"))
}

fn integer(cell: &str) -> Option<u64> {
    (!cell.is_empty()).then(|| cell.parse().expect("an integer"))
}

fn close(got: Option<f64>, want: Option<f64>, tolerance: f64, what: &str) {
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= tolerance, "{what}: {g} vs {w}"),
        (g, w) => assert_eq!(g, w, "{what}"),
    }
}

fn named(name: Option<&str>) -> String {
    match name {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => "(none)".into(),
    }
}

fn sum(values: &[Option<f64>]) -> Option<f64> {
    values
        .iter()
        .any(Option::is_some)
        .then(|| values.iter().flatten().sum())
}

fn rates_of(r: &turntop::output::RatesOut) -> [Option<f64>; 4] {
    [r.client_rx, r.client_tx, r.peer_rx, r.peer_tx]
}

/// Rate columns of a raw row against the JSON rates (rounded to 0.01 there, to 1 here).
fn check_rates(cell: &dyn Fn(&str) -> String, r: &turntop::output::RatesOut, what: &str) {
    let [crx, ctx, prx, ptx] = rates_of(r);
    let rate = |title| integer(&cell(title)).map(|v| v as f64);
    close(rate("CLI RX"), crx, 0.51, what);
    close(rate("CLI TX"), ctx, 0.51, what);
    close(rate("PEER RX"), prx, 0.51, what);
    close(rate("PEER TX"), ptx, 0.51, what);
    close(rate("CLIENT"), sum(&[crx, ctx]), 0.52, what);
    close(rate("PEER"), sum(&[prx, ptx]), 0.52, what);
    close(rate("RATE"), sum(&[crx, ctx, prx, ptx]), 0.54, what);
}

fn bytes_of(c: &turntop::coturn::Counters, p: &turntop::coturn::Counters) -> u64 {
    c.rcvb + c.sentb + p.rcvb + p.sentb
}

/// `--raw` CSV is for scripts: each cell, parsed back, is the JSON snapshot's value (ids in
/// full, integers, seconds, unknown empty), for every column of every view.
#[test]
fn raw_csv_parsed_back_is_the_json_snapshot() {
    for file in [
        CAPTURE,
        "pubsub-capture-tls-dtls.txt",
        "pubsub-capture-no-auth.txt",
        "pubsub-capture-rest-api.txt",
    ] {
        let snap: turntop::output::Snapshot =
            serde_json::from_str(&replay_of(file, &["--format", "json"])).unwrap();
        let at = snap.at;

        let (header, rows) = csv_rows(&replay_of(file, &["--format", "csv", "--raw"]));
        assert_eq!(rows.len(), snap.allocations.len(), "{file}");
        let mut checked_age = false;
        for row in &rows {
            let cell = |title: &str| row[header.iter().position(|h| h == title).unwrap()].clone();
            let a = snap
                .allocations
                .iter()
                .find(|a| a.id == cell("ID"))
                .unwrap_or_else(|| panic!("{file}: id {} in the snapshot", cell("ID")));
            let what = format!("{file} {}", a.id);
            assert_eq!(cell("ID").len(), 18, "{what}");
            assert_eq!(cell("USER"), named(Some(&a.user)), "{what}");
            assert_eq!(cell("REALM"), named(a.realm.as_deref()), "{what}");
            // One endpoint: the SERVER column names the listener (`local=`), else the endpoint.
            assert_eq!(
                cell("SERVER"),
                a.local.clone().unwrap_or_else(|| a.endpoint.clone()),
                "{what}"
            );
            assert_eq!(
                cell("TYPE"),
                a.transport.clone().unwrap_or_default(),
                "{what}"
            );
            assert_eq!(
                cell("REMOTE"),
                a.remote.clone().unwrap_or_default(),
                "{what}"
            );
            assert_eq!(
                cell("STATE"),
                serde_json::to_value(a.state).unwrap().as_str().unwrap(),
                "{what}"
            );
            close(
                seconds(&cell("AGE")),
                // An ended allocation's age is its lifetime (issue 14).
                a.first_seen.map(|t| a.ended_at.unwrap_or(at).min(at) - t),
                0.0011,
                &what,
            );
            checked_age |= a.first_seen.is_some();
            close(seconds(&cell("LEFT")), a.lifetime_left_s, 0.0061, &what);
            close(seconds(&cell("LAST")), a.last_report_age_s, 0.0011, &what);
            assert_eq!(
                integer(&cell("BYTES")),
                Some(bytes_of(&a.client, &a.peer)),
                "{what}"
            );
            check_rates(&cell, &a.rates, &what);
        }
        assert!(checked_age, "{file}");

        let (header, rows) = csv_rows(&replay_of(
            file,
            &["--format", "csv", "--raw", "--view", "users"],
        ));
        assert_eq!(rows.len(), snap.users.len(), "{file}");
        for row in &rows {
            let cell = |title: &str| row[header.iter().position(|h| h == title).unwrap()].clone();
            let u = snap
                .users
                .iter()
                .find(|u| {
                    named(Some(&u.user)) == cell("USER")
                        && named(u.realm.as_deref()) == cell("REALM")
                })
                .expect("the user in the snapshot");
            let what = format!("{file} user {}", u.user);
            assert_eq!(
                integer(&cell("LIVE")),
                Some(u64::from(u.allocations_live)),
                "{what}"
            );
            assert_eq!(
                integer(&cell("EXP")),
                Some(u64::from(u.allocations_expired)),
                "{what}"
            );
            assert_eq!(
                integer(&cell("ENDED")),
                Some(u64::from(u.allocations_ended)),
                "{what}"
            );
            assert_eq!(
                integer(&cell("BYTES")),
                Some(bytes_of(&u.client, &u.peer)),
                "{what}"
            );
            close(seconds(&cell("LAST")), u.last_report_age_s, 0.0011, &what);
            check_rates(&cell, &u.rates, &what);
        }

        let (header, rows) = csv_rows(&replay_of(
            file,
            &["--format", "csv", "--raw", "--view", "realms"],
        ));
        assert_eq!(rows.len(), snap.realms.len(), "{file}");
        for row in &rows {
            let cell = |title: &str| row[header.iter().position(|h| h == title).unwrap()].clone();
            let r = snap
                .realms
                .iter()
                .find(|r| named(r.realm.as_deref()) == cell("REALM"))
                .expect("the realm in the snapshot");
            let what = format!("{file} realm {:?}", r.realm);
            assert_eq!(integer(&cell("USERS")), Some(u64::from(r.users)), "{what}");
            assert_eq!(
                integer(&cell("LIVE")),
                Some(u64::from(r.allocations_live)),
                "{what}"
            );
            assert_eq!(
                integer(&cell("EXP")),
                Some(u64::from(r.allocations_expired)),
                "{what}"
            );
            assert_eq!(
                integer(&cell("ENDED")),
                Some(u64::from(r.allocations_ended)),
                "{what}"
            );
            assert_eq!(
                integer(&cell("BYTES")),
                Some(bytes_of(&r.client, &r.peer)),
                "{what}"
            );
            close(seconds(&cell("LAST")), r.last_report_age_s, 0.0011, &what);
            check_rates(&cell, &r.rates, &what);
        }
    }
    // The table takes --raw too; JSON is raw already.
    assert!(replay(&["--format", "table", "--raw"]).contains("001000000000000011"));
    let (code, err) = turntop_fails(&["--demo", "--once", "--format", "json", "--raw"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("JSON is raw already"), "{err}");
}

/// Every column name on screen (the table's header) works as it is shown, or in lower case
/// with `-` for the space: as `--sort`, as a filter field and in the config's `columns`.
#[test]
fn every_name_on_screen_works_in_sort_filter_and_columns() {
    for view in ["allocations", "users", "realms"] {
        let table = replay(&["--view", view, "--format", "table"]);
        let header = table.lines().next().unwrap();
        let titles: Vec<&str> = header
            .split("  ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        assert!(titles.len() >= 14, "{header}");
        let dir = tempfile::tempdir().unwrap();
        for title in &titles {
            let name = title.to_lowercase().replace(' ', "-");
            // --sort: the JSON view says which column it sorted by, by its name.
            for (arg, mark) in [(format!("-{name}"), '-'), (format!("+{title}"), '+')] {
                let v: serde_json::Value = serde_json::from_str(&replay(&[
                    "--view", view, "--sort", &arg, "--format", "json",
                ]))
                .unwrap();
                assert_eq!(v["sort"], format!("{mark}{name}"), "--sort {arg}");
            }
        }
        // A filter term on every column parses and runs (one run: all must match).
        let terms: Vec<String> = titles
            .iter()
            .map(|title| {
                let name = title.to_lowercase().replace(' ', "-");
                match name.as_str() {
                    "user" | "realm" | "id" | "server" | "remote" => format!("!{name}=zz|(zz)"),
                    "type" => "!type=sctp".into(),
                    "state" => "!state=expired".into(),
                    _ => format!("!{name}<0"),
                }
            })
            .collect();
        let filter = terms.join(" ");
        let (header_again, _) = csv_rows(&replay(&[
            "--view", view, "--filter", &filter, "--format", "csv",
        ]));
        assert_eq!(header_again.len(), titles.len(), "{filter}");
        // columns = the titles, in reverse: the CSV has exactly those columns.
        let reversed: Vec<String> = titles.iter().rev().map(|t| format!("\"{t}\"")).collect();
        let config = dir.path().join("c.toml");
        std::fs::write(
            &config,
            format!("[columns]\n{view} = [{}]\n", reversed.join(", ")),
        )
        .unwrap();
        let file = fixture(CAPTURE);
        let out = Command::new(env!("CARGO_BIN_EXE_turntop"))
            .args([
                "replay",
                file.to_str().unwrap(),
                "--once",
                "--view",
                view,
                "--format",
                "csv",
            ])
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (header, _) = csv_rows(&String::from_utf8(out.stdout).unwrap());
        assert_eq!(header, titles.iter().rev().copied().collect::<Vec<_>>());
    }
    // Errors list the names there are.
    let (code, err) = turntop_fails(&["--demo", "--once", "--sort", "colour"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains(
            "the allocations view has no column 'colour'; its columns: user realm id server"
        ),
        "{err}"
    );
    let (_, err) = turntop_fails(&["--demo", "--once", "--filter", "colour=red"]);
    assert!(err.contains("fields are user realm id server"), "{err}");
    // A term the view has no column for is an error, not an empty output.
    let (code, err) = turntop_fails(&["--demo", "--once", "--format", "csv", "--filter", "live>3"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--filter: allocations have no LIVE: live never matches"),
        "{err}"
    );
}

/// An allocation without a user (coturn `--no-auth`) and its missing realm are `(none)` in
/// every table and CSV, and the filter selects them by that name; JSON keeps the data.
#[test]
fn unnamed_users_and_realms_are_none_everywhere_and_filterable() {
    let file = "pubsub-capture-no-auth.txt";
    let (header, rows) = csv_rows(&replay_of(file, &["--format", "csv", "--view", "users"]));
    assert_eq!(header[..2], ["USER", "REALM"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][..2], ["(none)", "(none)"]);
    let all = csv_rows(&replay_of(file, &["--format", "csv"])).1;
    assert!(all.len() > 3 && all.iter().all(|r| r[0] == "(none)" && r[1] == "(none)"));
    for filter in ["user=(none)", "realm=(none)", "(none)", "user=alice|(none)"] {
        let got = csv_rows(&replay_of(file, &["--format", "csv", "--filter", filter])).1;
        assert_eq!(got.len(), all.len(), "{filter}");
    }
    assert!(
        csv_rows(&replay_of(
            file,
            &["--format", "csv", "--filter", "!user=(none)"]
        ))
        .1
        .is_empty()
    );
    assert!(replay_of(file, &["--format", "table", "--raw"]).contains("(none)"));
    let snap: turntop::output::Snapshot =
        serde_json::from_str(&replay_of(file, &["--format", "json"])).unwrap();
    assert!(
        snap.allocations
            .iter()
            .all(|a| a.user.is_empty() && a.realm.is_none())
    );
}
