//! The UI rendered into ratatui's TestBackend from a replayed real capture at a fixed clock,
//! snapshotted with insta; and key handling on the app state, without rendering.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use turntop::app::{Action, App, Mode, Screen};
use turntop::coturn::{self, AllocationId, EventKind};
use turntop::model::{Model, ModelConfig};
use turntop::table::{Col, RowKey, Scope, TableKind};
use turntop::ui::{self, HeaderInfo, SourceInfo, Theme, ThemeName};

use common::capture_model::main_capture_at_25s;

fn info() -> HeaderInfo {
    HeaderInfo {
        source: SourceInfo::Live,
        events_per_sec: 12.5,
        endpoint_events_per_sec: vec![12.5],
    }
}

fn render(
    app: &mut App,
    model: &Model,
    now: f64,
    w: u16,
    h: u16,
    theme: ThemeName,
) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::new(theme);
    // Twice, as the loop does: the first frame settles the selection on real rows.
    for _ in 0..2 {
        t.draw(|f| {
            ui::draw(f, app, model, now, &info(), &theme);
        })
        .unwrap();
    }
    t
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(k: KeyCode) -> KeyEvent {
    KeyEvent::new(k, KeyModifiers::NONE)
}

const SIZES: [(u16, u16); 4] = [(60, 20), (80, 24), (120, 40), (200, 50)];

#[test]
fn every_view_at_every_size() {
    let (m, now) = main_capture_at_25s();
    for (w, h) in SIZES {
        for (view, name) in [
            (TableKind::Allocations, "allocations"),
            (TableKind::Users, "users"),
            (TableKind::Realms, "realms"),
        ] {
            let mut app = App::new(view);
            let t = render(&mut app, &m, now, w, h, ThemeName::Dark);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
        }
        // Drill: realms -> users of the realm -> bob's allocations -> the busiest allocation.
        let mut app = App::new(TableKind::Realms);
        render(&mut app, &m, now, w, h, ThemeName::Dark);
        app.on_key(code(KeyCode::Enter));
        render(&mut app, &m, now, w, h, ThemeName::Dark);
        app.on_key(key('j'));
        app.on_key(key('k'));
        app.on_key(code(KeyCode::Enter));
        render(&mut app, &m, now, w, h, ThemeName::Dark);
        app.on_key(code(KeyCode::Enter));
        let t = render(&mut app, &m, now, w, h, ThemeName::Dark);
        assert!(matches!(app.screen(), Screen::Detail { .. }));
        insta::assert_snapshot!(format!("detail_{w}x{h}"), t.backend());
    }
}

#[test]
fn no_color_keeps_state_visible_without_any_colour() {
    let (m, now) = main_capture_at_25s();
    let mut app = App::new(TableKind::Allocations);
    let t = render(&mut app, &m, now, 120, 30, ThemeName::None);
    for cell in t.backend().buffer().content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "colour in NO_COLOR: {cell:?}"
        );
    }
    let text = t.backend().to_string();
    assert!(
        text.contains("● live") && text.contains("○ deleted"),
        "state glyphs carry the state"
    );
    insta::assert_snapshot!("allocations_no_color_120x30", t.backend());
}

#[test]
fn too_small_says_so() {
    let (m, now) = main_capture_at_25s();
    let mut app = App::new(TableKind::Allocations);
    let t = render(&mut app, &m, now, 30, 8, ThemeName::Dark);
    insta::assert_snapshot!("too_small_30x8", t.backend());
}

#[test]
fn help_overlay_and_sort_menu() {
    let (m, now) = main_capture_at_25s();
    let mut app = App::new(TableKind::Allocations);
    app.on_key(key('?'));
    let t = render(&mut app, &m, now, 100, 34, ThemeName::Dark);
    insta::assert_snapshot!("help_100x34", t.backend());
    app.on_key(key('x'));
    assert_eq!(app.mode, Mode::Normal);
    app.on_key(key('o'));
    let t = render(&mut app, &m, now, 100, 30, ThemeName::Dark);
    insta::assert_snapshot!("sort_menu_100x30", t.backend());
}

