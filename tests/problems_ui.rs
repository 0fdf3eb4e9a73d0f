//! The Problems view and the header's problems badge (issue 13), rendered into ratatui's
//! TestBackend on a fixed clock and snapshotted with insta at 60x20, 80x24, 120x40 and 200x50,
//! with colours and with NO_COLOR; and Enter on a problem going to its subject.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use turntop::app::{App, Screen};
use turntop::coturn::{self, AllocationId, Counters, EventKind, Leg};
use turntop::model::{ConnectionState, Model, ModelConfig, ProblemKind, Thresholds};
use turntop::table::{RowKey, Scope, TableKind};
use turntop::ui::{self, HeaderInfo, SourceInfo, Theme, ThemeName};

const T0: f64 = 1_800_000_000.0;
const NOW: f64 = T0 + 700.0;

/// One endpoint with a problem of every allocation and user kind, a restart, a collision and
/// a count mismatch with coturn's CLI, and a second endpoint whose Redis went away.
fn troubled_model() -> Model {
    let mut m = Model::new(ModelConfig {
        retention: 1e9,
        problems: Thresholds {
            user_allocations: 3,
            allocation_rate: 1e6,
            ..Thresholds::default()
        },
        ..ModelConfig::default()
    });
    let ep = m.add_endpoint("turn-1");
    m.set_connection(ep, T0, ConnectionState::Connected);
    let publish = |m: &mut Model, at: f64, user: &str, id: u64, kind, payload: &str| {
        let ch = coturn::channel_name(Some("example.org"), user, AllocationId(id), kind);
        m.apply_raw(ep, T0 + at, &ch, payload.as_bytes());
    };
    let status = |local: &str, verb: &str| {
        format!("{verb} lifetime=600, type=UDP, local={local}, remote=192.0.2.1:5000")
    };
    let open = |m: &mut Model, at: f64, user: &str, id: u64, local: &str| {
        publish(m, at, user, id, EventKind::Status, &status(local, "new"));
        publish(
            m,
            at,
            user,
            id,
            EventKind::Status,
            &status(local, "refreshed"),
        );
    };
    let a = "10.0.0.1:3478";
    let counters = |bytes: u64| {
        coturn::counters_payload(&Counters {
            rcvp: 4000,
            rcvb: bytes,
            sentp: 96,
            sentb: bytes,
        })
    };
    // stuck: opened at 0, never refreshed, not deleted.
    open(&mut m, 0.0, "dead-client", 1, a);
    // busy_user: 4 live allocations.
    for id in 10..14 {
        open(&mut m, 650.0, "leaked-cred", id, a);
    }
    // hog: 2 MB/s.
    open(&mut m, 680.0, "streamer", 20, a);
    publish(
        &mut m,
        698.0,
        "streamer",
        20,
        EventKind::Traffic(Leg::Client),
        &counters(1000),
    );
    publish(
        &mut m,
        699.0,
        "streamer",
        20,
        EventKind::Traffic(Leg::Client),
        &counters(1_000_000),
    );
    // mismatch: coturn's total is larger than the reports seen.
    open(&mut m, 600.0, "lossy", 30, a);
    publish(
        &mut m,
        610.0,
        "lossy",
        30,
        EventKind::Traffic(Leg::Client),
        &counters(500),
    );
    publish(&mut m, 620.0, "lossy", 30, EventKind::Status, "deleted");
    publish(
        &mut m,
        620.0,
        "lossy",
        30,
        EventKind::TotalTraffic(Leg::Client),
        &counters(9000),
    );
    // restart: id 40 given to a new allocation on the same listener.
    open(&mut m, 500.0, "carol", 40, a);
    open(&mut m, 690.0, "carol", 40, a);
    // collision: another coturn on the same Redis uses id 50 at the same time.
    open(&mut m, 660.0, "dave", 50, a);
    open(&mut m, 661.0, "dave", 50, "10.0.0.2:3478");
    // count_mismatch: coturn's CLI counts a session turntop never heard of, persistently.
    m.set_coturn_count(ep, Some((12, 11)));
    // endpoint: the second Redis has been unreachable for a minute.
    let b = m.add_endpoint("turn-2");
    m.set_connection(
        b,
        NOW - 60.0,
        ConnectionState::Reconnecting {
            since: NOW - 60.0,
            retry_at: NOW + 4.0,
            reason: "connection refused".into(),
        },
    );
    m.tick(NOW);
    m.check_invariants(NOW).expect("invariants");
    m
}

