//! Table order and filtering, on the demo (hostile names, every state and transport, hundreds
//! of allocations) and on a real capture:
//! - the order is the documented one, checked against a plain comparator written here: by the
//!   column's value (text without case), ties in build order, a reversed sort a full reversal
//!   except that rows without a value stay last;
//! - the windows a frame draws, and the place of a row found by its key, agree with that order;
//! - the one-pass allocation filter answers as the documented filter does on each row, checked
//!   against a plain implementation of the fields written here;
//! - the selection follows its row, and keys typed between frames act on the rows they reach.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use turntop::app::App;
use turntop::capture;
use turntop::demo::{Demo, DemoConfig};
use turntop::filter::{Filter, Filterable};
use turntop::format::RateUnits;
use turntop::model::{Model, ModelConfig};
use turntop::source::replay;
use turntop::table::{self, Col, Ctx, Row, RowKey, Scope, Sort, TableKind};
use turntop::ui::{self, HeaderInfo, SourceInfo, Theme, ThemeName};

const START: f64 = 1_795_600_000.0;

/// The demo after its warm-up and `secs` more seconds; the clock 0.5 s later.
fn demo_model(secs: f64) -> (Model, f64) {
    let mut demo = Demo::new(DemoConfig::default(), START);
    let mut msgs = demo.prewarm();
    let mut t = START;
    while t < START + secs {
        t += 1.0;
        msgs.extend(demo.advance(t));
    }
    let mut m = Model::new(ModelConfig::default());
    let ep = m.add_endpoint("demo");
    for msg in &msgs {
        m.apply_raw(ep, msg.at, &msg.channel, msg.payload.as_bytes());
    }
    m.tick(t);
    m.check_hot().unwrap();
    (m, t + 0.5)
}

fn capture_model(name: &str) -> (Model, f64) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1")
        .join(name);
    let recs = capture::read_file(&p).unwrap();
    let end = recs.last().unwrap().epoch;
    let mut m = Model::new(ModelConfig::default());
    let ep = m.add_endpoint("127.0.0.1:16379");
    replay::apply_all(&mut m, ep, &recs);
    (m, end - 20.0)
}

/// The fields the filter documentation names, read from a row here (not through turntop's own
/// filter views): text columns as shown (an unnamed user or realm is `(none)`), numbers as the
/// sort sees them.
struct Fields<'r, 'a> {
    row: &'r Row<'a>,
    ctx: &'r Ctx<'a>,
}

fn named(name: Option<&str>) -> Cow<'_, str> {
    match name {
        Some(n) if !n.is_empty() => n.into(),
        _ => "(none)".into(),
    }
}

impl Filterable for Fields<'_, '_> {
    fn text(&self, col: Col) -> Option<Cow<'_, str>> {
        let m = self.ctx.model;
        match (self.row, col) {
            (Row::Allocation(a), Col::User) => Some(named(Some(a.user))),
            (Row::Allocation(a), Col::Realm) => Some(named(a.realm)),
            (Row::Allocation(a), Col::Id) => {
                Some(format!("{} {}", a.alloc.id, a.alloc.id.short()).into())
            }
            (Row::Allocation(a), Col::Remote) => a.alloc.remote.as_deref().map(Into::into),
            (Row::Allocation(a), Col::State) => Some(a.state.as_str().into()),
            (Row::Allocation(a), Col::Type) => m.atom(a.alloc.transport).map(Into::into),
            (Row::Allocation(a), Col::Endpoint) => m
                .endpoint(a.alloc.endpoint)
                .map(|e| e.label.as_str().into()),
            (Row::User(u), Col::User) => Some(named(Some(u.user))),
            (Row::User(u), Col::Realm) => Some(named(u.realm)),
            (Row::Realm(r), Col::Realm) => Some(named(r.realm)),
            (Row::Problem(p), Col::Severity) => Some(p.severity.name().into()),
            (Row::Problem(p), Col::Problem) => Some(p.kind.name().into()),
            (Row::Problem(p), Col::Subject) => Some(p.subject_text().into()),
            (Row::Problem(p), Col::Detail) => Some(p.detail.as_str().into()),
            _ => None,
        }
    }

    fn number(&self, col: Col) -> Option<f64> {
        let now = self.ctx.now;
        match col {
            Col::Rate => self.row.total_rate(),
            Col::Bytes => Some(self.row.total_bytes() as f64),
            _ => self.row.number(col, now),
        }
    }
}

