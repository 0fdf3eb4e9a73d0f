//! Adversarial input (property tests): whatever arrives from the network, the parser and the
//! model never panic, count what they could not use, and never let a control character through
//! to what a terminal would show.

use proptest::prelude::*;
use turntop::coturn::{self, AllocationId, Counters, EventKind, Leg};
use turntop::model::{Model, ModelConfig, State};
use turntop::output;

fn kinds() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        Just(EventKind::Status),
        Just(EventKind::Traffic(Leg::Client)),
        Just(EventKind::Traffic(Leg::Peer)),
        Just(EventKind::TotalTraffic(Leg::Client)),
        Just(EventKind::TotalTraffic(Leg::Peer)),
    ]
}

/// Names as hostile as the network can make them: slashes, colons, controls, bidi, lookalikes.
fn hostile_name() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-z0-9]{1,6}",
            Just("/".to_owned()),
            Just(":".to_owned()),
            Just("/user/".to_owned()),
            Just("/allocation/000000000000000001/".to_owned()),
            Just("\x1b[2J".to_owned()),
            Just("\u{202E}".to_owned()),
            Just("\u{9b}".to_owned()),
            Just("\r\n\t".to_owned()),
            Just(" ".to_owned()),
            Just("名".to_owned()),
        ],
        0..6,
    )
    .prop_map(|v| v.concat())
}

fn valid_payload(kind: EventKind) -> BoxedStrategy<String> {
    match kind {
        EventKind::Status => prop_oneof![
            (0u32..100_000, "UDP|TCP|TLS/TCP|DTLS").prop_map(|(l, t)| format!(
                "new lifetime={l}, type={t}, local=127.0.0.1:3478, remote=10.0.0.1:5000, ssl=NONE, cipher=NONE"
            )),
            (0u32..100_000).prop_map(|l| format!("refreshed lifetime={l}")),
            Just("deleted".to_owned()),
        ]
        .boxed(),
        _ => (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>())
            .prop_map(|(a, b, c, d)| coturn::counters_payload(&Counters { rcvp: a, rcvb: b, sentp: c, sentb: d }))
            .boxed(),
    }
}