fn info() -> HeaderInfo {
    HeaderInfo {
        source: SourceInfo::Live,
        events_per_sec: 3.0,
        endpoint_events_per_sec: vec![3.0, 0.0],
    }
}

fn render(app: &mut App, m: &Model, w: u16, h: u16, theme: ThemeName) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::new(theme);
    for _ in 0..2 {
        t.draw(|f| {
            ui::draw(f, app, m, NOW, &info(), &theme);
        })
        .unwrap();
    }
    t
}

const SIZES: [(u16, u16); 4] = [(60, 20), (80, 24), (120, 40), (200, 50)];

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

#[test]
fn the_model_finds_every_kind() {
    let m = troubled_model();
    let mut kinds: Vec<ProblemKind> = m.problems().list().iter().map(|p| p.kind).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        ProblemKind::ALL
            .iter()
            .copied()
            .filter(|k| *k != ProblemKind::Silent)
            .collect::<Vec<_>>()
    );
}

#[test]
fn problems_view_at_every_size_with_and_without_colour() {
    let m = troubled_model();
    for (w, h) in SIZES {
        let mut app = App::new(TableKind::Problems);
        let t = render(&mut app, &m, w, h, ThemeName::Dark);
        insta::assert_snapshot!(format!("problems_{w}x{h}"), t.backend());
        let mut app = App::new(TableKind::Problems);
        let t = render(&mut app, &m, w, h, ThemeName::None);
        for cell in t.backend().buffer().content() {
            assert!(
                matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
                "colour in NO_COLOR: {cell:?}"
            );
        }
        let text = t.backend().to_string();
        assert!(
            text.contains("✖ 2 crit ▲ 6 warn"),
            "the badge by glyphs: {text}"
        );
        insta::assert_snapshot!(format!("problems_no_color_{w}x{h}"), t.backend());
    }
}

#[test]
fn the_badge_shows_on_every_view_even_at_60_columns() {
    let m = troubled_model();
    for kind in TableKind::ALL {
        let mut app = App::new(kind);
        let t = render(&mut app, &m, 60, 20, ThemeName::None);
        let first = t.backend().to_string();
        let first = first.lines().next().unwrap_or("").to_owned();
        assert!(first.contains("✖ 2 crit ▲ 6 warn"), "{kind:?}: {first}");
    }
    let mut app = App::new(TableKind::Allocations);
    let t = render(&mut app, &m, 60, 20, ThemeName::Dark);
    insta::assert_snapshot!("badge_allocations_60x20", t.backend());
    // Nothing wrong: it says so.
    let quiet = Model::default();
    let mut app = App::new(TableKind::Allocations);
    let t = render(&mut app, &quiet, 60, 20, ThemeName::None);
    assert!(t.backend().to_string().contains("✓ no problems"));
}

/// The row of the selected problem's kind: move down until it is selected.
fn select(app: &mut App, m: &Model, kind: ProblemKind) {
    app.on_key(key(KeyCode::Char('g')));
    for _ in 0..20 {
        render(app, m, 120, 40, ThemeName::None);
        if let Some(RowKey::Problem(k, _)) = app.level().selected_key
            && k == kind
        {
            return;
        }
        app.on_key(key(KeyCode::Char('j')));
    }
    panic!("no {kind:?} row");
}

