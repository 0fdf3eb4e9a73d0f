//! The empty screen says what is wrong (issue 14, item 12), against real redis-servers: one
//! stopped (cannot connect), one that wants a password and got none (NOAUTH: "password
//! required"), the same with a wrong password (authentication failed), and one connected with
//! nothing published. The header keeps the state whole at 80 columns.

mod common;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use turntop::app::App;
use turntop::model::ConnectionState;
use turntop::source::redis::{TlsOptions, now};
use turntop::table::TableKind;
use turntop::ui::{self, HeaderInfo, SourceInfo, Theme, ThemeName};

use common::live::Live;
use common::redis::RedisServer;

fn screen(live: &Live, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let mut app = App::new(TableKind::Allocations);
    let info = HeaderInfo {
        source: SourceInfo::Live,
        events_per_sec: 0.0,
        endpoint_events_per_sec: vec![0.0],
    };
    let theme = Theme::new(ThemeName::None);
    let now = now();
    for _ in 0..2 {
        t.draw(|f| {
            ui::draw(f, &mut app, &live.model, now, &info, &theme);
        })
        .expect("draw");
    }
    let buf = t.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The screen's text with the wrapped body joined back into one paragraph.
fn flat(screen: &str) -> String {
    screen.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_redis_says_cannot_connect_and_what_to_check() {
    let mut server = RedisServer::start();
    let port = server.port;
    server.kill();
    let mut live = Live::new();
    let id = live.add(
        &format!("redis://127.0.0.1:{port}"),
        None,
        &TlsOptions::default(),
    );
    live.state(id, "reconnecting", |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await;
    let s = screen(&live, 80, 24);
    let text = flat(&s);
    assert!(
        text.contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "{s}"
    );
    assert!(text.contains("--redis-statsdb"), "{s}");
    assert!(!text.contains("waiting for coturn to publish"), "{s}");
    let header = s.lines().next().expect("header");
    assert!(
        header.contains("◌ reconnecting in "),
        "state whole: {header}"
    );
    assert!(!header.trim_end().ends_with('('), "{header}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_wants_a_password_says_so() {
    let server = RedisServer::start_with(&["--requirepass", "s3cret-pw"]);
    let port = server.port;

    // No password at all: NOAUTH, "password required".
    let mut live = Live::new();
    let id = live.add(
        &format!("redis://127.0.0.1:{port}"),
        None,
        &TlsOptions::default(),
    );
    live.state(id, "auth failure", |s| {
        matches!(s, ConnectionState::AuthFailed { .. })
    })
    .await;
    let s = screen(&live, 80, 24);
    let text = flat(&s);
    assert!(
        text.contains(&format!("password required by 127.0.0.1:{port}")),
        "{s}"
    );
    assert!(text.contains("TURNTOP_REDIS_PASSWORD"), "{s}");
    assert!(!text.contains("authentication failed"), "{s}");
    let header = s.lines().next().expect("header");
    assert!(
        header.contains("✗ password required (retry in "),
        "{header}"
    );

    // A wrong one: authentication failed, and the password is never shown.
    let mut live = Live::new();
    let url = format!("redis://:not-it@127.0.0.1:{port}");
    let id = live.add(&url, None, &TlsOptions::default());
    live.state(id, "auth failure", |s| {
        matches!(s, ConnectionState::AuthFailed { .. })
    })
    .await;
    let s = screen(&live, 80, 24);
    let text = flat(&s);
    assert!(
        text.contains(&format!("authentication failed for 127.0.0.1:{port}")),
        "{s}"
    );
    assert!(text.contains("Check the password"), "{s}");
    let header = s.lines().next().expect("header");
    assert!(
        header.contains("✗ authentication failed (retry in "),
        "{header}"
    );
    assert!(!text.contains("not-it"), "{s}");

    // The right one, nothing published: connected, and what coturn needs.
    let mut live = Live::new();
    let id = live.add(
        &format!("redis://127.0.0.1:{port}"),
        Some("s3cret-pw"),
        &TlsOptions::default(),
    );
    live.state(id, "connected", |s| matches!(s, ConnectionState::Connected))
        .await;
    let s = screen(&live, 80, 24);
    let text = flat(&s);
    assert!(
        text.contains(&format!(
            "connected to 127.0.0.1:{port}: nothing published yet"
        )),
        "{s}"
    );
    assert!(text.contains("--redis-statsdb"), "{s}");
}
