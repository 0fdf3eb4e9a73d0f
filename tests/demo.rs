//! The demo generator (`turntop --demo`) against the real parser and model: everything it
//! publishes parses, adds up (Σdeltas == total_traffic) and follows coturn's rules (4096-packet
//! reports, the allocate and delete sequences, expiry after the granted lifetime), it paints
//! every state, transport and kind of name, it is deterministic per seed, and the real-time task
//! keeps its schedule.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use tokio::sync::mpsc;
use turntop::coturn::{self, Counters, EventKind, Leg, Payload, Status};
use turntop::demo::{self, Demo, DemoConfig, DemoMessage};
use turntop::model::{EndpointId, Model, ModelConfig, State};
use turntop::source::SourceEvent;

const START: f64 = 1_795_600_000.0;

/// The warm-up plus `secs` of simulated time, fetched in 1-second steps as a live driver would.
fn run_for(config: DemoConfig, secs: f64) -> Vec<DemoMessage> {
    let mut demo = Demo::new(config, START);
    let mut out = demo.prewarm();
    let mut t = START;
    while t < START + secs {
        t += 1.0;
        out.extend(demo.advance(t));
    }
    out
}

fn keep_all() -> Model {
    Model::new(ModelConfig {
        retention: 1e9,
        ..ModelConfig::default()
    })
}

/// What the checks need to know about one allocation, from the messages alone.
#[derive(Default, Debug)]
struct Seen {
    statuses: Vec<(f64, String)>,
    transport: Option<String>,
    deltas: [Counters; 2],
    totals: [Option<Counters>; 2],
    last_refresh: Option<(f64, u32)>,
    released_at: Option<f64>,
    deleted_at: Option<f64>,
    /// (time, bytes of both legs) of the periodic reports.
    reports: Vec<(f64, u64)>,
}

