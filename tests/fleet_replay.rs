//! The recordings of `tests/fixtures/fleet/` (real coturn 4.6.1, see its README), replayed with
//! their passes over the status keys, against coturn's own session lists (`ps`) of the same
//! moment: a coturn crashed and restarted on its ports, and two coturns sharing one Redis.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use turntop::capture;
use turntop::model::{EndReason, Model, ModelConfig, State};
use turntop::output::{self, AllocationOut, Snapshot};
use turntop::record;
use turntop::source::replay;

type Session = (String, String);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fleet")
        .join(name)
}

/// `user<TAB>id` lines: coturn's `ps`, as the recording test wrote it.
fn ps(name: &str) -> BTreeSet<Session> {
    std::fs::read_to_string(fixture(name))
        .expect("ps file")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(u, id)| (u.to_owned(), id.to_owned()))
        .collect()
}

/// The whole recording replayed (its passes where they happened), with turntop's defaults;
/// the state at the end of the recording.
fn replayed(name: &str) -> Snapshot {
    let path = fixture(name);
    let records = capture::read_file(&path).expect("capture");
    let passes = record::read_passes(&path).expect("passes");
    let mut m = Model::new(ModelConfig {
        retention: 1e9,
        ..ModelConfig::default()
    });
    let ep = m.add_endpoint("recording");
    let now = replay::apply_all_with_passes(&mut m, ep, &records, &passes);
    m.check_invariants(now).expect("invariants");
    output::snapshot(&m, now)
}

fn session(a: &AllocationOut) -> Session {
    (a.user.clone(), a.id.clone())
}

fn held(a: &AllocationOut) -> bool {
    matches!(a.state, State::Live | State::Released | State::Expired)
}

#[test]
fn restart_replays_to_coturns_own_sessions() {
    let s = replayed("restart.txt");
    let (before, after) = (ps("restart-ps-before.txt"), ps("restart-ps-after.txt"));
    let live: BTreeSet<Session> = s
        .allocations
        .iter()
        .filter(|a| held(a))
        .map(session)
        .collect();
    assert_eq!(live, after, "live rows are the restarted coturn's sessions");
    let reused: BTreeSet<&Session> = before.intersection(&after).collect();
    assert!(!reused.is_empty());
    assert_eq!(s.counters.ids_reused as usize, reused.len());
    for id in &reused {
        let reasons: BTreeSet<Option<EndReason>> = s
            .allocations
            .iter()
            .filter(|a| session(a) == **id)
            .map(|a| a.end_reason)
            .collect();
        assert_eq!(
            reasons,
            BTreeSet::from([None, Some(EndReason::Replaced)]),
            "{id:?}"
        );
    }
    // The sessions that did not come back: unconfirmed (their keys are gone, nothing heard),
    // never deleted: their lifetime has not run out.
    for gone in before.difference(&after) {
        let row = s.allocations.iter().find(|a| &session(a) == gone).unwrap();
        assert_eq!(row.state, State::Unconfirmed, "{row:#?}");
    }
    assert_eq!(s.allocations.len(), before.len() + after.len());
    assert_eq!(s.counters.id_collisions, 0);
}

#[test]
fn shared_redis_replays_one_row_per_allocation_collisions_flagged() {
    let s = replayed("shared-redis.txt");
    let (ps_a, ps_b) = (ps("shared-redis-ps-a.txt"), ps("shared-redis-ps-b.txt"));
    // Every `new` of either server is a row.
    assert_eq!(s.allocations.len(), ps_a.len() + ps_b.len());
    let shared: BTreeSet<&Session> = ps_a.intersection(&ps_b).collect();
    assert!(!shared.is_empty());
    assert_eq!(s.counters.id_collisions as usize, shared.len());
    for row in &s.allocations {
        assert_eq!(row.collision, shared.contains(&session(row)), "{row:#?}");
    }
    // The two listeners: b's is the one with dan's sessions (dan was on b only).
    let mut by_local: BTreeMap<String, BTreeSet<Session>> = BTreeMap::new();
    for row in &s.allocations {
        by_local
            .entry(row.local.clone().unwrap_or_default())
            .or_default()
            .insert(session(row));
    }
    assert_eq!(by_local.len(), 2, "{by_local:?}");
    let (lb, b_sessions) = by_local
        .iter()
        .find(|(_, ss)| ss.iter().any(|(u, _)| u == "dan"))
        .expect("b's listener");
    assert_eq!(b_sessions, &ps_b);
    // a crashed and restarted (its start-up deleted every key, b's too): b's allocations are
    // never shown ended, and those that kept reporting are live (uclient's idle session, never
    // refreshed and silent, is unconfirmed: its key is gone and nothing was heard).
    let mut reporting = 0;
    for row in s
        .allocations
        .iter()
        .filter(|a| a.local.as_deref() == Some(lb))
    {
        assert_ne!(row.state, State::Deleted, "{row:#?}");
        if !row.collision && row.last_report_age_s.is_some_and(|age| age < 8.0) {
            assert_eq!(row.state, State::Live, "{row:#?}");
            reporting += 1;
        }
    }
    assert!(
        reporting >= 2,
        "{reporting} of b's allocations reporting at the end"
    );
    // The servers: two listeners with their counts.
    assert_eq!(s.servers.len(), 2);
    let b = s
        .servers
        .iter()
        .find(|x| x.local.as_deref() == Some(lb))
        .unwrap();
    assert_eq!(b.allocations_ended, 0);
    assert_eq!(b.allocations_collided as usize, shared.len());
}