#[test]
fn enter_goes_to_the_subject() {
    let m = troubled_model();
    let mut app = App::new(TableKind::Allocations);
    app.on_key(key(KeyCode::Char('4')));
    assert_eq!(app.top_kind(), TableKind::Problems);

    select(&mut app, &m, ProblemKind::Stuck);
    app.on_key(key(KeyCode::Enter));
    assert!(
        matches!(
            app.screen(),
            Screen::Detail {
                key: RowKey::Allocation { id: 1, .. }
            }
        ),
        "{:?}",
        app.screen()
    );
    let t = render(&mut app, &m, 120, 40, ThemeName::None);
    assert!(t.backend().to_string().contains("dead-client"));
    app.on_key(key(KeyCode::Esc));

    select(&mut app, &m, ProblemKind::BusyUser);
    app.on_key(key(KeyCode::Enter));
    assert!(matches!(
        app.screen(),
        Screen::Table {
            kind: TableKind::Allocations,
            scope: Scope::User(_)
        }
    ));
    let t = render(&mut app, &m, 120, 40, ThemeName::None);
    let screen = t.backend().to_string();
    let rows = screen
        .lines()
        .filter(|l| l.contains("leaked-cred") && l.contains("● live"))
        .count();
    assert_eq!(rows, 4, "its allocations: {screen}");
    app.on_key(key(KeyCode::Esc));

    select(&mut app, &m, ProblemKind::Restart);
    app.on_key(key(KeyCode::Enter));
    assert!(matches!(
        app.screen(),
        Screen::Table {
            kind: TableKind::Servers,
            ..
        }
    ));
    render(&mut app, &m, 120, 40, ThemeName::None);
    assert!(
        matches!(app.level().selected_key, Some(RowKey::Server(0, _))),
        "the endpoint's server row is selected: {:?}",
        app.level().selected_key
    );
}

#[test]
fn the_bell_rings_once_per_new_critical_problem_and_only_when_asked() {
    let mut m = troubled_model();
    let mut app = App::new(TableKind::Allocations);
    assert!(
        !app.bell_due(&mut m),
        "off by default (and the appearance is taken)"
    );
    let mut m = troubled_model();
    app.bell = true;
    assert!(app.bell_due(&mut m), "a new critical problem");
    m.tick(NOW + 1.0);
    assert!(!app.bell_due(&mut m), "not again while it lasts");
    // A new one: the second Redis refuses our credentials as well.
    let c = m.add_endpoint("turn-3");
    m.set_connection(
        c,
        NOW,
        ConnectionState::AuthFailed {
            since: NOW,
            retry_at: NOW + 5.0,
            reason: "WRONGPASS".into(),
        },
    );
    m.tick(NOW + 10.0);
    assert!(app.bell_due(&mut m));
}

#[test]
fn json_of_an_allocation_problem_names_user_realm_id_and_endpoint() {
    let m = troubled_model();
    let stuck = m
        .problems()
        .list()
        .iter()
        .find(|p| p.kind == ProblemKind::Stuck)
        .expect("a stuck allocation");
    let out = turntop::problem_out::problem_out(stuck, NOW);
    let v = serde_json::to_value(&out).unwrap();
    assert_eq!(v["kind"], "stuck");
    assert_eq!(v["severity"], "warning");
    assert_eq!(v["user"], "dead-client");
    assert_eq!(v["realm"], "example.org");
    assert_eq!(v["id"], "000000000000000001");
    assert_eq!(v["endpoint"], "turn-1");
    assert_eq!(v["since"], T0 + 600.0);
    let endpoint = m
        .problems()
        .list()
        .iter()
        .find(|p| p.kind == ProblemKind::Endpoint)
        .expect("an endpoint problem");
    let v = serde_json::to_value(turntop::problem_out::problem_out(endpoint, NOW)).unwrap();
    assert_eq!(v["endpoint"], "turn-2");
    assert!(v["user"].is_null() && v["id"].is_null());
}
