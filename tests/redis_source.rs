//! The live Redis source against real redis-servers started by the tests (loopback, free port,
//! no persistence, killed by PID): seed, live messages vs replay, reconnect after a crash, the
//! output-buffer kill, AUTH (requirepass and ACL), TLS, two endpoints, and the `--once` binary.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::live::Live;
use common::redis::{RedisServer, TestCerts};
use common::snapshot::comparable;
use turntop::capture;
use turntop::model::{ConnectionState, Model, ModelConfig};
use turntop::output::{self, Snapshot};
use turntop::source::SourceEvent;
use turntop::source::redis::{self as redis_source, TlsOptions, now};

// ---- helpers ----------------------------------------------------------------------------------

fn keep_all() -> Model {
    Model::new(ModelConfig {
        retention: 1e9,
        ..ModelConfig::default()
    })
}

fn is_reconnecting(s: &ConnectionState) -> bool {
    matches!(s, ConnectionState::Reconnecting { .. })
}
fn is_connected(s: &ConnectionState) -> bool {
    *s == ConnectionState::Connected
}

fn reason_of(ev: &SourceEvent) -> String {
    match ev {
        SourceEvent::Connection {
            state:
                ConnectionState::Reconnecting { reason, .. }
                | ConnectionState::AuthFailed { reason, .. },
            ..
        } => reason.clone(),
        other => panic!("not a failure: {other:?}"),
    }
}

fn publish(con: &mut redis::Connection, channel: &str, payload: &[u8]) {
    redis::cmd("PUBLISH")
        .arg(channel)
        .arg(payload)
        .query::<i64>(con)
        .expect("PUBLISH");
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coturn-4.6.1")
        .join(name)
}

const TRAFFIC: &str = "turn/realm/r/user/u/allocation/001000000000000001/traffic";
const STATUS_KEY: &str = "turn/realm/r/user/u/allocation/001000000000000001/status";

// ---- seed -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_10k_status_keys_in_both_shapes_and_formats() {
    let server = RedisServer::start();
    let mut con = server.connection(&server.url());
    let mut pipe = redis::pipe();
    let mut expected = BTreeMap::new();
    for i in 0..10_000u64 {
        let id = format!("{:018}", 1_000_000_000_000_000 + i);
        let user = format!("u{}", i % 7);
        let realm = (i % 2 == 0).then(|| format!("r{}", i % 3));
        let key = match &realm {
            Some(r) => format!("turn/realm/{r}/user/{user}/allocation/{id}/status"),
            None => format!("turn/user/{user}/allocation/{id}/status"),
        };
        let lifetime = 600 + i % 5;
        let remote = format!("192.0.2.{}:{}", i % 250, 1024 + i % 60000);
        let (value, full) = match i % 4 {
            0 => (
                format!(
                    "new lifetime={lifetime}, type=UDP, local=10.0.0.1:3478, remote={remote}, ssl=NONE, cipher=NONE"
                ),
                true,
            ),
            1 => (
                format!(
                    "refreshed lifetime={lifetime}, type=TCP, local=10.0.0.1:3478, remote={remote}, ssl=NONE, cipher=NONE"
                ),
                true,
            ),
            // Servers before Oct 2021: the lifetime only.
            2 => (format!("new lifetime={lifetime}"), false),
            _ => (format!("refreshed lifetime={lifetime}"), false),
        };
        pipe.set(&key, value).ignore();
        let transport = full.then(|| if i % 4 == 0 { "UDP" } else { "TCP" }.to_owned());
        expected.insert(
            id,
            (
                realm,
                user,
                lifetime as u32,
                transport,
                full.then_some(remote),
            ),
        );
    }
    // Not status keys: never seeded.
    pipe.set(
        "turn/realm/r/user/u/allocation/001000000000000001/traffic",
        "x",
    )
    .ignore();
    pipe.set("unrelated", "x").ignore();
    pipe.query::<()>(&mut con).expect("SET");

    let mut live = Live::new();
    let id = live.add(&server.url(), None, &TlsOptions::default());
    let started = Instant::now();
    live.seeded(id).await;
    eprintln!("seeded 10k keys in {:?}", started.elapsed());

    let snap = output::snapshot(&live.model, now());
    assert_eq!(snap.allocations.len(), 10_000);
    assert_eq!(live.model.counters.seeded, 10_000);
    assert_eq!(live.model.counters.malformed, 0);
    for a in &snap.allocations {
        let (realm, user, lifetime, transport, remote) = &expected[&a.id];
        assert_eq!(&a.realm, realm, "{}", a.id);
        assert_eq!(&a.user, user, "{}", a.id);
        assert_eq!(a.lifetime_s, Some(*lifetime), "{}", a.id);
        assert_eq!(&a.transport, transport, "{}", a.id);
        assert_eq!(&a.remote, remote, "{}", a.id);
        assert!(a.seeded && a.expiry_is_upper_bound, "{}", a.id);
        assert_eq!(a.state, turntop::model::State::Live, "{}", a.id);
        assert_eq!(a.endpoint, server.label());
    }
}

