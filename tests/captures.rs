//! The parser and the model against real coturn 4.6.1 captures (tests/fixtures, copied from
//! shared/fixtures): every message parses, Σdeltas == total_traffic, the live set equals the
//! status keys coturn kept, aggregates are the sums of their allocations, rates are right.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use turntop::capture::{self, Record};
use turntop::coturn::{self, Counters, Leg};
use turntop::model::{Model, ModelConfig, State};
use turntop::output;
use turntop::source::replay;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1")
        .join(name)
}

const CAPTURES: [&str; 4] = [
    "pubsub-capture.txt",
    "pubsub-capture-no-auth.txt",
    "pubsub-capture-rest-api.txt",
    "pubsub-capture-tls-dtls.txt",
];

fn records(name: &str) -> Vec<Record> {
    capture::read_file(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A model that keeps everything: the checks want every ended allocation.
fn keep_all() -> Model {
    Model::new(ModelConfig {
        retention: 1e9,
        ..ModelConfig::default()
    })
}

fn replayed(name: &str) -> (Model, f64) {
    let mut m = keep_all();
    let ep = m.add_endpoint("capture");
    let now = replay::apply_all(&mut m, ep, &records(name));
    m.check_hot().unwrap();
    (m, now)
}

type Key = (Option<String>, String, String);

fn open_allocations(m: &Model, now: f64) -> BTreeSet<Key> {
    m.allocation_rows(now)
        .iter()
        .filter(|r| r.state.is_open())
        .map(|r| {
            (
                r.realm.map(str::to_owned),
                r.user.to_owned(),
                r.alloc.id.to_string(),
            )
        })
        .collect()
}

fn key_of_status_key(k: &str) -> Key {
    let ch = coturn::parse_channel(k).expect("status key parses");
    (
        ch.realm.map(str::to_owned),
        ch.user.to_owned(),
        ch.id.to_string(),
    )
}

#[test]
fn every_message_of_every_capture_parses() {
    let mut total = 0;
    for name in CAPTURES {
        for r in records(name) {
            coturn::parse_message(&r.channel, &r.message)
                .unwrap_or_else(|e| panic!("{name}: {} {e}", r.channel));
            total += 1;
        }
        let (m, _) = replayed(name);
        assert_eq!((m.counters.malformed, m.counters.unknown), (0, 0), "{name}");
    }
    assert_eq!(total, 347, "the four captures hold 347 messages");
    // The values of the status keys parse too.
    for line in std::fs::read_to_string(fixture("keys-snapshot.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let f: Vec<&str> = line.split('\t').collect();
        coturn::parse_channel(f[1]).unwrap();
        coturn::parse_status(f[4]).unwrap();
    }
}

#[test]
fn every_publish_coturn_sent_parses() {
    // MONITOR saw every PUBLISH coturn made: an independent view of the same messages.
    let mut n = 0;
    for (channel, payload) in monitor_commands("publish") {
        if channel.starts_with("turn/") {
            coturn::parse_message(&channel, payload.as_bytes())
                .unwrap_or_else(|e| panic!("{channel}: {e}"));
            n += 1;
        }
    }
    assert_eq!(
        n,
        records("pubsub-capture.txt").len(),
        "every turn/ publish reached the capture"
    );
}

#[test]
fn ended_allocations_sum_of_deltas_equals_total_traffic() {
    for name in CAPTURES {
        let (m, now) = replayed(name);
        let mut ended = 0;
        for row in m.allocation_rows(now) {
            if row.state != State::Deleted {
                continue;
            }
            ended += 1;
            let a = row.alloc;
            for leg in [Leg::Client, Leg::Peer] {
                let total = a
                    .total_of(leg)
                    .unwrap_or_else(|| panic!("{name} {}: no total for {leg:?}", a.id));
                assert_eq!(a.leg(leg).sum, total, "{name} {} {leg:?}", a.id);
            }
            assert!(!a.totals_mismatch());
        }
        assert!(ended >= 4, "{name}: only {ended} ended allocations");
    }
}

/// Parse MONITOR lines `t epoch [db client] "cmd" "arg1" "arg2"` into (arg1, arg2) for one cmd.
fn monitor_commands(cmd: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(fixture("commands-monitor.txt")).unwrap();
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.split_once("] ").map(|(_, r)| r) else {
            continue;
        };
        let args: Vec<String> = rest
            .split("\" \"")
            .map(|s| s.trim_matches('"').to_owned())
            .collect();
        if args[0].eq_ignore_ascii_case(cmd) {
            out.push((
                args.get(1).cloned().unwrap_or_default(),
                args.get(2).cloned().unwrap_or_default(),
            ));
        }
    }
    out
}

#[test]
fn live_set_at_the_end_equals_the_status_keys_coturn_left() {
    // The main capture: the keys left after turnserver stopped (keys-snapshot, last snapshot) and
    // the keys implied by coturn's own SET/DEL commands (MONITOR) must both equal what is open.
    let (m, now) = replayed("pubsub-capture.txt");
    let open = open_allocations(&m, now);
    let snapshots = snapshots();
    let last = &snapshots.last().unwrap().1;
    assert_eq!(&open, last);
    let mut keys = BTreeSet::new();
    let text = std::fs::read_to_string(fixture("commands-monitor.txt")).unwrap();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.split_once("] ").map(|(_, r)| r) else {
            continue;
        };
        let args: Vec<&str> = rest.split("\" \"").map(|s| s.trim_matches('"')).collect();
        match args[0].to_ascii_lowercase().as_str() {
            "set" if args[1].starts_with("turn/") => {
                keys.insert(args[1].to_owned());
            }
            "del" => {
                keys.remove(args[1]);
            }
            _ => {}
        }
    }
    let implied: BTreeSet<Key> = keys.iter().map(|k| key_of_status_key(k)).collect();
    assert_eq!(open, implied);
    assert_eq!(open.len(), 3);
}

/// keys-snapshot.txt as (t_rel, set of keys).
fn snapshots() -> Vec<(f64, BTreeSet<Key>)> {
    let text = std::fs::read_to_string(fixture("keys-snapshot.txt")).unwrap();
    let mut out: Vec<(f64, BTreeSet<Key>)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# snapshot\t") {
            let t = rest
                .split('\t')
                .next()
                .unwrap()
                .trim_start_matches("t_rel_s=")
                .parse()
                .unwrap();
            out.push((t, BTreeSet::new()));
        } else if !line.starts_with('#') {
            let key = line.split('\t').nth(1).unwrap();
            out.last_mut().unwrap().1.insert(key_of_status_key(key));
        }
    }
    out
}