fn all_rows<'a>(kind: TableKind, ctx: &Ctx<'a>) -> Vec<Row<'a>> {
    match kind {
        TableKind::Allocations => ctx
            .model
            .allocation_rows(ctx.now)
            .into_iter()
            .map(Row::Allocation)
            .collect(),
        TableKind::Users => ctx
            .model
            .user_rows(ctx.now)
            .into_iter()
            .map(Row::User)
            .collect(),
        TableKind::Realms => ctx
            .model
            .realm_rows(ctx.now)
            .into_iter()
            .map(Row::Realm)
            .collect(),
        TableKind::Servers => ctx
            .model
            .server_rows(ctx.now)
            .into_iter()
            .map(Row::Server)
            .collect(),
        TableKind::Problems => ctx
            .model
            .problems()
            .list()
            .iter()
            .rev()
            .map(Row::Problem)
            .collect(),
    }
}

fn lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// A text value as the documented order compares it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    /// REMOTE: IPv4 before IPv6, by address, then port.
    Address(bool, u128, u16),
    /// USER: a TURN REST name (`<expiry>:<name>`) by name, then expiry (a plain name first),
    /// then the whole text; other columns by the text, all without case.
    Text(String, Option<u64>, String),
}

fn sort_value(col: Col, text: &str) -> SortValue {
    if col == Col::Remote
        && let Ok(addr) = text.parse::<std::net::SocketAddr>()
    {
        let ip = addr.ip().to_canonical();
        let bits = match ip {
            std::net::IpAddr::V4(v4) => u128::from(u32::from(v4)),
            std::net::IpAddr::V6(v6) => u128::from(v6),
        };
        return SortValue::Address(ip.is_ipv6(), bits, addr.port());
    }
    let rest = text.split_once(':').filter(|(e, _)| {
        col == Col::User && !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    match rest {
        Some((expiry, name)) => SortValue::Text(lower(name), expiry.parse().ok(), lower(text)),
        None => SortValue::Text(lower(text), None, lower(text)),
    }
}

/// The documented order, as a plain stable sort.
fn expected(kind: TableKind, filter: &Filter, sort: Sort, ctx: &Ctx<'_>) -> Vec<RowKey> {
    let rows: Vec<Row<'_>> = all_rows(kind, ctx)
        .into_iter()
        .filter(|row| filter.matches(&Fields { row, ctx }))
        .collect();
    let text = table::sorts_as_text(sort.col);
    let mut keyed: Vec<(usize, Option<SortValue>, Option<f64>, RowKey)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let t = match (r, sort.col) {
                // No address is no value (not the `?` the cell shows).
                (Row::Allocation(a), Col::Remote) => a.alloc.remote.as_deref().map(str::to_owned),
                _ if text => r.text(sort.col, ctx).map(|t| t.into_owned()),
                _ => None,
            };
            let n = if text {
                None
            } else {
                r.number(sort.col, ctx.now)
            };
            (i, t.map(|t| sort_value(sort.col, &t)), n, r.key())
        })
        .collect();
    keyed.sort_by(|a, b| {
        let has =
            |x: &(usize, Option<SortValue>, Option<f64>, RowKey)| x.1.is_some() || x.2.is_some();
        match (has(a), has(b)) {
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let by_value = match (&a.1, &b.1) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => match (a.2, b.2) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => Ordering::Equal,
            },
        };
        let o = by_value.then(a.0.cmp(&b.0));
        if sort.descending { o.reverse() } else { o }
    });
    keyed.into_iter().map(|k| k.3).collect()
}

fn sortable(kind: TableKind) -> Vec<Col> {
    table::columns(kind).iter().map(|c| c.col).collect()
}

const FILTERS: &[&str] = &[
    "",
    "user=(none)|alice",
    "realm=(none)",
    "type=udp|dtls",
    "remote=127.0.0.0/8",
    "remote=2001:db8::/32|192.0.2.0/24",
    "10.0.0.0/8|carol",
    "rate=0",
    "cli-rx>1k last<30s",
    "server=demo|pubsub",
    "live=1|2",
    "a",
    "EXAMPLE",
    "1",
    "0.",
    "127.0",
    "type=udp",
    "type=tcp rate>1k",
    "!state=live",
    "state=expired",
    "user=u realm=example",
    "!a bytes>100k",
    "left<5m age>30",
    "endpoint=demo live>1",
    "id=1",
    "remote=127",
    "addr=:5",
    "!remote=zz",
    "é",
];