fn selected_rows(app: &mut App, m: &Model, now: f64) -> Vec<String> {
    // The rows as drawn, top to bottom, user + id columns.
    let t = render(app, m, now, 200, 50, ThemeName::None);
    let text = t.backend().to_string();
    let lines: Vec<&str> = text.lines().collect();
    // Below the header, tabs, title and column header; above the hint bar.
    lines[5..lines.len() - 1]
        .iter()
        .map(|l| l.trim_matches('"').trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn keys_sort_filter_drill_back_freeze() {
    let (m, now) = main_capture_at_25s();
    let mut app = App::new(TableKind::Allocations);
    render(&mut app, &m, now, 200, 50, ThemeName::None);
    // Default sort: total rate, biggest first.
    assert_eq!(app.sort(TableKind::Allocations).col, Col::Rate);
    assert!(app.sort(TableKind::Allocations).descending);
    // s cycles to the next column (user is first), r reverses, S goes back.
    app.on_key(key('s'));
    assert_eq!(app.sort(TableKind::Allocations).col, Col::ClientRx);
    app.on_key(key('S'));
    app.on_key(key('S'));
    assert_eq!(app.sort(TableKind::Allocations).col, Col::State);
    app.on_key(key('r'));
    assert!(app.sort(TableKind::Allocations).descending);
    // Sort menu: pick USER, ascending.
    app.on_key(key('o'));
    app.on_key(code(KeyCode::Home));
    for _ in 0..30 {
        app.on_key(key('k'));
    }
    app.on_key(code(KeyCode::Enter));
    assert_eq!(app.sort(TableKind::Allocations).col, Col::User);
    assert!(!app.sort(TableKind::Allocations).descending);
    let rows = selected_rows(&mut app, &m, now);
    let first_bob = rows.iter().position(|r| r.starts_with("bob")).unwrap();
    assert!(
        rows[..first_bob].iter().all(|r| r.starts_with("alice")),
        "sorted by user: {rows:?}"
    );

    // The selection follows the row when the order changes.
    app.on_key(key('G'));
    render(&mut app, &m, now, 200, 50, ThemeName::None);
    let selected = app.level().selected_key;
    app.on_key(key('r'));
    render(&mut app, &m, now, 200, 50, ThemeName::None);
    assert_eq!(app.level().selected_key, selected);
    assert_eq!(app.level().selected, 0, "the last row is now the first");

    // Filter: typed, applied as typed, kept after Esc, shown in the title.
    app.on_key(key('/'));
    for c in "user=bob type=tcp".chars() {
        app.on_key(key(c));
    }
    app.on_key(code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
    let rows = selected_rows(&mut app, &m, now);
    assert!(
        !rows.is_empty()
            && rows
                .iter()
                .all(|r| r.starts_with("bob") && r.contains("TCP")),
        "{rows:?}"
    );
    let t = render(&mut app, &m, now, 200, 50, ThemeName::None);
    assert!(
        t.backend()
            .to_string()
            .contains("filter: user=bob type=tcp")
    );
    // Inverted term and numeric comparison.
    app.set_filter("!state=deleted rate>10KB");
    let rows = selected_rows(&mut app, &m, now);
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.contains("● live")),
        "{rows:?}"
    );
    app.on_key(key('\\'));
    assert!(app.filter.is_empty());
    // A bad term is reported and the last good filter stays; Enter does not take it (the
    // text stays on screen as typed, with why), Esc gives it up.
    app.on_key(key('/'));
    for c in "colour=red".chars() {
        app.on_key(key(c));
    }
    assert!(
        app.filter_error
            .as_deref()
            .is_some_and(|e| e.contains("unknown field 'colour'"))
    );
    app.on_key(code(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Filter { .. }));
    let t = render(&mut app, &m, now, 200, 50, ThemeName::None)
        .backend()
        .to_string();
    assert!(
        t.contains("filter: colour=red▏ unknown field 'colour'"),
        "{t}"
    );
    app.on_key(code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.filter_error, None);

    // Drill-down and back: users -> a user's allocations -> detail -> back -> back.
    app.set_filter("");
    app.on_key(key('2'));
    render(&mut app, &m, now, 200, 50, ThemeName::None);
    app.on_key(code(KeyCode::Enter));
    let Screen::Table {
        kind: TableKind::Allocations,
        scope: Scope::User(_),
    } = app.screen()
    else {
        panic!("{:?}", app.screen())
    };
    render(&mut app, &m, now, 200, 50, ThemeName::None);
    app.on_key(code(KeyCode::Enter));
    let Screen::Detail {
        key: RowKey::Allocation { .. },
    } = app.screen()
    else {
        panic!("{:?}", app.screen())
    };
    app.on_key(code(KeyCode::Esc));
    app.on_key(code(KeyCode::Backspace));
    assert_eq!(app.stack.len(), 1);
    app.on_key(code(KeyCode::Esc));
    assert_eq!(app.stack.len(), 1, "Esc at the top does nothing");
    // Tab cycles the top-level views.
    app.on_key(code(KeyCode::Tab));
    assert_eq!(app.top_kind(), TableKind::Realms);
    app.on_key(code(KeyCode::Tab));
    assert_eq!(app.top_kind(), TableKind::Problems);
    app.on_key(code(KeyCode::Tab));
    assert_eq!(app.top_kind(), TableKind::Servers);
    app.on_key(code(KeyCode::Tab));
    assert_eq!(app.top_kind(), TableKind::Allocations);

    // Freeze asks the loop to snapshot; zoom steps through the windows; q quits.
    assert_eq!(app.on_key(key('f')), Action::Freeze(true));
    assert_eq!(app.on_key(key(' ')), Action::Freeze(false));
    let w = app.history_window();
    app.on_key(key('-'));
    assert!(app.history_window() > w);
    app.on_key(key('+'));
    app.on_key(key('+'));
    assert!(app.history_window() < w);
    assert_eq!(
        app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Action::Quit
    );
    assert_eq!(app.on_key(key('q')), Action::Quit);
}

#[test]
fn remapped_keys() {
    let mut app = App::new(TableKind::Allocations);
    app.keys
        .rebind(turntop::app::Command::Quit, &["x".into()])
        .unwrap();
    assert_eq!(app.on_key(key('q')), Action::None);
    assert_eq!(app.on_key(key('x')), Action::Quit);
    assert!(
        app.keys
            .rebind(turntop::app::Command::Quit, &["ctrl-banana".into()])
            .is_err()
    );
}

#[test]
fn hostile_usernames_are_drawn_inert() {
    let mut m = Model::default();
    let ep = m.add_endpoint("x");
    let user = "ev\x1b[2J\x1b]0;owned\x07il\u{202E}resu";
    let ch = coturn::channel_name(Some("r\x1b[31m"), user, AllocationId(1), EventKind::Status);
    m.apply_raw(
        ep,
        100.0,
        &ch,
        b"new lifetime=600, type=UDP, remote=1.2.3.4:5\x1b[1m",
    );
    for view in [TableKind::Allocations, TableKind::Users, TableKind::Realms] {
        let mut app = App::new(view);
        let t = render(&mut app, &m, 101.0, 200, 20, ThemeName::Dark);
        let text = t.backend().to_string();
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' || ('\u{202A}'..='\u{202E}').contains(&c)),
            "{text}"
        );
        if view == TableKind::Users {
            // Escaped (and middle-truncated to the column): both ends visible.
            assert!(
                text.contains("ev\\x1b[2J") && text.contains("il\\u{202e}resu"),
                "{text}"
            );
            assert!(text.contains("r\\x1b[31m"), "{text}");
        }
    }
}

