//! The identity rules of the model (issue 12), one test per rule, on a fixed clock: ids reused
//! after a coturn restart, ids shared by two coturns on one Redis, and the reconciliation of
//! rows with the status keys (including a key deleted under a live, active allocation).
//! Messages go through the real parser, as coturn would publish them.

use turntop::coturn::{AllocationId, Counters, EventKind, Leg, channel_name, counters_payload};
use turntop::model::{EndReason, EndpointId, Model, ModelConfig, State};
use turntop::output;

const T0: f64 = 1_800_000_000.0;
const REALM: Option<&str> = Some("fleet.example");
const ID: AllocationId = AllocationId(1_000_000_000_000_002);
const A: &str = "10.0.0.1:3478";
const B: &str = "10.0.0.2:3478";

struct Lab {
    m: Model,
    ep: EndpointId,
}

impl Lab {
    fn new() -> Lab {
        let mut m = Model::new(ModelConfig {
            retention: 1e9,
            ..ModelConfig::default()
        });
        let ep = m.add_endpoint("redis");
        Lab { m, ep }
    }

    fn publish(&mut self, at: f64, user: &str, kind: EventKind, payload: &str) {
        let ch = channel_name(REALM, user, ID, kind);
        self.m.apply_raw(self.ep, T0 + at, &ch, payload.as_bytes());
        self.m.check_invariants(T0 + at).expect("invariants");
    }

    fn new_on(&mut self, at: f64, user: &str, local: &str) {
        let fields = format!("lifetime=600, type=UDP, local={local}, remote=192.0.2.7:5000");
        self.publish(at, user, EventKind::Status, &format!("new {fields}"));
        self.publish(at, user, EventKind::Status, &format!("refreshed {fields}"));
    }

    fn refresh_on(&mut self, at: f64, user: &str, local: &str) {
        let fields = format!("lifetime=600, type=UDP, local={local}, remote=192.0.2.7:5000");
        self.publish(at, user, EventKind::Status, &format!("refreshed {fields}"));
    }

    fn traffic(&mut self, at: f64, user: &str, bytes: u64) {
        let c = Counters {
            rcvp: 1,
            rcvb: bytes,
            sentp: 1,
            sentb: bytes,
        };
        self.publish(
            at,
            user,
            EventKind::Traffic(Leg::Client),
            &counters_payload(&c),
        );
    }

    fn delete(&mut self, at: f64, user: &str) {
        self.publish(at, user, EventKind::Status, "deleted");
    }

    /// One reconciliation pass at `at` that finds exactly these keys (user, local).
    fn pass(&mut self, at: f64, keys: &[(&str, &str)]) {
        self.m.begin_seed(self.ep, T0 + at);
        for (user, local) in keys {
            let key = channel_name(REALM, user, ID, EventKind::Status);
            let value = format!("refreshed lifetime=600, type=UDP, local={local}");
            self.m.seed_status(self.ep, T0 + at, &key, value.as_bytes());
        }
        self.m.end_seed(self.ep, T0 + at);
        self.m.check_invariants(T0 + at).expect("invariants");
    }

    fn tick(&mut self, at: f64) {
        self.m.evict(T0 + at);
        self.m.check_invariants(T0 + at).expect("invariants");
    }

    /// (state, local, bytes, end reason, collision) of every row of `user`, oldest first.
    fn rows(&self, at: f64, user: &str) -> Vec<(State, String, u64, Option<EndReason>, bool)> {
        let mut rows: Vec<_> = self
            .m
            .allocations()
            .filter(|a| self.m.user_of(a).name.as_ref() == user)
            .map(|a| {
                (
                    a.slot,
                    (
                        a.state(T0 + at).expect("an allocation"),
                        self.m.atom(a.local).unwrap_or("?").to_owned(),
                        a.client.sum.bytes(),
                        a.end_reason,
                        a.collision,
                    ),
                )
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        rows.into_iter().map(|r| r.1).collect()
    }
}

#[test]
fn a_new_on_the_same_listener_is_a_restart_the_old_row_ends_replaced() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "alice", A);
    lab.traffic(20.0, "alice", 1000);
    // coturn is killed (nothing published), restarts, the client reconnects and gets the id.
    lab.new_on(40.0, "alice", A);
    lab.traffic(60.0, "alice", 300);
    assert_eq!(
        lab.rows(61.0, "alice"),
        [
            (
                State::Deleted,
                A.into(),
                2000,
                Some(EndReason::Replaced),
                false
            ),
            (State::Live, A.into(), 600, None, false),
        ],
        "each allocation is its own row, the new one from zero"
    );
    assert_eq!(lab.m.counters.ids_reused, 1);
    assert_eq!(lab.m.counters.id_collisions, 0);
    // The restart deleted every status key: reconcile this endpoint now.
    assert_eq!(lab.m.take_reconcile_requests(), [lab.ep]);
    assert!(lab.m.take_reconcile_requests().is_empty());
    let old = lab.m.allocations().next().unwrap();
    assert_eq!(old.ended_at, Some(T0 + 40.0));
    assert!(old.ended_unseen() && !old.totals_mismatch());
}