#[test]
fn live_set_matches_every_key_snapshot_along_the_way() {
    let recs = records("pubsub-capture.txt");
    let t0 = recs[0].epoch - recs[0].t_rel;
    for (t_rel, keys) in snapshots() {
        let mut m = keep_all();
        let ep = m.add_endpoint("capture");
        let upto: Vec<Record> = recs.iter().filter(|r| r.t_rel <= t_rel).cloned().collect();
        replay::apply_all(&mut m, ep, &upto);
        assert_eq!(
            open_allocations(&m, t0 + t_rel),
            keys,
            "snapshot at t_rel={t_rel}"
        );
    }
}

#[test]
fn variant_captures_leave_the_keys_they_imply() {
    // For the variants there is no key snapshot: replay the SET/DEL rule coturn follows
    // (SET on new/refreshed, DEL on deleted) over the capture itself, independently of the model.
    for name in CAPTURES {
        let mut keys = BTreeSet::new();
        for r in records(name) {
            let Some(key) = r.channel.strip_suffix("/status") else {
                continue;
            };
            if r.message == b"deleted" {
                keys.remove(key);
            } else {
                keys.insert(key.to_owned());
            }
        }
        let implied: BTreeSet<Key> = keys
            .iter()
            .map(|k| key_of_status_key(&format!("{k}/status")))
            .collect();
        let (m, now) = replayed(name);
        assert_eq!(open_allocations(&m, now), implied, "{name}");
    }
}