#[test]
fn narrow_terminals_drop_columns_by_priority_and_truncate_names() {
    let mut m = Model::default();
    let ep = m.add_endpoint("x");
    let ch = coturn::channel_name(
        Some("realm.example"),
        "1795641736:a-rather-long-rest-username",
        AllocationId(7),
        EventKind::Status,
    );
    m.apply_raw(
        ep,
        100.0,
        &ch,
        b"new lifetime=600, type=UDP, remote=1.2.3.4:5",
    );
    let mut app = App::new(TableKind::Allocations);
    let t = render(&mut app, &m, 101.0, 60, 12, ThemeName::None);
    let text = t.backend().to_string();
    assert!(
        text.contains("USER") && text.contains("STATE") && text.contains("LEFT"),
        "{text}"
    );
    assert!(!text.contains("REMOTE"), "REMOTE goes first: {text}");
    assert!(
        text.contains('…') && text.contains("17956") && text.contains("name"),
        "middle-truncated: {text}"
    );
}

#[test]
fn header_shows_each_endpoint_when_there_are_several() {
    let mut m = Model::default();
    let a = m.add_endpoint("turn-eu:6379");
    let b = m.add_endpoint("turn-us:6379");
    m.set_connection(a, 100.0, turntop::model::ConnectionState::Connected);
    m.set_connection(
        b,
        100.0,
        turntop::model::ConnectionState::Reconnecting {
            since: 99.0,
            retry_at: 103.0,
            reason: "connection reset".into(),
        },
    );
    let ch = coturn::channel_name(Some("r"), "u", AllocationId(1), EventKind::Status);
    m.apply_raw(a, 100.0, &ch, b"new lifetime=600, type=UDP");
    m.apply_raw(b, 100.5, &ch, b"new lifetime=600, type=TCP");
    m.apply_raw(b, 100.6, "turn/realm/r/user/u/allocation/12/status", b"new");
    m.mark_gap(a, 100.7);
    // Wide enough for the problems badge, both endpoints and their reasons, whole.
    let mut t = Terminal::new(TestBackend::new(230, 20)).unwrap();
    let mut app = App::new(TableKind::Allocations);
    let info = HeaderInfo {
        source: SourceInfo::Live,
        events_per_sec: 3.0,
        endpoint_events_per_sec: vec![1.0, 2.0],
    };
    t.draw(|f| {
        ui::draw(f, &mut app, &m, 101.0, &info, &Theme::new(ThemeName::None));
    })
    .unwrap();
    let header = t
        .backend()
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    for want in [
        "turn-eu:6379 ● connected 1.0 ev/s last 1s gaps 1",
        "turn-us:6379 ◌ reconnecting in 2s (connection reset) 2.0 ev/s",
        "malformed 1",
    ] {
        assert!(header.contains(want), "{want:?} not in {header}");
    }
    // Two endpoints: the SERVER column tells their allocations apart (same id in both).
    let text = t.backend().to_string();
    assert!(
        text.contains("SERVER") && text.contains("turn-eu:6379") && text.contains("turn-us:6379"),
        "{text}"
    );
}