#[test]
fn a_new_without_a_listener_old_coturn_is_a_restart_too() {
    let mut lab = Lab::new();
    lab.publish(0.0, "bob", EventKind::Status, "new lifetime=600");
    lab.publish(30.0, "bob", EventKind::Status, "new lifetime=600");
    let states: Vec<_> = lab.rows(31.0, "bob").into_iter().map(|r| r.3).collect();
    assert_eq!(states, [Some(EndReason::Replaced), None]);
    assert_eq!(lab.m.counters.ids_reused, 1);
}

#[test]
fn a_new_after_a_delete_is_a_new_row_and_no_reuse() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "carol", A);
    lab.delete(10.0, "carol");
    lab.new_on(20.0, "carol", A);
    let reasons: Vec<_> = lab.rows(21.0, "carol").into_iter().map(|r| r.3).collect();
    assert_eq!(reasons, [Some(EndReason::Deleted), None]);
    assert_eq!(lab.m.counters.ids_reused, 0);
}

#[test]
fn a_new_on_another_listener_is_a_collision_both_rows_stay_and_are_flagged() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "alice", A);
    lab.new_on(5.0, "alice", B);
    assert_eq!(
        lab.rows(6.0, "alice"),
        [
            (State::Live, A.into(), 0, None, true),
            (State::Live, B.into(), 0, None, true),
        ]
    );
    assert_eq!(lab.m.counters.id_collisions, 1);
    assert_eq!(lab.m.counters.ids_reused, 0);
    // The rule: traffic of a shared id goes to the row that last had a status of its own.
    lab.traffic(10.0, "alice", 100);
    lab.refresh_on(20.0, "alice", A);
    lab.traffic(30.0, "alice", 1000);
    let bytes: Vec<u64> = lab.rows(31.0, "alice").iter().map(|r| r.2).collect();
    assert_eq!(bytes, [2000, 200]);
    // A third server with the same id: still one collided id.
    lab.new_on(40.0, "alice", "10.0.0.3:3478");
    assert_eq!(lab.m.counters.id_collisions, 1);
    assert_eq!(lab.rows(41.0, "alice").len(), 3);
    // JSON says so.
    let snap = output::snapshot(&lab.m, T0 + 41.0);
    assert!(snap.allocations.iter().all(|a| a.collision));
    assert_eq!(snap.counters.id_collisions, 1);
}

#[test]
fn a_collided_row_never_shows_its_totals_as_exact_or_mismatched() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "dave", A);
    lab.new_on(1.0, "dave", B);
    lab.traffic(2.0, "dave", 100);
    let total = counters_payload(&Counters {
        rcvp: 9,
        rcvb: 900,
        sentp: 9,
        sentb: 900,
    });
    lab.publish(3.0, "dave", EventKind::TotalTraffic(Leg::Client), &total);
    assert!(lab.m.allocations().all(|a| !a.totals_mismatch()));
}

#[test]
fn a_delete_of_a_shared_id_ends_neither_until_the_survivor_speaks() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "erin", A);
    lab.new_on(1.0, "erin", B);
    lab.take_reconcile_requests_and_ignore();
    // One of the two servers deleted its allocation; Redis does not say which.
    lab.delete(10.0, "erin");
    let states: Vec<_> = lab.rows(11.0, "erin").into_iter().map(|r| r.0).collect();
    assert_eq!(states, [State::Unconfirmed, State::Unconfirmed]);
    assert_eq!(lab.m.take_reconcile_requests(), [lab.ep]);
    // B refreshes: B is alive, so A was the one deleted, at the time of the delete.
    lab.refresh_on(50.0, "erin", B);
    assert_eq!(
        lab.rows(51.0, "erin"),
        [
            (State::Deleted, A.into(), 0, Some(EndReason::Deleted), true),
            (State::Live, B.into(), 0, None, true),
        ]
    );
    let a = lab.m.allocations().next().unwrap();
    assert_eq!(a.ended_at, Some(T0 + 10.0));
}