fn check_model(m: &Model, now: f64) {
    let ctx = Ctx {
        model: m,
        now,
        units: RateUnits::Bytes,
    };
    for kind in TableKind::ALL {
        for col in sortable(kind) {
            for descending in [false, true] {
                for f in FILTERS {
                    let filter = Filter::parse(f).unwrap();
                    let sort = Sort { col, descending };
                    let want = expected(kind, &filter, sort, &ctx);
                    let got: Vec<RowKey> = table::rows(kind, Scope::All, &filter, sort, &ctx)
                        .iter()
                        .map(Row::key)
                        .collect();
                    assert_eq!(got, want, "{kind:?} by {col:?} desc={descending} /{f}/");

                    // Windows, in any sequence, and positions agree with the full order.
                    let mut rows = table::sorted_rows(kind, Scope::All, &filter, sort, &ctx);
                    assert_eq!(rows.len(), want.len());
                    let n = want.len();
                    for (start, len) in [(n / 2, 7), (0, 20), (n.saturating_sub(3), 10), (3, 1)] {
                        let window: Vec<RowKey> = rows
                            .window(start..start + len)
                            .iter()
                            .map(Row::key)
                            .collect();
                        let end = (start + len).min(n);
                        assert_eq!(window, want[start.min(end)..end], "window {start}+{len}");
                    }
                    for i in [0, n / 3, n.saturating_sub(1)] {
                        if let Some(&k) = want.get(i) {
                            assert_eq!(rows.position(k), Some(i));
                        }
                    }
                }
            }
        }
    }
}

/// Drill-down: a realm's users and a user's allocations are the unscoped rows of that realm
/// or user, in the same order.
fn check_scopes(m: &Model, now: f64) {
    let ctx = Ctx {
        model: m,
        now,
        units: RateUnits::Bytes,
    };
    let none = Filter::default();
    for (kind, col) in [
        (TableKind::Users, Col::Rate),
        (TableKind::Users, Col::User),
        (TableKind::Allocations, Col::Rate),
        (TableKind::Allocations, Col::Remote),
    ] {
        let sort = Sort {
            col,
            descending: true,
        };
        let all = table::rows(kind, Scope::All, &none, sort, &ctx);
        let scopes: Vec<Scope> = match kind {
            TableKind::Users => m.realms().map(|(slot, _)| Scope::Realm(slot)).collect(),
            _ => m
                .users()
                .map(|(slot, _)| Scope::User(slot))
                .take(40)
                .collect(),
        };
        assert!(!scopes.is_empty());
        for scope in scopes {
            let want: Vec<RowKey> = all
                .iter()
                .filter(|r| match (r, scope) {
                    (Row::User(u), Scope::Realm(realm)) => u.realm_slot == realm,
                    (Row::Allocation(a), Scope::User(user)) => a.user_slot == user,
                    _ => false,
                })
                .map(Row::key)
                .collect();
            let got: Vec<RowKey> = table::rows(kind, scope, &none, sort, &ctx)
                .iter()
                .map(Row::key)
                .collect();
            assert_eq!(got, want, "{kind:?} {scope:?} by {col:?}");
        }
    }
}

#[test]
fn drill_down_scopes_keep_the_rows_and_order_of_their_realm_or_user() {
    let (m, now) = demo_model(300.0);
    check_scopes(&m, now);
}

#[test]
fn demo_orders_and_filters_as_documented() {
    let (m, now) = demo_model(300.0);
    assert!(m.allocation_rows(now).len() > 250);
    check_model(&m, now);
}

#[test]
fn captures_order_and_filter_as_documented() {
    // REST usernames (`<expiry>:<name>`), no user and no realm (`--no-auth`), TLS and DTLS.
    for name in [
        "pubsub-capture.txt",
        "pubsub-capture-rest-api.txt",
        "pubsub-capture-no-auth.txt",
        "pubsub-capture-tls-dtls.txt",
    ] {
        let (m, now) = capture_model(name);
        check_model(&m, now);
    }
}

fn draw(app: &mut App, m: &Model, now: f64, h: u16) {
    let mut t = Terminal::new(TestBackend::new(160, h)).unwrap();
    let info = HeaderInfo {
        source: SourceInfo::Live,
        events_per_sec: 0.0,
        endpoint_events_per_sec: vec![0.0],
    };
    let theme = Theme::new(ThemeName::None);
    t.draw(|f| {
        ui::draw(f, app, m, now, &info, &theme);
    })
    .unwrap();
}

