//! The demo produces every kind of problem it can from time to time (issue 13): a stuck
//! allocation, a hog, a busy user, lost reports, and its restarts; through the real parser and
//! the model's once-a-second tick, as `turntop --demo` runs them.

use std::collections::BTreeSet;

use turntop::demo::{Demo, DemoConfig};
use turntop::model::{EndpointId, Model, ModelConfig, ProblemKind};

const START: f64 = 1_795_600_000.0;

#[test]
fn the_demo_shows_stuck_hog_busy_user_mismatch_and_restart() {
    let mut demo = Demo::new(DemoConfig::default(), START);
    let mut m = Model::new(ModelConfig::default());
    let ep = m.add_endpoint("demo");
    let mut seen = BTreeSet::new();
    let feed = |m: &mut Model, msgs: Vec<turntop::demo::DemoMessage>| {
        for msg in msgs {
            let ev = msg.into_event(EndpointId(ep.0));
            ev.apply_to(m);
        }
    };
    let warm = demo.prewarm();
    feed(&mut m, warm);
    m.tick(START);
    let mut t = START;
    // Long enough for every episode to come around at the default pace (and a restart).
    while t < START + 1800.0 && seen.len() < 5 {
        t += 1.0;
        let msgs = demo.advance(t);
        feed(&mut m, msgs);
        m.tick(t);
        for p in m.problems().list() {
            seen.insert(p.kind);
        }
    }
    m.check_invariants(t).expect("invariants");
    let want: BTreeSet<ProblemKind> = [
        ProblemKind::Stuck,
        ProblemKind::Hog,
        ProblemKind::BusyUser,
        ProblemKind::Mismatch,
        ProblemKind::Restart,
    ]
    .into();
    assert_eq!(seen, want, "after {} s", t - START);
}