#[test]
fn a_doubted_row_nobody_confirms_ends_when_its_lifetime_runs_out() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "erin", A);
    lab.new_on(1.0, "erin", B);
    lab.delete(10.0, "erin");
    lab.refresh_on(300.0, "erin", A);
    // A refreshed: B was deleted.
    let reasons: Vec<_> = lab.rows(301.0, "erin").into_iter().map(|r| r.3).collect();
    assert_eq!(reasons, [None, Some(EndReason::Deleted)]);
    // Both doubted, neither speaks: each ends at its lifetime's end, gone from Redis.
    let mut lab = Lab::new();
    lab.new_on(0.0, "erin", A);
    lab.new_on(1.0, "erin", B);
    lab.delete(10.0, "erin");
    lab.tick(599.0);
    assert!(
        lab.rows(599.0, "erin")
            .iter()
            .all(|r| r.0 == State::Unconfirmed)
    );
    lab.tick(602.0);
    let reasons: Vec<_> = lab.rows(602.0, "erin").into_iter().map(|r| r.3).collect();
    assert_eq!(
        reasons,
        [
            Some(EndReason::GoneFromRedis),
            Some(EndReason::GoneFromRedis)
        ]
    );
}

#[test]
fn a_missing_key_never_ends_a_heard_row_it_makes_a_silent_one_unconfirmed() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "quiet", A);
    lab.new_on(0.0, "chatty", A);
    lab.traffic(55.0, "chatty", 100);
    // A pass at 60 s finds no key at all (another coturn's start-up deleted them).
    lab.pass(60.0, &[]);
    let state = |lab: &Lab, at: f64, user: &str| lab.rows(at, user)[0].0;
    assert_eq!(
        state(&lab, 60.0, "quiet"),
        State::Unconfirmed,
        "silent 60 s"
    );
    assert_eq!(state(&lab, 60.0, "chatty"), State::Live, "heard 5 s ago");
    // The chatty one keeps reporting every 20 s: never unconfirmed.
    for t in [75.0, 95.0, 115.0] {
        lab.tick(t - 0.5);
        assert_eq!(state(&lab, t - 0.5, "chatty"), State::Live);
        lab.traffic(t, "chatty", 100);
    }
    // Traffic confirms the quiet one live again.
    lab.traffic(120.0, "quiet", 100);
    assert_eq!(state(&lab, 120.0, "quiet"), State::Live);
    // The chatty one falls silent: 30 s after its last report it is unconfirmed, not ended.
    lab.pass(130.0, &[("quiet", A)]);
    lab.tick(144.0);
    assert_eq!(state(&lab, 144.0, "chatty"), State::Live);
    lab.tick(146.0);
    assert_eq!(state(&lab, 146.0, "chatty"), State::Unconfirmed);
    // Its key back at the next pass (the next refresh re-SET it): confirmed.
    lab.pass(160.0, &[("quiet", A), ("chatty", A)]);
    assert_eq!(state(&lab, 160.0, "chatty"), State::Live);
    let a = lab.m.allocations().find(|a| a.key_missing_at().is_some());
    assert!(a.is_none(), "{a:?}");
}

#[test]
fn an_unconfirmed_row_ends_when_its_lifetime_runs_out_with_nothing_heard() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "ghost", A);
    lab.pass(100.0, &[]);
    lab.tick(599.0);
    assert_eq!(lab.rows(599.0, "ghost")[0].0, State::Unconfirmed);
    lab.tick(601.0);
    let row = &lab.rows(601.0, "ghost")[0];
    assert_eq!(
        (row.0, row.3),
        (State::Deleted, Some(EndReason::GoneFromRedis))
    );
    let a = lab.m.allocations().next().unwrap();
    assert_eq!(a.ended_at, Some(T0 + 600.0), "when its lifetime ran out");
}