/// Why a filter shows nothing is said, not left to guess: an invalid filter's reason (in the
/// title and in place of "nothing matches"), and a term the view has no column for.
#[test]
fn filter_notes_say_why_rows_are_missing() {
    let (m, now) = main_capture_at_25s();
    let mut app = App::new(TableKind::Allocations);
    let screen = |app: &mut App| {
        render(app, &m, now, 160, 30, ThemeName::None)
            .backend()
            .to_string()
    };

    // `live` is a column of users and realms: on allocations it never matches.
    app.set_filter("live>3");
    let t = screen(&mut app);
    assert!(
        t.contains("filter: live>3  allocations have no LIVE: live never matches"),
        "{t}"
    );
    assert!(
        t.contains("allocations have no LIVE: live never matches (\\ clears the filter)"),
        "{t}"
    );
    app.on_key(key('2'));
    let t = screen(&mut app);
    assert!(
        !t.contains("never matches") && t.contains("filter: live>3"),
        "{t}"
    );
    app.on_key(key('1'));
    app.set_filter("!live>3");
    assert!(screen(&mut app).contains("!live excludes nothing"));

    // Typing `rate>` passes through `rate` (a substring that matches nothing): the table is
    // empty and says why the text typed is not a filter yet.
    app.set_filter("");
    app.on_key(key('/'));
    for c in "rate>".chars() {
        app.on_key(key(c));
    }
    let t = screen(&mut app);
    assert!(t.contains("filter: rate>▏ rate> needs a value"), "{t}");
    assert!(
        t.contains("rate> needs a value (\\ clears the filter)"),
        "{t}"
    );
    assert!(!t.contains("nothing matches"), "{t}");
    for c in "8Mbps".chars() {
        app.on_key(key(c));
    }
    app.on_key(code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.filter.source(), "rate>8Mbps");

    // `!!alice` is an error, not every row; `foo=bar` stays as typed, with why.
    for (typed, why) in [
        ("!!alice", "one ! inverts a term"),
        ("foo=bar", "unknown field 'foo'"),
    ] {
        app.set_filter("");
        app.on_key(key('/'));
        for c in typed.chars() {
            app.on_key(key(c));
        }
        app.on_key(code(KeyCode::Enter));
        let t = screen(&mut app);
        assert!(
            t.contains(&format!("filter: {typed}▏ ")) && t.contains(why),
            "{t}"
        );
        app.on_key(code(KeyCode::Esc));
    }
}