#[test]
fn user_and_realm_aggregates_equal_the_sum_of_their_allocations() {
    for name in CAPTURES {
        let (m, now) = replayed(name);
        let snap = output::snapshot(&m, now);
        let mut by_user: BTreeMap<(Option<String>, String), (u32, Counters, Counters)> =
            BTreeMap::new();
        let mut by_realm: BTreeMap<Option<String>, (u32, Counters, Counters)> = BTreeMap::new();
        for a in &snap.allocations {
            let live = u32::from(matches!(a.state, State::Live | State::Released));
            for entry in [
                by_user
                    .entry((a.realm.clone(), a.user.clone()))
                    .or_default(),
                by_realm.entry(a.realm.clone()).or_default(),
            ] {
                entry.0 += live;
                entry.1.add(&a.client);
                entry.2.add(&a.peer);
            }
        }
        assert_eq!(snap.users.len(), by_user.len(), "{name}");
        for u in &snap.users {
            let (live, client, peer) = by_user[&(u.realm.clone(), u.user.clone())];
            assert_eq!(
                (u.allocations_live, u.client, u.peer),
                (live, client, peer),
                "{name} user {}",
                u.user
            );
        }
        assert_eq!(snap.realms.len(), by_realm.len(), "{name}");
        for r in &snap.realms {
            let (live, client, peer) = by_realm[&r.realm];
            assert_eq!(
                (r.allocations_live, r.client, r.peer),
                (live, client, peer),
                "{name} realm {:?}",
                r.realm
            );
        }
    }
}

#[test]
fn shapes_of_the_variants() {
    let (m, now) = replayed("pubsub-capture-no-auth.txt");
    let snap = output::snapshot(&m, now);
    assert!(
        snap.allocations
            .iter()
            .all(|a| a.realm.is_none() && a.user.is_empty())
    );
    assert_eq!(snap.realms.len(), 1);

    let (m, now) = replayed("pubsub-capture-rest-api.txt");
    let snap = output::snapshot(&m, now);
    let users: BTreeSet<&str> = snap.users.iter().map(|u| u.user.as_str()).collect();
    assert_eq!(
        users,
        BTreeSet::from(["1795641736:carol", "1795641736:dave"])
    );

    let (m, now) = replayed("pubsub-capture-tls-dtls.txt");
    let snap = output::snapshot(&m, now);
    let kinds: BTreeSet<(String, String)> = snap
        .allocations
        .iter()
        .map(|a| (a.transport.clone().unwrap(), a.ssl.clone().unwrap()))
        .collect();
    assert!(
        kinds.contains(&("TLS/TCP".into(), "TLSv1.2".into()))
            && kinds.contains(&("DTLS".into(), "DTLSv1.2".into()))
    );
    assert!(
        snap.allocations
            .iter()
            .all(|a| a.cipher.as_deref() == Some("ECDHE-RSA-AES256-GCM-SHA384"))
    );
    // Sessions closed before authentication publish traffic with an empty user and no status:
    // they are counted, not shown as allocations.
    assert_eq!(m.counters.sessions_without_allocation, 6);
    assert!(snap.allocations.iter().all(|a| !a.user.is_empty()));
}

