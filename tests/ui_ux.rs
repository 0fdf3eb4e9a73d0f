//! What got in a new user's way (issue 14), rendered from the TLS/DTLS capture at the four
//! sizes: the detail screen laid out by field widths (one column when narrow, the legend above
//! the chart), the header and the hint bar in whole items, the help scrolling, an ended
//! allocation's lifetime and chart.

mod common;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use turntop::app::{App, Mode, Screen};
use turntop::capture::{self, Record};
use turntop::model::{ConnectionState, Model, ModelConfig};
use turntop::source::replay;
use turntop::table::TableKind;
use turntop::ui::{self, HeaderInfo, SourceInfo, Theme, ThemeName};

use common::capture_model::main_capture_at_25s;

const SIZES: [(u16, u16); 4] = [(60, 20), (80, 24), (120, 40), (200, 50)];

/// The TLS/DTLS capture replayed whole, its endpoint labelled with the capture's long name (a
/// long server label), the clock 1 s after its last message.
fn tls_model() -> (Model, f64) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1/pubsub-capture-tls-dtls.txt");
    let recs: Vec<Record> = capture::read_file(&p).expect("capture");
    let t0 = recs[0].epoch - recs[0].t_rel;
    let mut m = Model::new(ModelConfig {
        retention: 600.0,
        history_window: 1800.0,
        ..ModelConfig::default()
    });
    let ep = m.add_endpoint("pubsub-capture-tls-dtls.txt");
    let end = replay::apply_all(&mut m, ep, &recs);
    m.set_connection(ep, t0 + 1.0, ConnectionState::Connected);
    (m, end + 1.0)
}

fn info() -> HeaderInfo {
    HeaderInfo {
        source: SourceInfo::Live,
        events_per_sec: 4.5,
        endpoint_events_per_sec: vec![4.5],
    }
}