// ---- live messages == replay ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_captures_give_the_same_state_as_their_replay() {
    for name in [
        "pubsub-capture.txt",
        "pubsub-capture-no-auth.txt",
        "pubsub-capture-rest-api.txt",
        "pubsub-capture-tls-dtls.txt",
    ] {
        let records = capture::read_file(&fixture(name)).expect("capture");
        let server = RedisServer::start();
        let mut live = Live::new();
        let id = live.add(&server.url(), None, &TlsOptions::default());
        live.seeded(id).await;

        let mut con = server.connection(&server.url());
        let mut pipe = redis::pipe();
        for r in &records {
            pipe.cmd("PUBLISH")
                .arg(&r.channel)
                .arg(&r.message[..])
                .ignore();
        }
        pipe.query::<()>(&mut con).expect("PUBLISH");
        let n = records.len() as u64;
        live.until_event("every published message", 10.0, |m, _| {
            m.counters.events >= n
        })
        .await;
        let live_state = comparable(&output::snapshot(&live.model, now()));

        let mut replayed = keep_all();
        let ep = replayed.add_endpoint("capture");
        let end = turntop::source::replay::apply_all(&mut replayed, ep, &records);
        let replay_state = comparable(&output::snapshot(&replayed, end));

        assert!(
            live_state
                .iter()
                .any(|l| !l.starts_with("user ") && !l.starts_with("realm ")),
            "{name}: no allocations"
        );
        assert_eq!(
            live_state, replay_state,
            "{name}: allocations, users and realms"
        );
        assert_eq!(live.model.counters, replayed.counters, "{name}: counters");
    }
}

// ---- reconnect --------------------------------------------------------------------------------