#[test]
fn rate_of_a_report_is_its_bytes_over_the_interval_since_the_previous_one() {
    // bob's TCP allocation 000000000000000004 in the main capture reports its client leg at
    // epoch 1795586899.377 (t_rel 8.217) and 1795586904.497 (t_rel 13.337):
    // 126976 B received over 5.120 s = 24800 B/s, 126976 B sent likewise.
    let recs = records("pubsub-capture.txt");
    let upto: Vec<Record> = recs.iter().filter(|r| r.t_rel <= 13.337).cloned().collect();
    let mut m = keep_all();
    let ep = m.add_endpoint("capture");
    let now = replay::apply_all(&mut m, ep, &upto);
    let rows = m.allocation_rows(now);
    let row = rows
        .iter()
        .find(|r| r.user == "bob" && r.alloc.id.to_string() == "000000000000000004")
        .unwrap();
    let rate = row.client_rate.unwrap();
    let expected = 126976.0 / 5.120;
    assert!(
        (rate.rx - expected).abs() / expected < 0.01,
        "rx {} vs {expected}",
        rate.rx
    );
    assert!(
        (rate.tx - expected).abs() / expected < 0.01,
        "tx {} vs {expected}",
        rate.tx
    );
    // Peer leg: 122880 B each way over the same 5.120 s.
    let peer = row.peer_rate.unwrap();
    assert!((peer.rx - 122880.0 / 5.120).abs() / (122880.0 / 5.120) < 0.01);
    // The first report (t_rel 8.217) covers the time since `new` (t_rel 1.279): 6.938 s.
    let first = row.alloc.client.series.reports().next().unwrap();
    assert_eq!(first.span_ms, 6938);
    assert_eq!(first.rcvb, 127432);
}

#[test]
fn an_allocation_that_vanishes_counts_down_then_shows_expired_until_deleted() {
    // s5-udp-killed: bob 000000000000000009 last refreshed (lifetime 600) at t_rel 5.526 and
    // was deleted by coturn at t_rel 605.530.
    let recs = records("pubsub-capture.txt");
    let t0 = recs[0].epoch - recs[0].t_rel;
    let upto: Vec<Record> = recs.iter().filter(|r| r.t_rel < 600.0).cloned().collect();
    let mut m = keep_all();
    let ep = m.add_endpoint("capture");
    replay::apply_all(&mut m, ep, &upto);
    let find = |m: &Model, now: f64| {
        m.allocation_rows(now)
            .iter()
            .find(|r| r.user == "bob" && r.alloc.id.to_string() == "000000000000000009")
            .map(|r| (r.state, r.alloc.lifetime_left(now)))
            .unwrap()
    };
    let (state, left) = find(&m, t0 + 305.526);
    assert_eq!(state, State::Live);
    assert!((left.unwrap() - 300.0).abs() < 1e-6);
    let (state, left) = find(&m, t0 + 605.6);
    assert_eq!(state, State::Expired);
    assert!(left.unwrap() < 0.0);
    let rest: Vec<Record> = recs.iter().filter(|r| r.t_rel >= 600.0).cloned().collect();
    replay::apply_all(&mut m, ep, &rest);
    assert_eq!(find(&m, t0 + 606.0).0, State::Deleted);
}

