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
use turntop::filter::{Filter, Filterable, NumField, TextField};
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
    m.evict(t);
    m.check_hot().unwrap();
    (m, t + 0.5)
}

fn capture_model() -> (Model, f64) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1/pubsub-capture.txt");
    let recs = capture::read_file(&p).unwrap();
    let end = recs.last().unwrap().epoch;
    let mut m = Model::new(ModelConfig::default());
    let ep = m.add_endpoint("127.0.0.1:16379");
    replay::apply_all(&mut m, ep, &recs);
    (m, end - 20.0)
}

/// The fields the filter documentation names, read from a row here (not through turntop's own
/// filter views).
struct Fields<'r, 'a> {
    row: &'r Row<'a>,
    ctx: &'r Ctx<'a>,
}

impl Filterable for Fields<'_, '_> {
    fn text(&self, field: TextField) -> Option<Cow<'_, str>> {
        let m = self.ctx.model;
        match (self.row, field) {
            (Row::Allocation(a), TextField::User) => Some(a.user.into()),
            (Row::Allocation(a), TextField::Realm) => Some(a.realm.unwrap_or("").into()),
            (Row::Allocation(a), TextField::Id) => {
                Some(format!("{} {}", a.alloc.id, a.alloc.id.short()).into())
            }
            (Row::Allocation(a), TextField::Remote) => a.alloc.remote.as_deref().map(Into::into),
            (Row::Allocation(a), TextField::State) => Some(a.state.as_str().into()),
            (Row::Allocation(a), TextField::Transport) => m.atom(a.alloc.transport).map(Into::into),
            (Row::Allocation(a), TextField::Endpoint) => m
                .endpoint(a.alloc.endpoint)
                .map(|e| e.label.as_str().into()),
            (Row::User(u), TextField::User) => Some(u.user.into()),
            (Row::User(u), TextField::Realm) => Some(u.realm.unwrap_or("").into()),
            (Row::Realm(r), TextField::Realm) => Some(r.realm.unwrap_or("").into()),
            _ => None,
        }
    }

    fn number(&self, field: NumField) -> Option<f64> {
        let now = self.ctx.now;
        match field {
            NumField::Rate => self.row.total_rate(),
            NumField::Bytes => Some(self.row.total_bytes() as f64),
            NumField::Age => self.row.number(Col::Age, now),
            NumField::Left => self.row.number(Col::Left, now),
            NumField::Live => self.row.number(Col::Live, now),
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
    }
}

fn lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// The documented order, as a plain stable sort.
fn expected(kind: TableKind, filter: &Filter, sort: Sort, ctx: &Ctx<'_>) -> Vec<RowKey> {
    let rows: Vec<Row<'_>> = all_rows(kind, ctx)
        .into_iter()
        .filter(|row| filter.matches(&Fields { row, ctx }))
        .collect();
    let text = table::sorts_as_text(sort.col);
    let mut keyed: Vec<(usize, Option<String>, Option<f64>, RowKey)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let t = if text {
                r.text(sort.col, ctx).map(|t| lower(&t))
            } else {
                None
            };
            let n = if text {
                None
            } else {
                r.number(sort.col, ctx.now)
            };
            (i, t, n, r.key())
        })
        .collect();
    keyed.sort_by(|a, b| {
        let has = |x: &(usize, Option<String>, Option<f64>, RowKey)| x.1.is_some() || x.2.is_some();
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
fn capture_orders_and_filters_as_documented() {
    let (m, now) = capture_model();
    check_model(&m, now);
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