#[test]
fn ten_minutes_parse_add_up_and_paint_every_state() {
    // One process all along (its restarts have their own test): every id is one allocation.
    // No trouble on purpose (its own test, in problems_demo.rs): everything as coturn does.
    let config = DemoConfig {
        restart_after: 0.0,
        trouble_every: 0.0,
        ..DemoConfig::default()
    };
    let relay_threads = u64::from(config.relay_threads);
    let msgs = run_for(config, 600.0);
    let end = START + 600.0;
    assert!(msgs.len() > 10_000, "only {} messages", msgs.len());

    // Time order, and nothing beyond what was asked for.
    assert!(msgs.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(msgs.iter().all(|m| m.at <= end));

    // Every message parses with the real parser.
    let parsed: Vec<_> = msgs
        .iter()
        .map(|m| {
            coturn::parse_message(&m.channel, m.payload.as_bytes())
                .unwrap_or_else(|e| panic!("{e}: {} {}", m.channel, m.payload))
        })
        .collect();

    // Index of the final `traffic` pairs: the two messages before each `deleted`.
    let mut final_traffic = BTreeSet::new();
    for (i, p) in parsed.iter().enumerate() {
        if matches!(p.payload, Payload::Status(Status::Deleted)) {
            let id = p.channel.id;
            assert_eq!(parsed[i - 2].channel.id, id);
            assert_eq!(parsed[i - 1].channel.id, id);
            assert!(matches!(
                parsed[i - 2].payload,
                Payload::Traffic(Leg::Client, _)
            ));
            assert!(matches!(
                parsed[i - 1].payload,
                Payload::Traffic(Leg::Peer, _)
            ));
            assert!(matches!(
                parsed[i + 1].payload,
                Payload::TotalTraffic(Leg::Client, _)
            ));
            assert!(matches!(
                parsed[i + 2].payload,
                Payload::TotalTraffic(Leg::Peer, _)
            ));
            assert!(msgs[i - 2].at == msgs[i + 2].at, "one instant");
            final_traffic.insert(i - 2);
        }
    }

    // Feed the model message by message, looking at it where the interesting states are.
    let mut model = keep_all();
    let ep = model.add_endpoint("demo");
    let mut seen: BTreeMap<u64, Seen> = BTreeMap::new();
    let mut first_appearance: Vec<u64> = Vec::new();
    let mut released_checked = 0;
    let mut expired_checked = 0;
    let mut realms = BTreeSet::new();
    let mut users = BTreeSet::new();
    let state_of = |model: &Model, id: u64, t: f64| {
        model
            .allocations()
            .find(|a| a.id.0 == id)
            .and_then(|a| a.state(t))
    };
    for (i, (m, p)) in msgs.iter().zip(&parsed).enumerate() {
        let id = p.channel.id.0;
        if !seen.contains_key(&id) {
            first_appearance.push(id);
        }
        realms.insert(p.channel.realm.map(str::to_owned));
        users.insert(p.channel.user.to_owned());
        let s = seen.entry(id).or_default();

        if matches!(p.payload, Payload::Status(Status::Deleted)) && s.released_at.is_none() {
            let transport = s.transport.as_deref().unwrap_or("");
            if transport == "UDP" || transport == "DTLS" {
                // A vanished client: its lifetime ran out a moment ago, the delete is not
                // published yet (its final traffic is, at the same instant): "expired".
                let (refreshed, lifetime) = s.last_refresh.expect("was refreshed");
                let ran_out = refreshed + f64::from(lifetime);
                assert!(
                    m.at > ran_out && m.at <= ran_out + 1.01,
                    "{id:018}: deleted at +{} after a lifetime of {lifetime}",
                    m.at - refreshed
                );
                if m.at - 0.0005 >= ran_out {
                    assert_eq!(
                        state_of(&model, id, m.at - 0.0005),
                        Some(State::Expired),
                        "{id:018}"
                    );
                    expired_checked += 1;
                }
            }
        }

        model.apply_raw(ep, m.at, &m.channel, m.payload.as_bytes());

        match p.payload {
            Payload::Status(Status::New(f)) => {
                assert!(s.statuses.is_empty(), "{id:018}: new comes first");
                assert_eq!(f.lifetime, Some(demo::INITIAL_LIFETIME));
                s.transport = f.transport.map(str::to_owned);
                for k in [f.local, f.remote, f.ssl, f.cipher] {
                    assert!(k.is_some_and(|v| !v.is_empty()), "{}", m.payload);
                }
                s.statuses.push((m.at, m.payload.clone()));
                s.last_refresh = Some((m.at, demo::INITIAL_LIFETIME));
            }
            Payload::Status(Status::Refreshed(f)) => {
                if s.statuses.len() == 1 {
                    // `new` is immediately followed by `refreshed` with the same fields.
                    assert_eq!(s.statuses[0].0, m.at);
                    assert_eq!(
                        s.statuses[0].1.strip_prefix("new"),
                        m.payload.strip_prefix("refreshed")
                    );
                }
                s.statuses.push((m.at, m.payload.clone()));
                let lifetime = f.lifetime.expect("lifetime");
                if lifetime == 0 {
                    s.released_at = Some(m.at);
                    assert_eq!(state_of(&model, id, m.at), Some(State::Released));
                    released_checked += 1;
                } else {
                    s.last_refresh = Some((m.at, lifetime));
                }
            }
            Payload::Status(Status::Deleted) => {
                s.deleted_at = Some(m.at);
                if let Some(r) = s.released_at {
                    let udp = s.transport.as_deref() == Some("UDP");
                    let after = m.at - r;
                    if udp {
                        assert!((0.99..=1.011).contains(&after), "UDP release +{after}");
                    } else {
                        assert!(after <= 0.0021, "stream/DTLS release +{after}");
                    }
                }
            }
            Payload::Traffic(leg, c) => {
                s.deltas[leg as usize].add(&c);
                if leg == Leg::Client && !final_traffic.contains(&i) && !s.statuses.is_empty() {
                    // A periodic report: exactly 4096 packets on the four counters.
                    let Payload::Traffic(Leg::Peer, peer) = parsed[i + 1].payload else {
                        panic!("traffic/peer follows traffic");
                    };
                    assert_eq!(c.packets() + peer.packets(), demo::REPORT_PACKETS);
                    s.reports.push((m.at, c.bytes()));
                }
            }
            Payload::TotalTraffic(leg, c) => s.totals[leg as usize] = Some(c),
        }
    }
    model.check_hot().unwrap();

    // Ids: 18 digits, 2-4 relay threads, per-thread counters 1, 2, 3, ... in order.
    let mut per_thread: HashMap<u64, u64> = HashMap::new();
    for id in &first_appearance {
        let (thread, counter) = (id / 1_000_000_000_000_000, id % 1_000_000_000_000_000);
        assert!(thread < relay_threads);
        let last = per_thread.entry(thread).or_insert(0);
        assert_eq!(counter, *last + 1, "{id:018}");
        *last = counter;
    }
    assert!(per_thread.len() >= 2);

    // Σdeltas == total_traffic for both legs of every ended allocation, by our own count and
    // by the model's.
    let mut ended = 0;
    for (id, s) in &seen {
        if s.deleted_at.is_some() {
            ended += 1;
            assert_eq!(s.totals[0], Some(s.deltas[0]), "{id:018} client");
            assert_eq!(s.totals[1], Some(s.deltas[1]), "{id:018} peer");
        }
    }
    let deleted: Vec<_> = model
        .allocations()
        .filter(|a| a.state(end) == Some(State::Deleted))
        .collect();
    assert_eq!(deleted.len(), ended);
    for a in &deleted {
        for leg in [Leg::Client, Leg::Peer] {
            assert_eq!(a.total_of(leg), Some(a.leg(leg).sum), "{}", a.id);
        }
        assert!(!a.totals_mismatch());
    }
    assert_eq!(model.counters.malformed, 0);
    assert_eq!(model.counters.unknown, 0);

    // Every state, seen where it happens.
    assert!(released_checked >= 20, "{released_checked} releases");
    assert!(expired_checked >= 5, "{expired_checked} expiries");
    assert!(ended >= 200, "{ended} ended");

    // The steady state at the end: a sane live count of every transport.
    let live: Vec<_> = model
        .allocations()
        .filter(|a| a.state(end) == Some(State::Live))
        .collect();
    assert!((150..=600).contains(&live.len()), "{} live", live.len());
    let transports: BTreeSet<_> = live
        .iter()
        .filter_map(|a| model.atom(a.transport))
        .collect();
    assert_eq!(
        transports,
        BTreeSet::from(["DTLS", "TCP", "TLS/TCP", "UDP"]),
        "live transports"
    );
    let ssl: BTreeSet<_> = live.iter().filter_map(|a| model.atom(a.ssl)).collect();
    assert!(ssl.is_superset(&BTreeSet::from(["NONE", "TLSv1.2", "TLSv1.3", "DTLSv1.2"])));

    // Names: several realms, a realm-less server, REST usernames, awkward users, pre-auth.
    assert!(realms.len() >= 5, "{realms:?}");
    assert!(realms.contains(&None), "realm-less");
    let rest = users
        .iter()
        .filter(|u| {
            u.split_once(':')
                .is_some_and(|(exp, _)| exp.len() == 10 && exp.bytes().all(|b| b.is_ascii_digit()))
        })
        .count();
    assert!(rest >= 3, "{rest} REST users");
    assert!(users.len() >= 30, "{} users", users.len());
    for odd in ['/', ' ', '\u{1b}', '\u{202e}'] {
        assert!(users.iter().any(|u| u.contains(odd)), "a user with {odd:?}");
    }
    assert!(users.contains(""));
    assert!(model.sessions_without_allocation().count() >= 5);

    // Cadence: audio-like reports ~20 s apart, and heavy hitters at MB/s.
    let mut fastest: f64 = 0.0;
    let mut slow = 0;
    for s in seen.values() {
        for w in s.reports.windows(2) {
            let dt = w[1].0 - w[0].0;
            fastest = fastest.max(w[1].1 as f64 / dt);
            if (15.0..=25.0).contains(&dt) {
                slow += 1;
            }
        }
    }
    eprintln!(
        "{} messages, {} ended, {} live, {released_checked} releases and {expired_checked} \
         expiries seen, {} users, fastest {fastest:.0} B/s, {slow} audio-paced reports",
        msgs.len(),
        ended,
        live.len(),
        users.len()
    );
    assert!(fastest > 1e6, "fastest client leg {fastest} B/s");
    assert!(slow >= 50, "{slow} audio-paced reports");
}

/// The demo's coturn restarts: calls in progress reconnect to the same listener with their old
/// ids (each its own row; the old one ended, replaced), the rest vanish without a word, and the
/// status keys (what a reconciliation pass hands turntop) are the new process's allocations
/// only: after a pass and the grace, turntop's live rows are exactly those.
#[test]
fn a_restart_reuses_ids_and_a_key_pass_shows_who_is_left() {
    let config = DemoConfig {
        warmup: 600.0,
        restart_after: 60.0,
        restart_every: 3600.0,
        trouble_every: 0.0,
        ..DemoConfig::with_seed(5)
    };
    let mut demo = Demo::new(config, START);
    let mut m = Model::new(ModelConfig {
        retention: 1e9,
        key_grace: 10.0,
        ..ModelConfig::default()
    });
    let ep = m.add_endpoint("demo");
    let apply = |m: &mut Model, msgs: Vec<DemoMessage>| {
        for msg in msgs {
            m.apply_raw(ep, msg.at, &msg.channel, msg.payload.as_bytes());
        }
    };
    apply(&mut m, demo.prewarm());
    let before = m
        .allocations()
        .filter(|a| a.state(START).is_some_and(|s| s == State::Live))
        .count();
    // The restart at +60 s and the reconnections within 12 s.
    let mut t = START;
    while t < START + 80.0 {
        t += 1.0;
        apply(&mut m, demo.advance(t));
        m.evict(t);
    }
    assert!(m.counters.ids_reused >= 10, "{:?}", m.counters);
    assert_eq!(m.counters.id_collisions, 0, "one server, same listeners");
    assert!(
        m.take_reconcile_requests().contains(&ep),
        "a restart asks for a pass"
    );
    let replaced = m
        .allocations()
        .filter(|a| a.end_reason == Some(turntop::model::EndReason::Replaced))
        .count() as u64;
    assert_eq!(replaced, m.counters.ids_reused);
    // A pass with the new process's keys; 10 s of silence later the ghosts are unconfirmed.
    m.begin_seed(ep, t);
    for (key, value) in demo.status_keys() {
        m.seed_status(ep, t, &key, &value);
    }
    m.end_seed(ep, t);
    while t < START + 95.0 {
        t += 1.0;
        apply(&mut m, demo.advance(t));
        m.evict(t);
    }
    m.check_invariants(t).expect("invariants");
    let keys: BTreeSet<String> = demo.status_keys().into_iter().map(|(k, _)| k).collect();
    let live: BTreeSet<String> = m
        .allocations()
        .filter(|a| matches!(a.state(t), Some(State::Live | State::Released)))
        .map(|a| {
            let u = m.user_of(a);
            coturn::channel_name(
                m.realm_of(a).name.as_deref(),
                &u.name,
                a.id,
                EventKind::Status,
            )
        })
        .collect();
    assert_eq!(
        live, keys,
        "turntop's live rows are the restarted server's allocations"
    );
    let unconfirmed = m
        .allocations()
        .filter(|a| a.state(t) == Some(State::Unconfirmed))
        .count();
    assert!(
        unconfirmed >= 5 && before > unconfirmed,
        "{unconfirmed} ghosts of {before}"
    );
}

#[test]
fn deterministic_per_seed_however_advance_is_cut() {
    let config = DemoConfig {
        warmup: 300.0,
        ..DemoConfig::with_seed(42)
    };
    let a = run_for(config.clone(), 120.0);
    let b = run_for(config.clone(), 120.0);
    assert!(!a.is_empty());
    assert_eq!(a, b);

    // One big step, or many odd ones: the same messages.
    let mut demo = Demo::new(config.clone(), START);
    let mut c = demo.prewarm();
    c.extend(demo.advance(START + 120.0));
    assert_eq!(a, c);
    let mut demo = Demo::new(config.clone(), START);
    let mut d = Vec::new();
    let mut t = START - 300.0;
    while t < START + 120.0 {
        t = (t + 0.37).min(START + 120.0);
        d.extend(demo.advance(t));
    }
    assert_eq!(a, d);

    let other = run_for(DemoConfig { seed: 43, ..config }, 120.0);
    assert_ne!(a, other);
}

#[test]
fn an_empty_start_fills_up_to_the_target() {
    let config = DemoConfig {
        warmup: 0.0,
        target_allocations: 100,
        swell: 0.0,
        ..DemoConfig::with_seed(7)
    };
    let mut demo = Demo::new(config, START);
    assert!(
        demo.prewarm().len() <= 2,
        "nothing before start but the first arrival"
    );
    demo.advance(START + 900.0);
    let open = demo.open_allocations();
    assert!((60..=160).contains(&open), "{open} open");
}

#[tokio::test(start_paused = true)]
async fn run_keeps_time_order_and_the_real_time_schedule() {
    let config = DemoConfig {
        warmup: 120.0,
        ..DemoConfig::with_seed(1)
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let origin = tokio::time::Instant::now();
    let task = tokio::spawn(demo::run_from(config, START, EndpointId(3), tx));
    let mut last = f64::NEG_INFINITY;
    let (mut history, mut live) = (0, 0);
    let mut passes = Vec::new();
    while last < START + 60.0 {
        let (endpoint, at) = match rx.recv().await {
            Some(SourceEvent::Message { endpoint, at, .. }) => (endpoint, at),
            // A reconciliation pass with the server's status keys, every 30 s.
            Some(SourceEvent::SeedBatch {
                endpoint,
                at,
                entries,
            }) => {
                assert_eq!(endpoint, EndpointId(3));
                assert!(!entries.is_empty());
                passes.push(at);
                continue;
            }
            Some(SourceEvent::SeedBegin { .. } | SourceEvent::SeedEnd { .. }) => continue,
            other => panic!("the demo sends messages and key passes, endlessly: {other:?}"),
        };
        assert_eq!(endpoint, EndpointId(3));
        assert!(at >= last, "time order: {at} after {last}");
        last = at;
        let elapsed = origin.elapsed().as_secs_f64();
        if at < START {
            history += 1;
            assert!(elapsed < 0.001, "the warm-up history comes at once");
        } else {
            live += 1;
            // Sent when due (the timestamp is rounded to the millisecond), not before.
            assert!(elapsed >= at - START - 0.002, "{at}: sent {elapsed} s in");
            assert!(
                elapsed <= at - START + 0.01,
                "{at}: sent late, {elapsed} s in"
            );
        }
    }
    assert!(history > 100 && live > 100, "{history} + {live}");
    assert!((1..=2).contains(&passes.len()), "{passes:?}");
    assert!((passes[0] - (START + 30.0)).abs() < 0.01, "{passes:?}");
    // Gone receiver: the task stops.
    drop(rx);
    tokio::time::timeout(Duration::from_secs(3600), task)
        .await
        .expect("stops when the receiver is gone")
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn run_from_the_wall_clock() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(demo::run(DemoConfig::default(), EndpointId(0), tx));
    let mut last = f64::NEG_INFINITY;
    for _ in 0..500 {
        let event = rx.recv().await.expect("endless");
        assert!(event.at() >= last);
        last = event.at();
    }
    drop(rx);
    task.await.unwrap();
}
