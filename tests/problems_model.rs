//! Problems computed by the model (issue 13), one test per kind on a fixed clock: each appears
//! at its threshold and not before, and clears when its cause is gone. Messages go through the
//! real parser, as coturn publishes them; the tick (`Model::tick`) finds the problems, as in the TUI.

use turntop::coturn::{AllocationId, Counters, EventKind, Leg, channel_name, counters_payload};
use turntop::model::{
    ConnectionState, EndpointId, Model, ModelConfig, ProblemKind, Severity, Subject, Thresholds,
};

const T0: f64 = 1_800_000_000.0;
const REALM: Option<&str> = Some("lab.example");
const LOCAL: &str = "10.0.0.1:3478";

struct Lab {
    m: Model,
    ep: EndpointId,
}

fn id(n: u64) -> AllocationId {
    AllocationId(n)
}

impl Lab {
    fn new() -> Lab {
        Lab::with(Thresholds::default())
    }

    fn with(t: Thresholds) -> Lab {
        let mut m = Model::new(ModelConfig {
            retention: 1e9,
            ..ModelConfig::default()
        });
        m.set_problem_thresholds(t);
        let ep = m.add_endpoint("redis-a");
        m.set_connection(ep, T0, ConnectionState::Connected);
        Lab { m, ep }
    }

    fn publish(&mut self, at: f64, user: &str, n: u64, kind: EventKind, payload: &str) {
        let ch = channel_name(REALM, user, id(n), kind);
        self.m.apply_raw(self.ep, T0 + at, &ch, payload.as_bytes());
    }

    fn new_on(&mut self, at: f64, user: &str, n: u64, local: &str, lifetime: u32) {
        let fields = format!("lifetime={lifetime}, type=UDP, local={local}, remote=192.0.2.7:5000");
        self.publish(at, user, n, EventKind::Status, &format!("new {fields}"));
        self.publish(
            at,
            user,
            n,
            EventKind::Status,
            &format!("refreshed {fields}"),
        );
    }

    fn open(&mut self, at: f64, user: &str, n: u64) {
        self.new_on(at, user, n, LOCAL, 600);
    }

    fn traffic(&mut self, at: f64, user: &str, n: u64, bytes: u64) {
        let c = Counters {
            rcvp: 4000,
            rcvb: bytes,
            sentp: 96,
            sentb: bytes,
        };
        self.publish(
            at,
            user,
            n,
            EventKind::Traffic(Leg::Client),
            &counters_payload(&c),
        );
    }

    /// `deleted`, then coturn's totals: those of `reports` traffic reports of `bytes` each.
    fn delete(&mut self, at: f64, user: &str, n: u64, reports: u64, bytes: u64) {
        self.publish(at, user, n, EventKind::Status, "deleted");
        let c = Counters {
            rcvp: 4000 * reports,
            rcvb: bytes * reports,
            sentp: 96 * reports,
            sentb: bytes * reports,
        };
        let payload = counters_payload(&c);
        self.publish(at, user, n, EventKind::TotalTraffic(Leg::Client), &payload);
        let zero = counters_payload(&Counters::default());
        self.publish(at, user, n, EventKind::TotalTraffic(Leg::Peer), &zero);
    }

    fn tick(&mut self, at: f64) -> Vec<(ProblemKind, Severity)> {
        self.m.tick(T0 + at);
        self.m.check_invariants(T0 + at).expect("invariants");
        self.m
            .problems()
            .list()
            .iter()
            .map(|p| (p.kind, p.severity))
            .collect()
    }

    fn kinds(&mut self, at: f64) -> Vec<ProblemKind> {
        self.tick(at).into_iter().map(|(k, _)| k).collect()
    }
}

#[test]
fn stuck_appears_stuck_after_the_lifetime_and_clears_on_delete() {
    let mut lab = Lab::new();
    lab.open(0.0, "alice", 1);
    assert!(lab.kinds(599.0).is_empty());
    // Expired, but coturn deletes on its own timer a moment later: not yet a problem.
    assert!(lab.kinds(605.0).is_empty(), "within stuck_after");
    assert_eq!(lab.kinds(610.0), [ProblemKind::Stuck]);
    let p = &lab.m.problems().list()[0];
    assert_eq!(p.since, T0 + 600.0, "since the lifetime ran out");
    assert!(matches!(p.subject, Subject::Allocation { id: 1, .. }));
    assert_eq!(p.user.as_deref(), Some("alice"));
    assert!(p.detail.contains("has not deleted"), "{}", p.detail);
    lab.delete(700.0, "alice", 1, 0, 0);
    assert!(lab.kinds(701.0).is_empty(), "cleared by the delete");
}