#[test]
fn seeding_from_keys_then_following_the_stream() {
    // Start turntop at the first key snapshot (t_rel 11.347): seed from the keys, then apply
    // only what was published afterwards. The end state must be the full replay's, and
    // allocations whose early reports we missed must be flagged.
    let recs = records("pubsub-capture.txt");
    let t0 = recs[0].epoch - recs[0].t_rel;
    let text = std::fs::read_to_string(fixture("keys-snapshot.txt")).unwrap();
    let mut m = keep_all();
    let ep = m.add_endpoint("capture");
    m.begin_seed(ep, t0 + 11.347);
    for line in text.lines().filter(|l| l.starts_with("11.347\t")) {
        let f: Vec<&str> = line.split('\t').collect();
        m.seed_status(ep, t0 + 11.347, f[1], f[4].as_bytes());
    }
    m.end_seed(ep, t0 + 11.347);
    m.check_hot().unwrap();
    assert_eq!(m.counters.seeded, 13);
    let seeded_rows = m.allocation_rows(t0 + 11.347);
    assert!(
        seeded_rows
            .iter()
            .all(|r| r.alloc.first_seen.is_none() && r.alloc.expiry_is_upper_bound)
    );
    let later: Vec<Record> = recs.iter().filter(|r| r.t_rel > 11.347).cloned().collect();
    let now = replay::apply_all(&mut m, ep, &later);
    m.check_hot().unwrap();
    let (full, full_now) = replayed("pubsub-capture.txt");
    assert_eq!(open_allocations(&m, now), open_allocations(&full, full_now));
    let rows = m.allocation_rows(now);
    let bob4 = rows
        .iter()
        .find(|r| r.user == "bob" && r.alloc.id.to_string() == "000000000000000004")
        .unwrap();
    assert_eq!(bob4.state, State::Deleted);
    assert!(
        bob4.alloc.totals_mismatch(),
        "its first report (t_rel 8.2) came before we seeded"
    );
    // Its first report after seeding has no known interval start: no rate from it.
    assert_eq!(
        bob4.alloc.client.series.reports().next().unwrap().span_ms,
        0
    );
    let bob5 = rows
        .iter()
        .find(|r| r.user == "bob" && r.alloc.id.to_string() == "000000000000000005")
        .unwrap();
    assert!(
        bob5.alloc.totals_mismatch(),
        "its first report (t_rel 8.4) came before we seeded"
    );
    // alice's UDP allocation reported first at t_rel 11.558, after the seed: nothing missed.
    let alice2 = rows
        .iter()
        .find(|r| r.user == "alice" && r.alloc.id.to_string() == "001000000000000002")
        .unwrap();
    assert!(!alice2.alloc.totals_mismatch());
    // Allocations with no traffic before the seed add up exactly.
    let bob10 = rows
        .iter()
        .find(|r| r.user == "bob" && r.alloc.id.to_string() == "001000000000000010")
        .unwrap();
    assert!(!bob10.alloc.totals_mismatch());
}

/// Keys that vanished while we were disconnected do not end their rows: the allocations may be
/// alive with their keys deleted under them (a Redis restart, another coturn's start-up). Silent
/// for the grace, they are unconfirmed; their lifetime over with nothing heard, they end.
#[test]
fn a_reseed_makes_what_vanished_unconfirmed_and_their_lifetime_ends_them() {
    let recs = records("pubsub-capture.txt");
    let t0 = recs[0].epoch - recs[0].t_rel;
    let mut m = keep_all();
    let ep = m.add_endpoint("capture");
    let before: Vec<Record> = recs.iter().filter(|r| r.t_rel <= 11.347).cloned().collect();
    replay::apply_all(&mut m, ep, &before);
    // Disconnected from 11.347 to 39.575; reconnect, reseed from the second key snapshot.
    m.mark_gap(ep, t0 + 39.575);
    m.begin_seed(ep, t0 + 39.575);
    let text = std::fs::read_to_string(fixture("keys-snapshot.txt")).unwrap();
    for line in text.lines().filter(|l| l.starts_with("39.575\t")) {
        let f: Vec<&str> = line.split('\t').collect();
        m.seed_status(ep, t0 + 39.575, f[1], f[4].as_bytes());
    }
    m.end_seed(ep, t0 + 39.575);
    m.check_hot().unwrap();
    let snaps = snapshots();
    let keyed = |m: &Model, now: f64| -> BTreeSet<Key> {
        m.allocation_rows(now)
            .iter()
            .filter(|r| r.state.is_open() && r.alloc.key_missing_at().is_none())
            .map(|r| {
                let id = r.alloc.id.to_string();
                (r.realm.map(str::to_owned), r.user.to_owned(), id)
            })
            .collect()
    };
    assert_eq!(keyed(&m, t0 + 39.575), snaps[1].1);
    let missing: Vec<u32> = m
        .allocation_rows(t0 + 39.575)
        .iter()
        .filter(|r| r.alloc.key_missing_at() == Some(t0 + 39.575))
        .map(|r| r.alloc.slot)
        .collect();
    assert_eq!(missing.len(), snaps[0].1.len() - snaps[1].1.len());
    let state_of = |m: &Model, slot: u32, now: f64| {
        let a = m.allocation_at(slot).unwrap();
        (a.state(now).unwrap(), a.end_reason)
    };
    for &slot in &missing {
        // Never ended by a missing key: live while heard within the grace, else unconfirmed.
        let a = m.allocation_at(slot).unwrap();
        let want = if a.last_event + 30.0 > t0 + 39.575 {
            State::Live
        } else {
            State::Unconfirmed
        };
        assert_eq!(state_of(&m, slot, t0 + 39.575), (want, None));
    }
    m.evict(t0 + 39.575 + 31.0);
    m.check_hot().unwrap();
    for &slot in &missing {
        assert_eq!(state_of(&m, slot, t0 + 70.6), (State::Unconfirmed, None));
    }
    assert_eq!(m.counters.gaps, 1);
    // The first report after the gap spans it: no rate is computed across a gap.
    let after: Vec<Record> = recs.iter().filter(|r| r.t_rel > 39.575).cloned().collect();
    replay::apply_all(&mut m, ep, &after);
    let rows = m.allocation_rows(t0 + 43.0);
    let bob4 = rows
        .iter()
        .find(|r| r.user == "bob" && r.alloc.id.to_string() == "000000000000000004")
        .unwrap();
    assert_eq!(bob4.alloc.client.series.last().unwrap().span_ms, 0);
    assert!(bob4.alloc.totals_mismatch());
    // Their lifetime (600 s) over with nothing heard: ended, gone from Redis, unseen.
    m.evict(t0 + 700.0);
    m.check_hot().unwrap();
    for &slot in &missing {
        let a = m.allocation_at(slot).unwrap();
        assert_eq!(a.state(t0 + 700.0), Some(State::Deleted));
        assert_eq!(a.end_reason, Some(turntop::model::EndReason::GoneFromRedis));
        assert!(a.ended_unseen());
        assert!(a.ended_at.unwrap() <= t0 + 11.347 + 600.0 + 1e-6, "{a:?}");
    }
}