#[test]
fn remapped_keys_reach_the_sort_menu() {
    let (m, now) = main_capture_at_25s();
    let mut app = App::new(TableKind::Allocations);
    app.keys
        .rebind(turntop::app::Command::Up, &["w".into()])
        .unwrap();
    app.keys
        .rebind(turntop::app::Command::Enter, &["e".into()])
        .unwrap();
    app.on_key(key('o'));
    let t = render(&mut app, &m, now, 100, 30, ThemeName::None);
    let text = t.backend().to_string();
    assert!(
        text.contains(" w↓ choose the sort column   e sort   Esc cancel"),
        "{text}"
    );
    // k is no longer Up: the menu ignores it; w moves to the top, e chooses USER.
    for _ in 0..30 {
        app.on_key(key('k'));
        app.on_key(key('w'));
    }
    app.on_key(code(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::SortMenu(_)), "Enter is not bound");
    app.on_key(key('e'));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.sort(TableKind::Allocations).col, Col::User);
}

#[test]
fn the_detail_log_scrolls_no_further_than_its_last_line() {
    let (m, now) = main_capture_at_25s();
    let mut app = App::new(TableKind::Allocations);
    render(&mut app, &m, now, 80, 24, ThemeName::None);
    app.on_key(code(KeyCode::Enter));
    let first = render(&mut app, &m, now, 80, 24, ThemeName::None)
        .backend()
        .to_string();
    assert!(first.contains("event log"), "{first}");
    for _ in 0..500 {
        app.on_key(key('j'));
    }
    let bottom = render(&mut app, &m, now, 80, 24, ThemeName::None)
        .backend()
        .to_string();
    let at_bottom = app.detail_scroll.offset();
    assert!(at_bottom > 0 && at_bottom < 500, "{at_bottom}");
    // The log's last page is full: the first entry (the allocation's `new`) is on screen.
    assert!(bottom.contains("status   new"), "{bottom}");
    // One key up scrolls up at once (no hidden overshoot to come back from).
    app.on_key(key('k'));
    render(&mut app, &m, now, 80, 24, ThemeName::None);
    assert_eq!(app.detail_scroll.offset(), at_bottom - 1);
}