#[test]
fn hog_appears_over_allocation_rate_and_clears_when_it_calms_down() {
    let mut lab = Lab::with(Thresholds {
        allocation_rate: 1e6,
        ..Thresholds::default()
    });
    lab.open(0.0, "alice", 1);
    lab.traffic(10.0, "alice", 1, 1_000_000);
    // 2 MB over 10 s (both directions): 200 kB/s, under the threshold.
    assert!(lab.kinds(10.5).is_empty());
    // 2 MB over 1 s: 2 MB/s.
    lab.traffic(11.0, "alice", 1, 1_000_000);
    assert_eq!(lab.kinds(11.5), [ProblemKind::Hog]);
    let since = lab.m.problems().list()[0].since;
    assert_eq!(since, T0 + 11.5, "first seen");
    assert_eq!(lab.kinds(11.9), [ProblemKind::Hog]);
    assert_eq!(
        lab.m.problems().list()[0].since,
        since,
        "kept while it lasts"
    );
    // Silence: the estimate decays (at most a report's worth over the silence).
    assert!(lab.kinds(20.0).is_empty(), "cleared");
}

#[test]
fn busy_user_appears_over_user_allocations_and_clears() {
    let mut lab = Lab::with(Thresholds {
        user_allocations: 3,
        ..Thresholds::default()
    });
    for n in 1..=3 {
        lab.open(f64::from(n as u32), "leaky", n);
    }
    assert!(lab.kinds(5.0).is_empty(), "3 is not over 3");
    lab.open(6.0, "leaky", 4);
    assert_eq!(lab.kinds(7.0), [ProblemKind::BusyUser]);
    let p = &lab.m.problems().list()[0];
    assert!(matches!(p.subject, Subject::User(_)));
    assert_eq!(p.user.as_deref(), Some("leaky"));
    assert!(p.detail.starts_with("4 live allocations"), "{}", p.detail);
    lab.delete(8.0, "leaky", 4, 0, 0);
    assert!(lab.kinds(9.0).is_empty(), "cleared");
}

#[test]
fn busy_user_by_rate() {
    let mut lab = Lab::with(Thresholds {
        user_rate: 1e6,
        allocation_rate: 1e9,
        ..Thresholds::default()
    });
    lab.open(0.0, "bob", 1);
    lab.open(0.0, "bob", 2);
    lab.traffic(1.0, "bob", 1, 200_000);
    lab.traffic(1.0, "bob", 2, 200_000);
    assert!(lab.kinds(1.0).is_empty(), "800 kB/s");
    lab.traffic(1.5, "bob", 1, 200_000);
    assert_eq!(lab.kinds(1.5), [ProblemKind::BusyUser]);
}

#[test]
fn mismatch_appears_when_the_total_disagrees_and_clears_with_the_row() {
    let mut lab = Lab::new();
    lab.m = Model::new(ModelConfig {
        retention: 60.0,
        ..ModelConfig::default()
    });
    lab.ep = lab.m.add_endpoint("redis-a");
    lab.open(0.0, "alice", 1);
    lab.open(0.0, "alice", 2);
    lab.traffic(5.0, "alice", 1, 1000);
    lab.traffic(5.0, "alice", 2, 1000);
    lab.delete(6.0, "alice", 1, 1, 1000);
    assert!(lab.kinds(7.0).is_empty(), "totals agree");
    lab.delete(8.0, "alice", 2, 1, 5000);
    assert_eq!(lab.tick(9.0), [(ProblemKind::Mismatch, Severity::Warning)]);
    assert_eq!(lab.m.problems().list()[0].since, T0 + 8.0);
    assert!(lab.kinds(100.0).is_empty(), "gone with the row (retention)");
}