fn press(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

#[test]
fn selection_follows_rows_and_keys_between_frames_reach_the_right_row() {
    let (m, now) = demo_model(300.0);
    let ctx = Ctx {
        model: &m,
        now,
        units: RateUnits::Bytes,
    };
    let mut app = App::new(TableKind::Allocations);
    let order = |app: &App| -> Vec<RowKey> {
        table::rows(
            TableKind::Allocations,
            Scope::All,
            &app.filter,
            app.sort(TableKind::Allocations),
            &ctx,
        )
        .iter()
        .map(Row::key)
        .collect()
    };
    draw(&mut app, &m, now, 24);
    let all = order(&app);
    assert_eq!(app.level().selected_key, Some(all[0]));

    // Keys typed before the next frame: j, j, Enter acts on the third row.
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.level().selected_key, Some(all[2]));

    // Far moves (past the rows the last frame knew) select by place until the next frame.
    press(&mut app, KeyCode::PageDown);
    press(&mut app, KeyCode::PageDown);
    press(&mut app, KeyCode::PageDown);
    let at = app.level().selected;
    assert!(at > 40, "{at}");
    draw(&mut app, &m, now, 24);
    assert_eq!(app.level().selected, at);
    assert_eq!(app.level().selected_key, Some(all[at]));
    let offset = app.level().offset;
    assert!(offset <= at && at < offset + app.level().page);

    // Reverse the sort: the selection stays on its allocation, now elsewhere.
    let key = all[at];
    press(&mut app, KeyCode::Char('r'));
    draw(&mut app, &m, now, 24);
    let reversed = order(&app);
    let now_at = reversed.iter().position(|k| *k == key).unwrap();
    assert_eq!(app.level().selected, now_at);
    assert_eq!(app.level().selected_key, Some(key));

    // End, then a frame: the last row, scrolled into view.
    press(&mut app, KeyCode::End);
    draw(&mut app, &m, now, 24);
    assert_eq!(app.level().selected_key, reversed.last().copied());
    assert_eq!(app.level().offset + app.level().page, reversed.len());
}

/// Addresses of both families and TURN REST usernames, in the order an operator expects:
/// REMOTE by address (not `192.0.2.102` before `192.0.2.10:2220`), USER by name then expiry.
#[test]
fn addresses_and_rest_usernames_order_as_documented() {
    let mut m = Model::new(ModelConfig::default());
    let ep = m.add_endpoint("edge");
    let allocations = [
        ("1795641736:carol", "192.0.2.102:1"),
        ("carol", "192.0.2.10:2220"),
        ("1695641736:carol", "[2001:db8::1]:5"),
        ("bob", "10.0.0.1:9"),
        ("1795641736:alice", "[::ffff:192.0.2.10]:80"),
        ("Bob", "192.0.2.10:80"),
        ("", "[2001:db8::1]:4"),
    ];
    for (i, (user, remote)) in allocations.iter().enumerate() {
        m.apply_raw(
            ep,
            START + i as f64,
            &format!("turn/realm/r.example/user/{user}/allocation/{:018}/status", i + 1),
            format!("new lifetime=600, type=UDP, local=10.0.0.1:3478, remote={remote}, ssl=NONE, cipher=NONE")
                .as_bytes(),
        );
    }
    // One without an address: no value, last both ways.
    m.apply_raw(
        ep,
        START,
        "turn/realm/r.example/user/dave/allocation/000000000000000099/status",
        b"new lifetime=600, type=TCP",
    );
    let now = START + 10.0;
    check_model(&m, now);
    let ctx = Ctx {
        model: &m,
        now,
        units: RateUnits::Bytes,
    };
    let column = |col: Col| -> Vec<String> {
        let sort = Sort {
            col,
            descending: false,
        };
        table::rows(
            TableKind::Allocations,
            Scope::All,
            &Filter::default(),
            sort,
            &ctx,
        )
        .iter()
        .map(|r| r.cell(col, &ctx))
        .collect()
    };
    assert_eq!(
        column(Col::Remote),
        [
            "10.0.0.1:9",
            // The same address and port (IPv4-mapped is IPv4): in build order.
            "[::ffff:192.0.2.10]:80",
            "192.0.2.10:80",
            "192.0.2.10:2220",
            "192.0.2.102:1",
            "[2001:db8::1]:4",
            "[2001:db8::1]:5",
            "?"
        ]
    );
    assert_eq!(
        column(Col::User),
        [
            "(none)",
            "1795641736:alice",
            "bob",
            "Bob",
            "carol",
            "1695641736:carol",
            "1795641736:carol",
            "dave"
        ]
    );
}
