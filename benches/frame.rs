//! Frame benchmark (issue 5): with 100k live allocations over 20k users and 50 realms, the time
//! to build one frame: rows (scope + filter + sort) and drawing them into a 200x50 buffer.
//! Target: <= 10 ms. Run: `cargo bench --bench frame`.
//! Issue 13: the same frames with the problems badge, without problems and with thousands, the
//! Problems view, and the once-a-second tick that finds them (`--quick`: a tenth of the model).

mod common;

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use turntop::app::App;
use turntop::table::TableKind;
use turntop::ui::{self, HeaderInfo, SourceInfo, Theme, ThemeName};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick { 10 } else { 1 };
    let w = common::workload(common::ALLOCATIONS / scale, common::USERS / scale);
    let (model, now) = common::loaded_model(&w);
    drop(w);
    let live = model
        .allocation_rows(now)
        .iter()
        .filter(|r| r.state.is_open())
        .count();
    println!(
        "model: {live} live allocations, {} users, {} realms",
        model.user_rows(now).len(),
        model.realm_rows(now).len()
    );
    // Parts of an allocations frame, for where the time goes.
    {
        let t = Instant::now();
        for _ in 0..10 {
            std::hint::black_box(model.totals(now));
        }
        println!(
            "  part: header totals                      {:>7.2}ms",
            t.elapsed().as_secs_f64() * 100.0
        );
        let t = Instant::now();
        for _ in 0..10 {
            std::hint::black_box(model.user_rows(now));
        }
        println!(
            "  part: user rows                          {:>7.2}ms",
            t.elapsed().as_secs_f64() * 100.0
        );
        let ctx = turntop::table::Ctx {
            model: &model,
            now,
            units: turntop::format::RateUnits::Bytes,
        };
        let sort = turntop::table::Sort {
            col: turntop::table::Col::Rate,
            descending: true,
        };
        let none = turntop::filter::Filter::default();
        let t = Instant::now();
        for _ in 0..10 {
            let mut rows = turntop::table::sorted_rows(
                TableKind::Allocations,
                turntop::table::Scope::All,
                &none,
                sort,
                &ctx,
            );
            std::hint::black_box(rows.window(0..150).len());
        }
        println!(
            "  part: allocation rows, first 150 in order {:>7.2}ms",
            t.elapsed().as_secs_f64() * 100.0
        );
    }
    let theme = Theme::new(ThemeName::Dark);
    let info = HeaderInfo {
        source: SourceInfo::Live,
        events_per_sec: 0.0,
        endpoint_events_per_sec: Vec::new(),
    };
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    let cases: [(&str, TableKind, &str); 9] = [
        ("allocations, sort rate", TableKind::Allocations, ""),
        (
            "allocations, filter type=udp rate>10KB",
            TableKind::Allocations,
            "type=udp rate>10KB",
        ),
        (
            "allocations, filter substring 'user1'",
            TableKind::Allocations,
            "user1",
        ),
        (
            "allocations, filter address '2001:db8'",
            TableKind::Allocations,
            "2001:db8",
        ),
        (
            "allocations, filter address/id '10.'",
            TableKind::Allocations,
            "10.",
        ),
        (
            "allocations, filter ranges v4|v6",
            TableKind::Allocations,
            "remote=100.0.0.0/8|2001:db8::/48",
        ),
        (
            "allocations, filter user1|user2 rate>8Mbps",
            TableKind::Allocations,
            "user=user1|user2 rate>8Mbps",
        ),
        ("users, sort rate", TableKind::Users, ""),
        ("realms, sort rate", TableKind::Realms, ""),
    ];
    println!(
        "{:<42} {:>9} {:>9} {:>9}   (target <= 10 ms)",
        "frame (200x50)", "median", "p90", "max"
    );
    let only: Option<usize> = std::env::var("FRAME_CASE")
        .ok()
        .and_then(|v| v.parse().ok());
    let repeat = std::env::var("FRAME_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if only.is_some() { 300 } else { 30 });
    // FRAME_CLI=1: coturn's CLI up on every endpoint, knowing every open allocation (the
    // PEERS column shown, a lookup per row on screen; issue 17's worst case).
    let with_cli = std::env::var("FRAME_CLI").is_ok_and(|v| v == "1");
    let cli_view = cli_view(&model, now);
    if with_cli {
        println!("with coturn's CLI: PEERS shown, every open allocation known");
    }
    for (i, (name, kind, filter)) in cases.into_iter().enumerate() {
        if only.is_some_and(|o| o != i) {
            continue;
        }
        let mut app = App::new(kind);
        if with_cli {
            app.cli = cli_view.clone();
        }
        let custom = std::env::var("FRAME_FILTER").ok();
        app.set_filter(custom.as_deref().unwrap_or(filter));
        let mut times: Vec<Duration> = Vec::new();
        for _ in 0..repeat {
            let t = Instant::now();
            terminal
                .draw(|f| {
                    ui::draw(f, &mut app, &model, now, &info, &theme);
                })
                .expect("draw");
            times.push(t.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{name:<42} {:>7.2}ms {:>7.2}ms {:>7.2}ms   {:.2}x of budget",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 9 / 10]),
            ms(times[times.len() - 1]),
            ms(times[times.len() / 2]) / 10.0
        );
    }
    problems_cases(&model, now, &mut terminal, &info, &theme, repeat);
}

/// Frames with the header's badge on a model without problems and on one with thousands
/// (thresholds a real server would not use, so that many allocations and users trip them), the
/// Problems view, and the tick's detection pass; the cases alternate, three rounds, so that
/// each pair is measured back to back.
fn problems_cases(
    model: &turntop::model::Model,
    now: f64,
    terminal: &mut Terminal<TestBackend>,
    info: &HeaderInfo,
    theme: &Theme,
    repeat: usize,
) {
    use turntop::model::Thresholds;
    let never = Thresholds {
        allocation_rate: f64::INFINITY,
        user_allocations: u32::MAX,
        user_rate: f64::INFINITY,
        silent_after: f64::INFINITY,
        stuck_after: f64::INFINITY,
        endpoint_after: f64::INFINITY,
        restart_within: 0.0,
        ..Thresholds::default()
    };
    let many = Thresholds {
        allocation_rate: 20_000.0,
        user_allocations: 5,
        ..Thresholds::default()
    };
    let mut quiet = model.clone();
    quiet.set_problem_thresholds(never);
    quiet.update_problems(now);
    let mut troubled = model.clone();
    troubled.set_problem_thresholds(many);
    troubled.update_problems(now);
    println!(
        "problems: {} on the quiet model, {} on the troubled one",
        quiet.problems().list().len(),
        troubled.problems().list().len()
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let median = |mut times: Vec<Duration>| {
        times.sort();
        (ms(times[times.len() / 2]), ms(times[times.len() * 9 / 10]))
    };
    for round in 1..=3 {
        let cases: [(&str, &turntop::model::Model, TableKind); 3] = [
            (
                "allocations + badge, no problems",
                &quiet,
                TableKind::Allocations,
            ),
            (
                "allocations + badge, with problems",
                &troubled,
                TableKind::Allocations,
            ),
            (
                "problems view, with problems",
                &troubled,
                TableKind::Problems,
            ),
        ];
        for (name, m, kind) in cases {
            let mut app = App::new(kind);
            let mut times = Vec::with_capacity(repeat);
            for _ in 0..repeat {
                let t = Instant::now();
                terminal
                    .draw(|f| {
                        ui::draw(f, &mut app, m, now, info, theme);
                    })
                    .expect("draw");
                times.push(t.elapsed());
            }
            let (med, p90) = median(times);
            println!("round {round}: {name:<38} {med:>7.2}ms {p90:>7.2}ms");
        }
        for (name, m) in [
            ("tick: find problems, none", &mut quiet),
            ("tick: find problems, many", &mut troubled),
        ] {
            let mut times = Vec::with_capacity(10);
            for _ in 0..10 {
                let t = Instant::now();
                m.update_problems(now);
                times.push(t.elapsed());
            }
            let (med, p90) = median(times);
            println!("round {round}: {name:<38} {med:>7.2}ms {p90:>7.2}ms");
        }
    }
}

/// A CLI view that knows every open allocation of `model`, with two peers each.
fn cli_view(model: &turntop::model::Model, now: f64) -> turntop::coturn_cli::CliView {
    use turntop::coturn_cli::view::{CliEvent, CliState, EndpointCli};
    use turntop::coturn_cli::{CliSession, CliView, PsAnswer};
    let mut view = CliView {
        endpoints: model
            .endpoints()
            .iter()
            .map(|_| Some(EndpointCli::new("127.0.0.1:5766")))
            .collect(),
        ..CliView::default()
    };
    for (i, ep) in view.endpoints.iter_mut().enumerate() {
        let Some(ep) = ep else { continue };
        let sessions: Vec<CliSession> = model
            .allocations()
            .filter(|a| usize::from(a.endpoint.0) == i && a.state(now).is_some_and(|s| s.is_open()))
            .map(|a| CliSession {
                id: a.id.0,
                peers: vec!["192.0.2.1:4000".into(), "192.0.2.2:4000".into()],
                ..CliSession::default()
            })
            .collect();
        ep.add_sessions(
            "all",
            PsAnswer {
                total: sessions.len() as u64,
                sessions,
                capped: false,
            },
        );
    }
    for i in 0..view.endpoints.len() {
        view.apply(i as u16, CliEvent::State(CliState::Up), now, 0);
    }
    view
}