#[test]
fn endpoint_appears_after_endpoint_after_and_clears_on_reconnect() {
    let mut lab = Lab::new();
    let down = ConnectionState::Reconnecting {
        since: T0 + 10.0,
        retry_at: T0 + 11.0,
        reason: "connection refused".into(),
    };
    lab.m.set_connection(lab.ep, T0 + 10.0, down);
    assert!(lab.kinds(14.0).is_empty(), "a blip");
    assert_eq!(
        lab.tick(15.0),
        [(ProblemKind::Endpoint, Severity::Critical)]
    );
    let p = &lab.m.problems().list()[0];
    assert!(p.detail.contains("connection refused"), "{}", p.detail);
    assert_eq!(p.endpoint.as_deref(), Some("redis-a"));
    assert!(
        lab.m.take_new_critical(),
        "a new critical problem rings once"
    );
    lab.tick(16.0);
    assert!(!lab.m.take_new_critical(), "not again while it lasts");
    lab.m
        .set_connection(lab.ep, T0 + 20.0, ConnectionState::Connected);
    assert!(lab.kinds(20.0).is_empty(), "cleared");
}

#[test]
fn auth_failure_is_an_endpoint_problem() {
    let mut lab = Lab::new();
    let refused = ConnectionState::AuthFailed {
        since: T0,
        retry_at: T0 + 1.0,
        reason: "WRONGPASS".into(),
    };
    lab.m.set_connection(lab.ep, T0, refused);
    assert_eq!(lab.kinds(5.0), [ProblemKind::Endpoint]);
    assert!(lab.m.problems().list()[0].detail.contains("credentials"));
}

#[test]
fn silent_appears_after_silent_after_with_reporting_allocations_only() {
    let mut lab = Lab::with(Thresholds {
        silent_after: 60.0,
        ..Thresholds::default()
    });
    lab.open(0.0, "idle", 1);
    // An idle allocation never reports: its silence is normal.
    assert!(lab.kinds(100.0).is_empty());
    lab.open(100.0, "caller", 2);
    lab.traffic(120.0, "caller", 2, 10_000);
    lab.traffic(140.0, "caller", 2, 10_000);
    assert!(lab.kinds(199.0).is_empty(), "59 s of silence");
    assert_eq!(lab.tick(200.0), [(ProblemKind::Silent, Severity::Critical)]);
    assert_eq!(lab.m.problems().list()[0].since, T0 + 140.0);
    lab.traffic(210.0, "caller", 2, 10_000);
    assert!(lab.kinds(210.0).is_empty(), "heard again");
}

#[test]
fn collision_appears_when_two_coturns_share_an_id_and_clears_when_it_ends() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "alice", 7, "10.0.0.1:3478", 600);
    assert!(lab.kinds(1.0).is_empty());
    lab.new_on(2.0, "alice", 7, "10.0.0.2:3478", 600);
    assert_eq!(
        lab.tick(3.0),
        [(ProblemKind::Collision, Severity::Critical)]
    );
    assert!(matches!(
        lab.m.problems().list()[0].subject,
        Subject::Endpoint { endpoint: 0, .. }
    ));
    // One ends (Redis cannot say which), the other refreshes (so the first was the one), then
    // ends too.
    lab.delete(4.0, "alice", 7, 0, 0);
    let fields = "lifetime=600, type=UDP, local=10.0.0.2:3478, remote=192.0.2.7:5000";
    lab.publish(
        4.2,
        "alice",
        7,
        EventKind::Status,
        &format!("refreshed {fields}"),
    );
    assert_eq!(lab.kinds(4.3), [ProblemKind::Collision], "one still open");
    lab.delete(4.5, "alice", 7, 0, 0);
    let kinds = lab.kinds(5.0);
    assert!(!kinds.contains(&ProblemKind::Collision), "{kinds:?}");
}

#[test]
fn restart_appears_when_ids_are_reused_and_clears_after_restart_within() {
    let mut lab = Lab::with(Thresholds {
        restart_within: 300.0,
        ..Thresholds::default()
    });
    lab.open(0.0, "alice", 1);
    assert!(lab.kinds(10.0).is_empty());
    // The same listener gives id 1 to a new allocation: it restarted.
    lab.open(20.0, "bob", 1);
    lab.open(20.0, "alice", 1);
    assert_eq!(lab.tick(21.0), [(ProblemKind::Restart, Severity::Warning)]);
    assert_eq!(lab.m.problems().list()[0].since, T0 + 20.0);
    assert_eq!(lab.kinds(320.0), [ProblemKind::Restart]);
    assert!(lab.kinds(321.0).is_empty(), "older than restart_within");
}

