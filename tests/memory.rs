//! Bounded memory (issue 12): a realm costs well under 1 KB until it has enough allocations to
//! keep its own history ring, and its sparklines are the same either way.

use turntop::coturn::{AllocationId, Counters, EventKind, Leg, channel_name, counters_payload};
use turntop::model::{Model, ModelConfig};

const T0: f64 = 1_800_000_000.0;

/// `allocs` allocations spread over `realms` realms (one user each), each reporting every 20 s
/// for `secs` seconds.
fn model(allocs: usize, realms: usize, secs: u32) -> Model {
    let mut m = Model::new(ModelConfig::default());
    let ep = m.add_endpoint("redis");
    let channel = |a: usize, kind| {
        let realm = format!("tenant{}.example", a % realms);
        channel_name(
            Some(&realm),
            &format!("user{a}"),
            AllocationId(a as u64 + 1),
            kind,
        )
    };
    for a in 0..allocs {
        let status = "new lifetime=600, type=UDP, local=10.0.0.1:3478, remote=192.0.2.1:4000";
        m.apply_raw(ep, T0, &channel(a, EventKind::Status), status.as_bytes());
    }
    let delta = counters_payload(&Counters {
        rcvp: 1000,
        rcvb: 100_000,
        sentp: 1000,
        sentb: 100_000,
    });
    for t in (20..=secs).step_by(20) {
        for a in 0..allocs {
            for leg in [Leg::Client, Leg::Peer] {
                let at = T0 + f64::from(t) + (a % 20) as f64 / 20.0;
                m.apply_raw(
                    ep,
                    at,
                    &channel(a, EventKind::Traffic(leg)),
                    delta.as_bytes(),
                );
            }
        }
    }
    m.check_hot().expect("hot copy");
    m
}

#[test]
fn a_realm_with_few_allocations_costs_well_under_a_kilobyte() {
    let (allocs, secs) = (4000, 120);
    let many = model(allocs, allocs, secs).approx_bytes();
    let few = model(allocs, 4, secs).approx_bytes();
    let per_realm = (many as f64 - few as f64) / (allocs - 4) as f64;
    eprintln!("{allocs} realms: {many} B; 4 realms: {few} B; {per_realm:.0} B per extra realm");
    assert!(per_realm < 512.0, "{per_realm:.0} B per realm");
}

#[test]
fn a_realm_draws_the_same_history_from_its_allocations_or_its_ring() {
    // 7 allocations per realm: no ring; 8: a ring, filled from their reports so far.
    for per_realm in [7, 8] {
        let m = model(per_realm, 1, 300);
        let (slot, realm) = m.realms().next().expect("a realm");
        assert_eq!(realm.history.is_some(), per_realm >= 8);
        let now = T0 + 300.0;
        let realm_h = m.realm_history(slot, Leg::Client, now, 30, 10.0);
        let mut users = vec![0.0; 30];
        for (u, _) in m.users() {
            for (sum, v) in users
                .iter_mut()
                .zip(m.user_history(u, Leg::Client, now, 30, 10.0))
            {
                *sum += v.unwrap_or(0.0);
            }
        }
        let total: f64 = realm_h.iter().map(|v| v.unwrap_or(0.0)).sum();
        let want: f64 = users.iter().sum();
        assert!(
            (total - want).abs() <= want * 0.02,
            "{per_realm}: {total} vs {want}: {realm_h:?} vs {users:?}"
        );
        // 14 reports of 200 kB per leg and allocation over 280 s, in 10 s buckets.
        let expect = per_realm as f64 * 14.0 * 200_000.0 / 10.0;
        assert!(
            (total - expect).abs() <= expect * 0.1,
            "{total} vs {expect}"
        );
    }
}