/// A fleet on one Redis at a fixed clock (t0 = 1 800 000 000): a restart with id reuse on
/// 10.0.0.1:3478, a second server on 10.0.0.2:3478 that uses one of the same ids at the same
/// time, and an allocation whose key went missing and that fell silent.
fn fleet_model() -> (Model, f64) {
    const T0: f64 = 1_800_000_000.0;
    let mut m = Model::new(ModelConfig {
        retention: 600.0,
        history_window: 1800.0,
        key_grace: 30.0,
        ..ModelConfig::default()
    });
    let ep = m.add_endpoint("127.0.0.1:16379");
    m.set_connection(ep, T0, turntop::model::ConnectionState::Connected);
    let publish = |m: &mut Model, at: f64, user: &str, id: u64, kind, payload: &str| {
        let ch = coturn::channel_name(Some("fleet.example"), user, AllocationId(id), kind);
        m.apply_raw(ep, T0 + at, &ch, payload.as_bytes());
    };
    let new = |local: &str, remote: &str| {
        format!("new lifetime=600, type=UDP, local={local}, remote={remote}, ssl=NONE, cipher=NONE")
    };
    let traffic = "rcvp=1000, rcvb=120000, sentp=1000, sentb=120000";
    let client = EventKind::Traffic(coturn::Leg::Client);
    let peer = EventKind::Traffic(coturn::Leg::Peer);
    for (user, id) in [("alice", 1), ("bob", 2), ("carol", 3)] {
        publish(
            &mut m,
            0.0,
            user,
            id,
            EventKind::Status,
            &new("10.0.0.1:3478", "192.0.2.1:5000"),
        );
    }
    for t in [10.0, 20.0] {
        for (user, id) in [("alice", 1), ("bob", 2), ("carol", 3)] {
            publish(&mut m, t, user, id, client, traffic);
            publish(&mut m, t, user, id, peer, traffic);
        }
    }
    // The first server restarts at 25 s: alice comes back with her id, bob and carol do not.
    publish(
        &mut m,
        30.0,
        "alice",
        1,
        EventKind::Status,
        &new("10.0.0.1:3478", "192.0.2.1:5002"),
    );
    // The second server gives id 2 to another bob at the same time as the first one's.
    publish(
        &mut m,
        31.0,
        "bob",
        2,
        EventKind::Status,
        &new("10.0.0.2:3478", "198.51.100.7:6000"),
    );
    for t in [40.0, 50.0] {
        publish(&mut m, t, "alice", 1, client, traffic);
        publish(&mut m, t, "bob", 2, client, traffic);
        publish(&mut m, t, "alice", 1, peer, traffic);
        publish(&mut m, t, "bob", 2, peer, traffic);
    }
    // The reconciliation the restart asked for: only the new process's keys (and the second
    // server's) are there.
    m.begin_seed(ep, T0 + 32.0);
    for (user, id, local) in [("alice", 1, "10.0.0.1:3478"), ("bob", 2, "10.0.0.2:3478")] {
        let key = coturn::channel_name(
            Some("fleet.example"),
            user,
            AllocationId(id),
            EventKind::Status,
        );
        let value = format!("refreshed lifetime=600, type=UDP, local={local}");
        m.seed_status(ep, T0 + 32.0, &key, value.as_bytes());
    }
    m.end_seed(ep, T0 + 32.0);
    m.tick(T0 + 60.0);
    m.check_invariants(T0 + 60.0).expect("invariants");
    (m, T0 + 60.0)
}

#[test]
fn fleet_servers_collisions_restarts_and_missing_keys() {
    let (m, now) = fleet_model();
    for (w, h) in [(80, 24), (120, 30)] {
        let mut app = App::new(TableKind::Servers);
        let t = render(&mut app, &m, now, w, h, ThemeName::Dark);
        insta::assert_snapshot!(format!("servers_{w}x{h}"), t.backend());
        // `5` is the Servers tab's key; Enter shows the first server's allocations.
        let mut app = App::new(TableKind::Allocations);
        app.on_key(key('5'));
        assert_eq!(app.top_kind(), TableKind::Servers);
        render(&mut app, &m, now, w, h, ThemeName::Dark);
        app.on_key(code(KeyCode::Enter));
        let t = render(&mut app, &m, now, w, h, ThemeName::Dark);
        assert!(matches!(
            app.screen(),
            Screen::Table {
                kind: TableKind::Allocations,
                scope: Scope::Server(..)
            }
        ));
        insta::assert_snapshot!(format!("server_allocations_{w}x{h}"), t.backend());
    }
    // The collided row's detail says so, and shows no exactness it cannot have.
    let mut app = App::new(TableKind::Allocations);
    app.on_key(key('/'));
    for c in "remote=198.51".chars() {
        app.on_key(key(c));
    }
    app.on_key(code(KeyCode::Enter));
    render(&mut app, &m, now, 120, 30, ThemeName::Dark);
    app.on_key(code(KeyCode::Enter));
    let t = render(&mut app, &m, now, 120, 30, ThemeName::Dark);
    insta::assert_snapshot!("collided_detail_120x30", t.backend());
}