#[test]
fn severity_comes_from_the_thresholds_and_critical_sorts_first() {
    let mut t = Thresholds::default();
    t.severity[ProblemKind::Stuck.index()] = Severity::Critical;
    t.user_allocations = 1;
    let mut lab = Lab::with(t);
    lab.open(0.0, "alice", 1);
    lab.open(650.0, "alice", 2);
    lab.open(650.0, "alice", 3);
    let got = lab.tick(660.0);
    assert_eq!(
        got,
        [
            (ProblemKind::Stuck, Severity::Critical),
            (ProblemKind::BusyUser, Severity::Warning)
        ]
    );
    assert_eq!(lab.m.problems().count(Severity::Critical), 1);
    assert_eq!(lab.m.problems().count(Severity::Warning), 1);
    assert_eq!(lab.m.problems().count_kind(ProblemKind::Stuck), 1);
}

#[test]
fn the_end_of_a_replay_is_not_a_silence() {
    let mut lab = Lab::with(Thresholds {
        silent_after: 60.0,
        ..Thresholds::default()
    });
    lab.open(0.0, "caller", 2);
    lab.traffic(20.0, "caller", 2, 10_000);
    lab.traffic(40.0, "caller", 2, 10_000);
    lab.m
        .set_connection(lab.ep, T0 + 41.0, ConnectionState::Finished);
    assert!(lab.kinds(200.0).is_empty());
}

#[test]
fn count_mismatch_appears_while_the_clis_difference_persists_and_clears_when_counts_agree() {
    use turntop::coturn_cli::link::feed_counts;
    use turntop::coturn_cli::view::{CliEvent, CliState, CliView, EndpointCli};
    let mut lab = Lab::new();
    lab.open(0.0, "alice", 1);
    let mut cli = CliView {
        endpoints: vec![Some(EndpointCli::new("127.0.0.1:5766"))],
        ..CliView::default()
    };
    let at = |lab: &mut Lab, cli: &CliView, t: f64| {
        feed_counts(cli, &mut lab.m, T0 + t);
        lab.tick(t)
    };
    cli.apply(0, CliEvent::State(CliState::Up), T0, 1);
    // coturn counts one more session than turntop's one open row: maybe events in flight.
    cli.apply(0, CliEvent::Count(2), T0 + 1.0, 1);
    assert!(
        at(&mut lab, &cli, 1.0).is_empty(),
        "not yet: events in flight"
    );
    cli.apply(0, CliEvent::Count(2), T0 + 11.0, 1);
    assert_eq!(
        at(&mut lab, &cli, 11.0),
        [(ProblemKind::CountMismatch, Severity::Warning)]
    );
    let p = &lab.m.problems().list()[0];
    assert!(matches!(p.subject, Subject::Endpoint { endpoint: 0, .. }));
    assert_eq!(p.subject_text(), "redis-a");
    assert_eq!(
        p.detail,
        "coturn counts 2 sessions, turntop 1: missed new/deleted events, or several coturns \
         share this Redis"
    );
    assert_eq!(lab.m.problems().count_kind(ProblemKind::CountMismatch), 1);
    // It lasts (dated from its first sighting) while the difference holds.
    assert_eq!(at(&mut lab, &cli, 15.0).len(), 1);
    assert_eq!(lab.m.problems().list()[0].since, T0 + 11.0);
    // coturn refreshed the missed session: turntop sees it, the counts agree.
    lab.open(18.0, "bob", 2);
    cli.apply(0, CliEvent::Count(2), T0 + 21.0, 2);
    assert!(at(&mut lab, &cli, 21.0).is_empty(), "cleared");
    // Configurable severity; and a CLI that goes down takes its verdict with it.
    lab.m.set_problem_thresholds(Thresholds {
        severity: {
            let mut s = Thresholds::default().severity;
            s[ProblemKind::CountMismatch.index()] = Severity::Critical;
            s
        },
        ..Thresholds::default()
    });
    cli.apply(0, CliEvent::Count(5), T0 + 31.0, 2);
    cli.apply(0, CliEvent::Count(5), T0 + 41.0, 2);
    assert_eq!(
        at(&mut lab, &cli, 41.0),
        [(ProblemKind::CountMismatch, Severity::Critical)]
    );
    cli.apply(
        0,
        CliEvent::State(CliState::Down("gone".into())),
        T0 + 42.0,
        2,
    );
    assert!(at(&mut lab, &cli, 42.0).is_empty(), "no CLI, no verdict");
}