fn render(app: &mut App, m: &Model, now: f64, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let theme = Theme::new(ThemeName::Dark);
    for _ in 0..2 {
        t.draw(|f| {
            ui::draw(f, app, m, now, &info(), &theme);
        })
        .expect("draw");
    }
    t
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The detail screen of the first allocation `filter` selects.
fn detail(m: &Model, now: f64, filter: &str, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut app = App::new(TableKind::Allocations);
    app.set_filter(filter);
    render(&mut app, m, now, w, h);
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let t = render(&mut app, m, now, w, h);
    assert!(matches!(app.screen(), Screen::Detail { .. }));
    t
}

#[test]
fn tls_detail_at_every_size_shows_every_field_whole() {
    let (m, now) = tls_model();
    for (w, h) in SIZES {
        let t = detail(&m, now, "state=live", w, h);
        let screen = text(&t);
        let flat: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        // Wrapped, never cut: the cipher and the long server label are there whole.
        for whole in [
            "SHA384",
            "pubsub-capture-tls-dtls.txt",
            "client rx",
            "peer rx",
        ] {
            assert!(
                flat.contains(whole) || screen.replace('\n', "").contains(whole),
                "{w}x{h}: {whole} missing\n{screen}"
            );
        }
        insta::assert_snapshot!(format!("tls_detail_{w}x{h}"), t.backend());
    }
}

#[test]
fn ended_allocation_shows_its_lifetime_and_a_chart_of_its_life() {
    let (m, now) = tls_model();
    let t = detail(&m, now + 120.0, "type=tls state=deleted bytes>1KB", 120, 40);
    let screen = text(&t);
    assert!(screen.contains("lived "), "{screen}");
    assert!(screen.contains("rates over its life of"), "{screen}");
    insta::assert_snapshot!("tls_ended_detail_120x40", t.backend());
    // In the table, AGE stops at the lifetime: the same two minutes later.
    let age = |now: f64| {
        let mut app = App::new(TableKind::Allocations);
        app.set_filter("type=tls state=deleted bytes>1KB");
        let t = render(&mut app, &m, now, 200, 50);
        let screen = text(&t);
        let row = screen
            .lines()
            .find(|l| l.contains("○ deleted"))
            .expect("a deleted row")
            .to_owned();
        // Up to the state: AGE is there; LAST and the sparklines move on.
        row[..row.find("○ deleted").expect("state")].to_owned()
    };
    assert_eq!(age(now), age(now + 120.0));
}

#[test]
fn tls_allocations_header_and_hints_at_every_size() {
    let (m, now) = tls_model();
    for (w, h) in SIZES {
        let mut app = App::new(TableKind::Allocations);
        let t = render(&mut app, &m, now, w, h);
        insta::assert_snapshot!(format!("tls_allocations_{w}x{h}"), t.backend());
    }
}

#[test]
fn help_at_every_size_and_scrolled() {
    let (m, now) = tls_model();
    for (w, h) in SIZES {
        let mut app = App::new(TableKind::Allocations);
        app.on_key(key('?'));
        let t = render(&mut app, &m, now, w, h);
        assert!(text(&t).contains("j ↓ k ↑"), "{w}x{h}");
        insta::assert_snapshot!(format!("help_{w}x{h}"), t.backend());
    }
    // 80x24: the help is longer than the screen; j scrolls it, and it stays open.
    let mut app = App::new(TableKind::Allocations);
    app.on_key(key('?'));
    let first = text(&render(&mut app, &m, now, 80, 24));
    assert!(!first.contains("deltas seen"), "the end is below");
    for _ in 0..3 {
        app.on_key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
    }
    assert_eq!(app.mode, Mode::Help);
    let t = render(&mut app, &m, now, 80, 24);
    assert!(text(&t).contains("deltas seen"), "{}", text(&t));
    insta::assert_snapshot!("help_80x24_end", t.backend());
    app.on_key(key('k'));
    assert_eq!(app.mode, Mode::Help);
    app.on_key(key('x'));
    assert_eq!(app.mode, Mode::Normal, "any other key closes it");
}

#[test]
fn drilled_realm_and_user_show_their_chart_above_the_table() {
    let (m, now) = main_capture_at_25s();
    for (w, h) in SIZES {
        let mut app = App::new(TableKind::Realms);
        app.on_key(key('+'));
        app.on_key(key('+'));
        app.on_key(key('+')); // a 60 s window: the capture's 24 s fill it
        render(&mut app, &m, now, w, h);
        app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        let t = render(&mut app, &m, now, w, h);
        let screen = text(&t);
        let charted = h - 4 >= 18;
        assert_eq!(
            screen.contains("the realm's rates"),
            charted,
            "{w}x{h}\n{screen}"
        );
        insta::assert_snapshot!(format!("drilled_realm_{w}x{h}"), t.backend());
        app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        let t = render(&mut app, &m, now, w, h);
        let screen = text(&t);
        assert_eq!(
            screen.contains("the user's rates"),
            charted,
            "{w}x{h}\n{screen}"
        );
        if h >= 40 {
            assert!(screen.contains(" live "), "the live count: {screen}");
        }
        insta::assert_snapshot!(format!("drilled_user_{w}x{h}"), t.backend());
    }
}

#[test]
fn the_sort_column_is_shown_and_the_title_says_where_the_selection_is() {
    let (m, now) = main_capture_at_25s();
    // At 120 columns: REMOTE, AGE and BYTES are there; sorting by PEER RX (not among the
    // columns that fit) shows it in place of the next one to drop.
    let mut app = App::new(TableKind::Allocations);
    let screen = text(&render(&mut app, &m, now, 120, 40));
    let titles = screen.lines().nth(4).expect("titles").to_owned();
    for col in ["REMOTE", "AGE", "BYTES"] {
        assert!(titles.contains(col), "{col}: {titles}");
    }
    app.set_sort_column(TableKind::Allocations, turntop::table::Col::PeerRx);
    let screen = text(&render(&mut app, &m, now, 120, 40));
    let titles = screen.lines().nth(4).expect("titles").to_owned();
    assert!(titles.contains("PEER RX▼"), "{titles}");
    // Every column `s` walks through is on screen when it is the sort column.
    for _ in 0..20 {
        app.on_key(key('s'));
        let screen = text(&render(&mut app, &m, now, 120, 40));
        let titles = screen.lines().nth(4).expect("titles").to_owned();
        assert!(
            titles.contains('▼') || titles.contains('▲'),
            "the sort column is shown: {titles}"
        );
    }
    // row N/M: after moving down 3 rows.
    let mut app = App::new(TableKind::Allocations);
    render(&mut app, &m, now, 120, 40);
    for _ in 0..3 {
        app.on_key(key('j'));
    }
    let screen = text(&render(&mut app, &m, now, 120, 40));
    assert!(screen.contains("row 4/18"), "{screen}");
}

#[test]
fn header_and_hints_keep_whole_items_at_every_width() {
    let (m, now) = main_capture_at_25s();
    let labels = [
        "quit",
        "help",
        "filter",
        "sort",
        "reverse",
        "detail",
        "view",
        "freeze",
        "zoom",
        "follow on",
    ];
    for w in [60u16, 70, 80, 90, 100, 120, 200] {
        let mut app = App::new(TableKind::Allocations);
        let screen = text(&render(&mut app, &m, now, w, 24));
        let bar = screen.lines().last().expect("bar").trim_end().to_owned();
        assert!(
            labels.iter().any(|l| bar.ends_with(l)),
            "{w}: the bar ends in a whole item: {bar:?}"
        );
        let totals = screen.lines().nth(1).expect("totals").trim_end().to_owned();
        // Each leg's figures whole: `↓x ↑y` both there, or the leg not at all.
        for leg in ["client", "peer"] {
            if let Some(i) = totals.find(leg) {
                let rest = &totals[i..];
                assert!(rest.contains('↓') && rest.contains('↑'), "{w}: {totals:?}");
                assert!(rest.contains("B/s"), "{w}: {totals:?}");
            }
        }
        assert!(
            totals.ends_with("B/s") || totals.ends_with('m') || totals.ends_with(char::is_numeric),
            "{w}: {totals:?}"
        );
    }
}

#[test]
fn an_idle_frame_may_keep_the_order_and_draws_the_same_screen() {
    let (m, now) = main_capture_at_25s();
    for kind in [TableKind::Allocations, TableKind::Users] {
        let mut app = App::new(kind);
        render(&mut app, &m, now, 160, 50);
        // One second later, nothing new: the kept order gives the screen a full pass gives.
        app.reuse_order = true;
        let kept = text(&render(&mut app, &m, now + 1.0, 160, 50));
        app.reuse_order = false;
        let full = text(&render(&mut app, &m, now + 1.0, 160, 50));
        assert_eq!(kept, full, "{kind:?}");
        // A different sort is never served from the kept order.
        app.on_key(key('s'));
        app.reuse_order = true;
        let kept = text(&render(&mut app, &m, now + 1.0, 160, 50));
        app.reuse_order = false;
        let full = text(&render(&mut app, &m, now + 1.0, 160, 50));
        assert_eq!(kept, full, "{kind:?} after s");
    }
}