#[test]
fn retention_evicts_ended_allocations_and_then_their_users() {
    let mut m = Model::new(ModelConfig {
        retention: 60.0,
        ..ModelConfig::default()
    });
    let ep = m.add_endpoint("capture");
    let now = replay::apply_all(&mut m, ep, &records("pubsub-capture.txt"));
    m.evict(now);
    m.check_hot().unwrap();
    let snap = output::snapshot(&m, now);
    // Only s7's three allocations are left: everything else ended more than a minute earlier.
    assert_eq!(snap.allocations.len(), 3);
    assert_eq!(snap.users.len(), 1, "bob had nothing left and is gone");
    assert_eq!(snap.users[0].user, "alice");
}

#[test]
fn batched_apply_equals_one_by_one() {
    use turntop::source::{SourceEvent, apply_events};
    for name in CAPTURES {
        let recs = records(name);
        let (one_by_one, now) = replayed(name);
        let mut batched = keep_all();
        let ep = batched.add_endpoint("capture");
        let mut events: Vec<SourceEvent> = recs.iter().map(|r| replay::event_of(ep, r)).collect();
        // A malformed message and a non-message event in the middle of a run.
        events.insert(
            7,
            SourceEvent::Message {
                endpoint: ep,
                at: recs[6].epoch,
                channel: "turn/realm/x/user/y/allocation/12/status".into(),
                payload: b"new".to_vec(),
            },
        );
        events.insert(
            9,
            SourceEvent::Gap {
                endpoint: ep,
                to: f64::NEG_INFINITY,
            },
        );
        apply_events(&events, &mut batched);
        batched.evict(now);
        batched.check_hot().unwrap();
        let (a, b) = (
            output::snapshot(&one_by_one, now),
            output::snapshot(&batched, now),
        );
        assert_eq!(a.allocations, b.allocations, "{name}");
        assert_eq!(
            (a.users.len(), a.realms.len()),
            (b.users.len(), b.realms.len()),
            "{name}"
        );
        assert_eq!(b.counters.events, a.counters.events + 1, "{name}");
        assert_eq!(b.counters.malformed, 1, "{name}");
    }
}