/// Publishes a traffic message every few ms until stopped, reconnecting whenever Redis is gone.
fn background_publisher(url: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let Ok(client) = redis::Client::open(url.as_str()) else {
            return;
        };
        while !stop.load(Ordering::Relaxed) {
            let Ok(mut con) = client.get_connection_with_timeout(Duration::from_millis(200)) else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            while !stop.load(Ordering::Relaxed) {
                let sent = redis::cmd("PUBLISH")
                    .arg(TRAFFIC)
                    .arg("rcvp=1, rcvb=100, sentp=1, sentb=100")
                    .query::<i64>(&mut con);
                if sent.is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(3));
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_from_redis_restarts_mid_stream() {
    let mut server = RedisServer::start();
    let url = server.url();
    {
        let mut con = server.connection(&url);
        redis::cmd("SET")
            .arg(STATUS_KEY)
            .arg("new lifetime=600")
            .query::<()>(&mut con)
            .expect("SET");
    }
    let mut live = Live::new();
    let id = live.add(&url, None, &TlsOptions::default());
    live.seeded(id).await;
    let stop = Arc::new(AtomicBool::new(false));
    let publisher = background_publisher(url.clone(), stop.clone());

    for round in 1..=3u64 {
        let before = live.events(id);
        live.until_event("events flowing", 20.0, |m, _| {
            m.endpoint(id).is_some_and(|e| e.events > before + 20)
        })
        .await;
        server.kill();
        let ev = live
            .until_event("the drop to be noticed", 20.0, |_, ev| {
                matches!(ev, SourceEvent::Connection { state, .. } if is_reconnecting(state))
            })
            .await;
        assert!(reason_of(&ev).contains(&server.label()), "{ev:?}");
        tokio::task::block_in_place(|| {
            std::thread::sleep(Duration::from_millis(300));
            server.restart();
        });
        let restarted = Instant::now();
        let at_restart = live.events(id);
        live.until_event("events after the restart", 20.0, |m, _| {
            m.endpoint(id).is_some_and(|e| e.events > at_restart)
        })
        .await;
        let took = restarted.elapsed();
        // How fast is measured, not asserted (a loaded machine is slow): see BENCHMARKS.md.
        eprintln!("round {round}: events again {took:?} after the restart");
        let ep = live.model.endpoint(id).expect("endpoint");
        assert_eq!(ep.connection, ConnectionState::Connected);
        assert_eq!(ep.reconnects, round);
        assert_eq!(ep.gaps, round);
    }
    stop.store(true, Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || publisher.join()).await;
    // The restarted (empty) server has no status key, but the allocation keeps reporting: a
    // missing key alone never ends it (issue 12), and its traffic keeps it live.
    let snap = output::snapshot(&live.model, now());
    let a = &snap.allocations[0];
    assert_eq!(a.state, turntop::model::State::Live, "{a:?}");
    assert_eq!(a.end_reason, None);
    assert_eq!(live.model.counters.malformed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_from_the_output_buffer_kill() {
    let server = RedisServer::start();
    let url = server.url();
    let mut live = Live::new();
    let id = live.add(&url, None, &TlsOptions::default());
    live.seeded(id).await;
    let mut con = server.connection(&url);
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("client-output-buffer-limit")
        // A hard limit far below one message: each 256 KiB PUBLISH alone overflows the
        // subscriber's output buffer, however fast turntop reads (a 1 MiB limit was drained in
        // time on a quick machine and never tripped).
        .arg("pubsub 32kb 32kb 0")
        .query::<()>(&mut con)
        .expect("CONFIG SET");

    // Publish big messages one at a time until the kill is seen, so no flood is still running
    // to kill the reconnected subscription again.
    let stop = Arc::new(AtomicBool::new(false));
    let flood = tokio::task::spawn_blocking({
        let stop = stop.clone();
        move || {
            let big = vec![b'x'; 256 * 1024];
            while !stop.load(Ordering::Relaxed) {
                let _ = redis::cmd("PUBLISH")
                    .arg(TRAFFIC)
                    .arg(&big[..])
                    .query::<i64>(&mut con);
                std::thread::sleep(Duration::from_millis(20));
            }
            con
        }
    });
    let ev = live
        .until_event(
            "the output-buffer kill",
            30.0,
            |_, ev| matches!(ev, SourceEvent::Connection { state, .. } if is_reconnecting(state)),
        )
        .await;
    stop.store(true, Ordering::Relaxed);
    eprintln!("dropped: {}", reason_of(&ev));
    let mut con = flood.await.expect("flood");
    live.state(id, "reconnected", is_connected).await;
    assert!(
        server.log().contains("output buffer limits"),
        "redis did not log the kill"
    );
    let before = live.events(id);
    let deadline = Instant::now() + Duration::from_secs(30);
    while live.events(id) <= before {
        assert!(Instant::now() < deadline, "no events after the kill");
        publish(&mut con, TRAFFIC, b"rcvp=1, rcvb=100, sentp=1, sentb=100");
        let _ = tokio::time::timeout(
            Duration::from_millis(100),
            live.until_event("a message", 20.0, |_, ev| {
                matches!(ev, SourceEvent::Message { .. })
            }),
        )
        .await;
    }
    let ep = live.model.endpoint(id).expect("endpoint");
    assert!(ep.gaps >= 1 && ep.reconnects >= 1, "{ep:?}");
}

// ---- AUTH and TLS -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authenticates_with_requirepass_and_acl_users() {
    let server = RedisServer::start_with(&[
        "--requirepass",
        "s3cret-pw",
        "--user",
        "alice",
        "on",
        ">alice-pw",
        "~*",
        "&*",
        "+@all",
    ]);
    let port = server.port;
    let mut con = server.connection(&format!("redis://:s3cret-pw@127.0.0.1:{port}"));
    redis::cmd("SET")
        .arg(STATUS_KEY)
        .arg("new lifetime=600")
        .query::<()>(&mut con)
        .expect("SET");
    let no_tls = TlsOptions::default();
    let plain = server.url();

    let mut live = Live::new();
    let in_url = live.add(
        &format!("redis://:s3cret-pw@127.0.0.1:{port}"),
        None,
        &no_tls,
    );
    live.seeded(in_url).await;
    let from_option = live.add(&plain, Some("s3cret-pw"), &no_tls);
    live.seeded(from_option).await;
    let acl = live.add(
        &format!("redis://alice:alice-pw@127.0.0.1:{port}"),
        None,
        &no_tls,
    );
    live.seeded(acl).await;
    publish(&mut con, TRAFFIC, b"rcvp=1, rcvb=100, sentp=1, sentb=100");
    live.until_event("the message on all three", 20.0, |m, _| {
        [in_url, from_option, acl]
            .iter()
            .all(|id| m.endpoint(*id).is_some_and(|e| e.events == 1))
    })
    .await;

    for (url, secret) in [
        (format!("redis://:wrong-pw@127.0.0.1:{port}"), "wrong-pw"),
        (format!("redis://alice:bad-pw@127.0.0.1:{port}"), "bad-pw"),
        (plain.clone(), "s3cret-pw"),
    ] {
        let mut live = Live::new();
        let id = live.add(&url, None, &no_tls);
        let failed = |_: &Model, ev: &SourceEvent| matches!(ev, SourceEvent::Connection { endpoint, state: ConnectionState::AuthFailed { .. }, .. } if *endpoint == id);
        let ev = live.until_event("auth failure", 20.0, failed).await;
        let reason = reason_of(&ev);
        // No password at all is NOAUTH: "password required", not "authentication failed".
        let expected = if url == plain {
            format!("password required by 127.0.0.1:{port} (NOAUTH): none was given")
        } else {
            format!("authentication failed for 127.0.0.1:{port}")
        };
        assert_eq!(reason, expected);
        assert!(!reason.contains(secret));
        // It keeps retrying.
        live.until_event("a second auth failure", 20.0, failed)
            .await;
        let ep = live.model.endpoint(id).expect("endpoint");
        assert!(matches!(ep.connection, ConnectionState::AuthFailed { .. }));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_over_tls_with_a_ca_or_insecure() {
    let certs = TestCerts::make();
    let args = certs.server_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = RedisServer::start_tls(&args);
    let url = server.url();
    let ca = std::fs::read(certs.path("ca.pem")).expect("ca");
    let with_ca = TlsOptions {
        ca_pem: Some(ca.clone()),
        insecure: false,
    };
    let mut live = Live::new();
    let id = live.add(&url, None, &with_ca);
    live.seeded(id).await;

    let client = redis::Client::build_with_tls(
        url.as_str(),
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(ca),
        },
    )
    .expect("tls client");
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(5))
        .expect("tls connection");
    redis::cmd("SET")
        .arg(STATUS_KEY)
        .arg("new lifetime=600")
        .query::<()>(&mut con)
        .expect("SET");
    publish(&mut con, TRAFFIC, b"rcvp=1, rcvb=100, sentp=1, sentb=100");
    live.until_event("a message over TLS", 20.0, |_, ev| {
        matches!(ev, SourceEvent::Message { .. })
    })
    .await;

    let insecure = live.add(
        &url,
        None,
        &TlsOptions {
            ca_pem: None,
            insecure: true,
        },
    );
    live.seeded(insecure).await;
    assert_eq!(live.model.counters.seeded, 1);
    // The first endpoint heard only traffic for it (no status): a session, not a row.
    assert_eq!(output::snapshot(&live.model, now()).allocations.len(), 1);

    let unverified = live.add(&url, None, &TlsOptions::default());
    let ev = live
        .until_event("an untrusted certificate to fail", 10.0, |_, ev| {
            matches!(ev, SourceEvent::Connection { endpoint, state, .. } if *endpoint == unverified && is_reconnecting(state))
        })
        .await;
    let reason = reason_of(&ev);
    assert!(
        reason.starts_with(&format!("cannot connect to {}: ", server.label())),
        "{reason}"
    );
}

// ---- reconciliation ---------------------------------------------------------------------------

/// Status keys are reconciled periodically: a key deleted under a row (as a coturn start-up
/// does) makes the silent row unconfirmed, never deleted; its traffic confirms it; and a `new`
/// reusing an id on the same listener (a restart) asks for a pass at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciles_status_keys_periodically_and_at_once_after_a_restart() {
    let server = RedisServer::start();
    let url = server.url();
    let mut con = server.connection(&url);
    let status = "refreshed lifetime=600, type=UDP, local=10.0.0.1:3478, remote=192.0.2.1:1000";
    redis::cmd("SET")
        .arg(STATUS_KEY)
        .arg(status)
        .query::<()>(&mut con)
        .expect("SET");
    let mut live = Live::with_config(ModelConfig {
        retention: 1e9,
        key_grace: 1.0,
        ..ModelConfig::default()
    });
    let options = redis_source::RunOptions {
        reconcile_every: Duration::from_millis(500),
        ..common::live::fast_reconnect()
    };
    let id = live.add_with(&url, None, &TlsOptions::default(), options);
    live.seeded(id).await;
    let state = |live: &Live| {
        let s = output::snapshot(&live.model, now());
        (s.allocations[0].state, s.allocations[0].end_reason)
    };
    assert_eq!(state(&live), (turntop::model::State::Live, None));
    // The key goes (a coturn start-up deletes every status key), nothing is published.
    redis::cmd("DEL")
        .arg(STATUS_KEY)
        .query::<()>(&mut con)
        .expect("DEL");
    live.until("the row to be unconfirmed", 10.0, |l| {
        state(l) == (turntop::model::State::Unconfirmed, None)
    })
    .await;
    // Its traffic: it is alive after all.
    publish(&mut con, TRAFFIC, b"rcvp=1, rcvb=100, sentp=1, sentb=100");
    live.until("the row to be confirmed", 20.0, |l| {
        state(l) == (turntop::model::State::Live, None)
    })
    .await;
    drop(live);

    // A pass at once when a restart shows (the periodic one is an hour away).
    let mut live = Live::new();
    let options = redis_source::RunOptions {
        reconcile_every: Duration::from_secs(3600),
        ..common::live::fast_reconnect()
    };
    let id = live.add_with(&url, None, &TlsOptions::default(), options);
    live.seeded(id).await;
    let passes = live.seed_ends.len();
    let new = format!("new {}", &status["refreshed ".len()..]);
    let channel = STATUS_KEY;
    publish(&mut con, channel, new.as_bytes());
    publish(&mut con, channel, new.as_bytes());
    live.until("a pass after the restart", 10.0, |l| {
        l.seed_ends.len() > passes
    })
    .await;
    assert_eq!(live.model.counters.ids_reused, 1);
}

// ---- several endpoints ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_endpoints_with_the_same_allocation_ids_stay_apart() {
    let a = RedisServer::start();
    let b = RedisServer::start();
    let mut cons = Vec::new();
    for (server, remote) in [(&a, "192.0.2.1:1000"), (&b, "192.0.2.2:2000")] {
        let mut con = server.connection(&server.url());
        redis::cmd("SET")
            .arg(STATUS_KEY)
            .arg(format!("new lifetime=600, type=UDP, local=10.0.0.1:3478, remote={remote}, ssl=NONE, cipher=NONE"))
            .query::<()>(&mut con)
            .expect("SET");
        cons.push(con);
    }
    let mut live = Live::new();
    let ia = live.add(&a.url(), None, &TlsOptions::default());
    let ib = live.add(&b.url(), None, &TlsOptions::default());
    live.seeded(ia).await;
    live.seeded(ib).await;
    publish(
        &mut cons[0],
        TRAFFIC,
        b"rcvp=1, rcvb=100, sentp=1, sentb=100",
    );
    publish(
        &mut cons[1],
        TRAFFIC,
        b"rcvp=2, rcvb=200, sentp=2, sentb=200",
    );
    live.until_event("both messages", 20.0, |m, _| m.counters.events == 2)
        .await;
    let snap = output::snapshot(&live.model, now());
    assert_eq!(snap.allocations.len(), 2);
    let by_label: BTreeMap<_, _> = snap
        .allocations
        .iter()
        .map(|x| (x.endpoint.clone(), x))
        .collect();
    let ra = by_label[&a.label()];
    let rb = by_label[&b.label()];
    assert_eq!(ra.id, rb.id);
    assert_eq!(ra.remote.as_deref(), Some("192.0.2.1:1000"));
    assert_eq!(rb.remote.as_deref(), Some("192.0.2.2:2000"));
    assert_eq!(ra.client.rcvb, 100);
    assert_eq!(rb.client.rcvb, 200);
}

// ---- the binary -------------------------------------------------------------------------------

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run turntop with a time limit; output goes through files so a full pipe cannot block it.
fn turntop(args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::fs::File::create(dir.path().join("out")).expect("out");
    let err = std::fs::File::create(dir.path().join("err")).expect("err");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_turntop"));
    cmd.args(args)
        .env_remove(redis_source::PASSWORD_ENV)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("turntop");
    let status = common::wait_child(&mut child, 30, &format!("turntop {args:?}"));
    Run {
        code: status.code(),
        stdout: std::fs::read_to_string(dir.path().join("out")).unwrap_or_default(),
        stderr: std::fs::read_to_string(dir.path().join("err")).unwrap_or_default(),
    }
}

#[test]
fn once_prints_the_live_state_as_json() {
    let server = RedisServer::start_with(&["--requirepass", "pw-in-env"]);
    let url = server.url();
    let mut con = server.connection(&format!("redis://:pw-in-env@127.0.0.1:{}", server.port));
    for i in 1..=3 {
        redis::cmd("SET")
            .arg(format!(
                "turn/user/u{i}/allocation/00100000000000000{i}/status"
            ))
            .arg("new lifetime=600")
            .query::<()>(&mut con)
            .expect("SET");
    }
    // Publish while it listens: the message must be in the output.
    let stop = Arc::new(AtomicBool::new(false));
    let publisher = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                publish(
                    &mut con,
                    "turn/user/u1/allocation/001000000000000001/traffic",
                    b"rcvp=1, rcvb=100, sentp=1, sentb=100",
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let run = turntop(
        &[
            "--once", "--redis", &url, "--format", "json", "--listen", "1",
        ],
        &[(redis_source::PASSWORD_ENV, "pw-in-env")],
    );
    stop.store(true, Ordering::Relaxed);
    let _ = publisher.join();
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let snap: Snapshot = serde_json::from_str(&run.stdout).expect("JSON snapshot");
    assert_eq!(snap.allocations.len(), 3);
    assert!(
        snap.allocations
            .iter()
            .all(|a| a.endpoint == server.label())
    );
    assert!(
        snap.allocations[0].client.rcvb >= 100,
        "{:?}",
        snap.allocations[0]
    );
    assert!(snap.counters.events >= 1);

    // The password from a file works the same.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pw");
    std::fs::write(&file, "pw-in-env\n").expect("write");
    let file = file.display().to_string();
    let run = turntop(
        &["--once", "--redis", &url, "--redis-password-file", &file],
        &[],
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);

    // A wrong one: exit 1, a clear message, no password.
    let wrong = format!("redis://:not-the-pw@127.0.0.1:{}", server.port);
    let run = turntop(&["--once", "--redis", &wrong], &[]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr.trim(),
        format!("turntop: authentication failed for {}", server.label())
    );
}

/// `--once --listen` evicts as the TUI does: with REST usernames churning (every allocation a
/// new user, deleted at once), the model's slab (its memory) is bounded by the retention, not
/// by how long it listened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_listen_applies_the_retention_while_it_listens() {
    let server = RedisServer::start();
    let url = server.url();
    let mut con = server.connection(&url);
    let stop = Arc::new(AtomicBool::new(false));
    let published = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let publisher = {
        let (stop, published) = (stop.clone(), published.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..20 {
                    n += 1;
                    let base =
                        format!("turn/realm/r/user/1795641736:u{n}/allocation/000000000000000001");
                    publish(&mut con, &format!("{base}/status"), b"new lifetime=600");
                    publish(&mut con, &format!("{base}/status"), b"deleted");
                }
                published.store(n, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let endpoint = redis_source::RedisEndpoint::parse(&url, None, None, &TlsOptions::default())
        .expect("endpoint");
    let config = ModelConfig {
        retention: 1.0,
        ..ModelConfig::default()
    };
    let result = turntop::live::once(
        vec![endpoint],
        Duration::from_secs(6),
        config,
        redis_source::RunOptions::default(),
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || publisher.join()).await;
    let (model, _) = result.expect("once");
    let n = published.load(Ordering::Relaxed);
    // About 1000 allocations a second: slots are freed and reused after 1 s (retention) + 1 s
    // (tick), so the slab holds a few seconds' worth, not all of them.
    assert!(n > 2000, "published {n}");
    let slots = model.allocation_slot_count() as u64;
    assert!(
        slots <= n / 2,
        "{slots} allocation slots for {n} allocations"
    );
    assert!(
        model.user_slots() as u64 <= n / 2,
        "{} user slots",
        model.user_slots()
    );
}

#[test]
fn once_fails_clearly_when_redis_is_unreachable_or_the_url_is_bad() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let url = format!("redis://127.0.0.1:{port}");
    let run = turntop(&["--once", "--redis", &url], &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with(&format!("turntop: cannot connect to 127.0.0.1:{port}: ")),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
    assert!(run.stdout.is_empty());

    let run = turntop(
        &["--once", "--redis", "redis://u:hunter2@127.0.0.1:nope"],
        &[],
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.starts_with("turntop: invalid Redis URL"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    let run = turntop(&["--once", "--redis", "http://127.0.0.1:6379"], &[]);
    assert_eq!(run.code, Some(2));
}