fn no_dangerous_chars(s: &str) -> bool {
    !s.chars().any(|c| {
        c.is_control()
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_and_are_counted(channel in ".{0,120}", payload in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut m = Model::default();
        let ep = m.add_endpoint("x");
        m.apply_raw(ep, 1000.0, &channel, &payload);
        prop_assert_eq!(m.counters.events, 1);
        let used = coturn::parse_message(&channel, &payload).is_ok();
        prop_assert_eq!(m.counters.malformed + m.counters.unknown, u64::from(!used));
        for bad in &m.bad_messages {
            prop_assert!(no_dangerous_chars(&bad.channel));
        }
    }

    #[test]
    fn hostile_users_and_realms_round_trip_and_are_shown_inert(
        realm in prop::option::of(hostile_name()),
        user in hostile_name(),
        id in 0u64..1_000_000_000_000_000_000,
        kind in kinds(),
    ) {
        let channel = coturn::channel_name(realm.as_deref(), &user, AllocationId(id), kind);
        let parsed = coturn::parse_channel(&channel).unwrap();
        // The realm ends at the first "/user/": a realm containing one cannot round-trip, which
        // is why the user (the untrusted part) is the one allowed to contain it.
        if !realm.as_deref().unwrap_or("").contains("/user/") {
            prop_assert_eq!(parsed.realm, realm.as_deref());
            prop_assert_eq!(parsed.user, user.as_str());
        }
        prop_assert_eq!(parsed.id, AllocationId(id));
        prop_assert_eq!(parsed.kind, kind);

        let mut m = Model::default();
        let ep = m.add_endpoint("x");
        let status = coturn::channel_name(realm.as_deref(), &user, AllocationId(id), EventKind::Status);
        m.apply_raw(ep, 1000.0, &status, b"new lifetime=600, type=UDP, remote=\x1b]0;pwned\x07:1");
        for row in m.allocation_rows(1000.0) {
            prop_assert!(no_dangerous_chars(row.user_display));
            prop_assert!(no_dangerous_chars(row.realm_display));
            prop_assert!(no_dangerous_chars(row.alloc.remote.as_deref().unwrap_or("")));
        }
    }

    #[test]
    fn truncated_payloads_never_panic(
        (kind, payload) in kinds().prop_flat_map(|k| (Just(k), valid_payload(k))),
        cut in 0usize..200,
    ) {
        let end = cut.min(payload.len());
        let mut m = Model::default();
        let ep = m.add_endpoint("x");
        let ch = coturn::channel_name(Some("r"), "u", AllocationId(1), kind);
        m.apply_raw(ep, 1000.0, &ch, &payload.as_bytes()[..end]);
        prop_assert_eq!(m.counters.events, 1);
        // The whole payload always parses.
        prop_assert!(coturn::parse_message(&ch, payload.as_bytes()).is_ok());
    }

    /// Any sequence of valid events (including huge counters, events out of order, duplicates,
    /// totals without deletes) leaves a consistent model: aggregates are the sums of their
    /// allocations, and nothing panics, overflows or wraps.
    #[test]
    fn any_event_sequence_keeps_the_model_consistent(
        events in prop::collection::vec(
            (prop::option::of(prop_oneof![Just("a.example"), Just("b.example")]),
             prop_oneof![Just(""), Just("alice"), Just("1795641736:carol")],
             0u64..4, kinds(), 0u32..5, any::<u64>(), any::<u64>(), 0.0f64..5.0),
            1..60),
    ) {
        let mut m = Model::new(ModelConfig { retention: 30.0, history_window: 60.0, ..ModelConfig::default() });
        let ep = m.add_endpoint("x");
        let mut t = 1_795_586_892.0;
        for (realm, user, id, kind, variant, x, y, dt) in events {
            t += dt;
            let ch = coturn::channel_name(realm, user, AllocationId(id), kind);
            let payload = match kind {
                EventKind::Status => match variant {
                    0 => format!("new lifetime={}", x % 1000),
                    1 => format!("refreshed lifetime={}, type=UDP", y % 1000),
                    2 => "refreshed lifetime=0".to_owned(),
                    _ => "deleted".to_owned(),
                },
                _ => coturn::counters_payload(&Counters { rcvp: x, rcvb: y, sentp: x / 3, sentb: u64::MAX - y }),
            };
            m.apply_raw(ep, t, &ch, payload.as_bytes());
            if variant == 4 {
                m.evict(t);
            }
            prop_assert_eq!(m.check_hot(), Ok(()));
        }
        prop_assert_eq!(m.counters.malformed, 0);
        let snap = output::snapshot(&m, t);
        let mut sum = Counters::default();
        let mut live = 0;
        for a in &snap.allocations {
            sum.add(&a.client);
            live += u32::from(matches!(a.state, State::Live | State::Released));
        }
        let mut realm_sum = Counters::default();
        let mut realm_live = 0;
        for r in &snap.realms {
            realm_sum.add(&r.client);
            realm_live += r.allocations_live;
        }
        prop_assert_eq!(sum, realm_sum);
        prop_assert_eq!(live, realm_live);
        let user_allocs: u32 = snap.users.iter().map(|u| u.allocations_live + u.allocations_expired + u.allocations_ended).sum();
        prop_assert_eq!(user_allocs as usize, snap.allocations.len());
        // Rates are finite numbers or absent.
        for a in &snap.allocations {
            for r in [a.rates.client_rx, a.rates.client_tx, a.rates.peer_rx, a.rates.peer_tx].into_iter().flatten() {
                prop_assert!(r.is_finite() && r >= 0.0);
            }
        }
    }
}

#[test]
fn huge_numbers() {
    let mut m = Model::default();
    let ep = m.add_endpoint("x");
    let ch = coturn::channel_name(
        Some("r"),
        "u",
        AllocationId(1),
        EventKind::Traffic(Leg::Client),
    );
    let max = u64::MAX;
    m.apply_raw(
        ep,
        1.0,
        &ch,
        format!("rcvp={max}, rcvb={max}, sentp={max}, sentb={max}").as_bytes(),
    );
    m.apply_raw(
        ep,
        2.0,
        &ch,
        format!("rcvp={max}, rcvb={max}, sentp={max}, sentb={max}").as_bytes(),
    );
    m.apply_raw(
        ep,
        3.0,
        &ch,
        b"rcvp=18446744073709551616, rcvb=1, sentp=1, sentb=1",
    );
    m.apply_raw(ep, 4.0, &ch, b"rcvp=-1, rcvb=1, sentp=1, sentb=1");
    m.apply_raw(ep, 5.0, &ch, b"rcvp=1e9, rcvb=1, sentp=1, sentb=1");
    let status = coturn::channel_name(Some("r"), "u", AllocationId(1), EventKind::Status);
    m.apply_raw(ep, 6.0, &status, b"new lifetime=99999999999");
    assert_eq!(m.counters.events, 6);
    assert_eq!(m.counters.malformed, 4);
    let sessions: Vec<_> = m.sessions_without_allocation().collect();
    assert_eq!(
        sessions[0].client.sum.rcvb,
        u64::MAX,
        "saturates, never wraps"
    );
}