#[test]
fn released_or_expired_rows_whose_key_is_gone_end_at_once() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "released", A);
    lab.publish(5.0, "released", EventKind::Status, "refreshed lifetime=0");
    lab.new_on(0.0, "expired", A);
    // Expired (lifetime over, no delete: a stuck session or a dead coturn) with its key there.
    lab.pass(700.0, &[("expired", A)]);
    assert_eq!(lab.rows(700.0, "expired")[0].0, State::Expired);
    assert_eq!(
        lab.rows(700.0, "released")[0].3,
        Some(EndReason::GoneFromRedis)
    );
    // Its key deleted (its coturn restarted): it ends.
    lab.pass(730.0, &[]);
    assert_eq!(
        lab.rows(730.0, "expired")[0].3,
        Some(EndReason::GoneFromRedis)
    );
    // A row seeded from a dead coturn's key expires at its bound, and later passes that find
    // the same stale key do not make it live again.
    let mut lab = Lab::new();
    lab.pass(0.0, &[("stale", A)]);
    lab.pass(590.0, &[("stale", A)]);
    lab.pass(620.0, &[("stale", A)]);
    assert_eq!(lab.rows(620.0, "stale")[0].0, State::Expired);
}

#[test]
fn a_shared_redis_key_deleted_under_a_live_active_allocation_keeps_it_live() {
    // Two coturns on one Redis: coturn B restarts and deletes every status key, including
    // coturn A's live allocation's; A keeps relaying (a report every 3 s, video-like).
    let mut lab = Lab::new();
    lab.new_on(0.0, "video", A);
    let mut t = 3.0;
    while t < 400.0 {
        lab.traffic(t, "video", 50_000);
        if (t as u64).is_multiple_of(30) {
            // Passes every 30 s; the key is gone from 100 s until A's refresh at 300 s.
            let keys: &[(&str, &str)] = if (100.0..300.0).contains(&t) {
                &[]
            } else {
                &[("video", A)]
            };
            lab.pass(t + 0.5, keys);
        }
        if t == 300.0 {
            lab.refresh_on(t, "video", A);
        }
        lab.tick(t + 1.0);
        let rows = lab.rows(t + 1.0, "video");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, State::Live, "at {t}");
        t += 3.0;
    }
}

#[test]
fn a_seed_that_read_the_key_before_the_new_arrived_is_the_same_allocation() {
    // coturn SETs the key, then publishes `new`: a seed may read the key first.
    let mut lab = Lab::new();
    lab.pass(0.0, &[("fresh", A)]);
    lab.new_on(0.3, "fresh", A);
    let rows = lab.rows(1.0, "fresh");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(lab.m.counters.ids_reused, 0);
    let a = lab.m.allocations().next().unwrap();
    assert_eq!(a.first_seen, Some(T0 + 0.3));
}

#[test]
fn a_key_read_before_its_delete_does_not_bring_the_row_back() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "late", A);
    // The pass starts at 10; MGET read the key, then coturn DELs it and publishes `deleted`,
    // which we apply before the pass's batch.
    lab.m.begin_seed(lab.ep, T0 + 10.0);
    lab.delete(10.1, "late");
    let key = channel_name(REALM, "late", ID, EventKind::Status);
    let value = format!("refreshed lifetime=600, type=UDP, local={A}");
    lab.m.seed_status(lab.ep, T0 + 10.2, &key, value.as_bytes());
    lab.m.end_seed(lab.ep, T0 + 10.2);
    let rows = lab.rows(11.0, "late");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].3, Some(EndReason::Deleted));
}

#[test]
fn a_key_of_an_allocation_we_never_heard_of_after_an_old_delete_is_a_new_row() {
    let mut lab = Lab::new();
    lab.new_on(0.0, "back", A);
    lab.delete(10.0, "back");
    // Later (after a restart we missed) the same id is a live allocation again.
    lab.pass(500.0, &[("back", A)]);
    let states: Vec<_> = lab.rows(500.0, "back").into_iter().map(|r| r.0).collect();
    assert_eq!(states, [State::Deleted, State::Live]);
    assert_eq!(lab.m.counters.seeded, 1);
}

impl Lab {
    fn take_reconcile_requests_and_ignore(&mut self) {
        let _ = self.m.take_reconcile_requests();
    }
}
