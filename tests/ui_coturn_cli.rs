//! What coturn's CLI adds on screen (issue 17), rendered into ratatui's TestBackend from the
//! replayed real capture and a real `ps` answer of coturn 4.6.1 (fixtures), snapshotted with
//! insta at several sizes: the header's CLI state and count check, the PEERS column, the detail
//! screen's lines from the CLI, the `K` hint and the confirmation.

mod common;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use turntop::app::{App, Screen};
use turntop::coturn_cli::telnet::{Telnet, split_answers};
use turntop::coturn_cli::view::{CliEvent, CliState, EndpointCli};
use turntop::coturn_cli::{PsAnswer, parse_ps};
use turntop::model::Model;
use turntop::table::TableKind;
use turntop::ui::{self, HeaderInfo, SourceInfo, Theme, ThemeName};

use common::capture_model::main_capture_at_25s;

const SIZES: [(u16, u16); 4] = [(60, 20), (80, 24), (120, 40), (200, 50)];

/// coturn 4.6.1's answer to `ps bob` (TCP, origin, Max throughput, two peers), given to the
/// selected allocation's user and id.
fn ps_answer(user: &str, id: u64) -> PsAnswer {
    let raw = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/coturn-cli-4.6.1/ps-user-peers-origin-cap.raw"),
    )
    .unwrap();
    let (mut text, mut replies) = (Vec::new(), Vec::new());
    Telnet::default().feed(&raw, &mut text, &mut replies);
    let text = String::from_utf8(text).unwrap();
    let mut answer = parse_ps(split_answers(&text)[0]).unwrap();
    answer.sessions[0].id = id;
    answer.sessions[0].user = user.to_owned();
    answer
}

fn info() -> HeaderInfo {
    HeaderInfo {
        source: SourceInfo::Live,
        events_per_sec: 12.5,
        endpoint_events_per_sec: vec![12.5],
    }
}

fn render(app: &mut App, model: &Model, now: f64, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::new(ThemeName::Dark);
    for _ in 0..2 {
        t.draw(|f| {
            ui::draw(f, app, model, now, &info(), &theme);
        })
        .unwrap();
    }
    t
}

/// An app on the allocations view with the CLI of the one endpoint in `state`; when up, it
/// knows the selected allocation's session (from the fixture).
fn app_with_cli(m: &Model, now: f64, state: CliState, w: u16, h: u16) -> App {
    let mut app = App::new(TableKind::Allocations);
    app.cli.endpoints = vec![Some(EndpointCli::new("127.0.0.1:5766"))];
    app.cli.apply(0, CliEvent::State(state.clone()), now, 0);
    render(&mut app, m, now, w, h);
    if state == CliState::Up {
        let a = turntop::app::selected_allocation(&app, m).expect("a selected allocation");
        let user = m.user_of(a).name.to_string();
        let answer = ps_answer(&user, a.id.0);
        app.cli
            .apply(0, CliEvent::Sessions { user, answer }, now, 0);
    }
    app
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn peers_column_detail_and_confirmation_at_every_size() {
    let (m, now) = main_capture_at_25s();
    for (w, h) in SIZES {
        let mut app = app_with_cli(&m, now, CliState::Up, w, h);
        let t = render(&mut app, &m, now, w, h);
        insta::assert_snapshot!(format!("cli_allocations_{w}x{h}"), t.backend());
        app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        let t = render(&mut app, &m, now, w, h);
        assert!(matches!(app.screen(), Screen::Detail { .. }));
        insta::assert_snapshot!(format!("cli_detail_{w}x{h}"), t.backend());
        app.on_key(key('K'));
        let t = render(&mut app, &m, now, w, h);
        assert!(app.confirm.is_visible());
        insta::assert_snapshot!(format!("cli_confirm_{w}x{h}"), t.backend());
    }
}

#[test]
fn the_peers_column_shows_only_while_a_cli_is_up() {
    let (m, now) = main_capture_at_25s();
    let mut app = app_with_cli(&m, now, CliState::Up, 200, 50);
    let s = format!("{:?}", render(&mut app, &m, now, 200, 50).backend());
    assert!(s.contains("PEERS"));
    let mut app = App::new(TableKind::Allocations);
    let s = format!("{:?}", render(&mut app, &m, now, 200, 50).backend());
    assert!(!s.contains("PEERS"), "no CLI, no column");
}

#[test]
fn a_down_cli_and_a_count_difference_in_the_header() {
    let (m, now) = main_capture_at_25s();
    let mut app = app_with_cli(
        &m,
        now,
        CliState::Down("authentication failed for coturn CLI 127.0.0.1:5766".into()),
        120,
        40,
    );
    let t = render(&mut app, &m, now, 120, 40);
    insta::assert_snapshot!("cli_down_120x40", t.backend());
    let s = format!("{:?}", t.backend());
    assert!(s.contains("cancel: CLI down"), "{s}");

    let mut app = app_with_cli(&m, now, CliState::Up, 120, 40);
    app.cli.apply(0, CliEvent::Count(9), now - 20.0, 3);
    app.cli.apply(0, CliEvent::Count(9), now - 10.0, 3);
    let t = render(&mut app, &m, now, 120, 40);
    let s = format!("{:?}", t.backend());
    assert!(s.contains("coturn 9 ≠ turntop 3 sessions"), "{s}");
    insta::assert_snapshot!("cli_count_mismatch_120x40", t.backend());

    // An answer that did not parse: said in the header, the connection stays up.
    app.cli.apply(
        0,
        CliEvent::Problem("ps: truncated answer (no `Total sessions` line)".into()),
        now,
        0,
    );
    let s = format!("{:?}", render(&mut app, &m, now, 200, 50).backend());
    assert!(
        s.contains("CLI ● coturn 9 ≠ turntop 3 sessions CLI: ps: truncated answer"),
        "{s}"
    );
}
