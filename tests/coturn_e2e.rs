//! Truth against real coturn (issue 7): every scenario starts its own redis-server, turnserver
//! (`--redis-statsdb`), turnutils_peer and turnutils_uclient processes on free loopback ports,
//! runs turntop's live Redis source in-process, and compares what turntop shows with what coturn
//! wrote: the status keys left in Redis, coturn's `total_traffic`, and what uclient sent.
//!
//! Without the coturn tools the tests are skipped with a note, or fail when `CI=true`.
//! Run alone: `cargo test --test coturn_e2e` (see README.md).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::coturn::{Auth, LabEnv, Proc, SCENARIO1_REALM, TlsFiles};
use common::live::{Live, fast_reconnect};
use common::redis::TestCerts;
use turntop::coturn::Counters;
use turntop::model::{ConnectionState, EndpointId, State};
use turntop::output::{AllocationOut, Snapshot};
use turntop::source::redis::{TlsOptions, now};

/// Hard limit of one scenario: every process it started is SIGKILLed by then.
const LIMIT: Duration = Duration::from_secs(150);

// ---- turntop, in-process ----------------------------------------------------------------------

/// turntop following one Redis, reconnecting quickly.
fn follow(live: &mut Live, url: &str) -> EndpointId {
    live.add_with(url, None, &TlsOptions::default(), fast_reconnect())
}

/// Apply events until every one of `procs` has exited by itself.
async fn while_running(live: &mut Live, procs: &mut [Proc], secs: f64) {
    live.until("the uclients to finish", secs, |_| {
        procs.iter_mut().all(|p| !p.running())
    })
    .await;
    for p in procs.iter_mut() {
        assert!(
            !p.log_text().contains("ERROR"),
            "{} reported an error:\n{}",
            p.name,
            p.log_text()
        );
    }
}

// ---- Redis, read independently of turntop --------------------------------------------------------

/// One `turn/.../allocation/<id>/status` key and its value, parsed here (not with turntop's
/// parser) so the comparison is against Redis itself.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    realm: Option<String>,
    user: String,
    id: String,
    transport: Option<String>,
    remote: Option<String>,
}

fn parse_status_key(key: &str, value: &str) -> Row {
    let (head, tail) = key
        .rsplit_once("/allocation/")
        .unwrap_or_else(|| panic!("bad key {key}"));
    let id = tail.strip_suffix("/status").expect("status key").to_owned();
    assert_eq!(id.len(), 18, "{key}");
    let (realm, user) = if let Some(rest) = head.strip_prefix("turn/realm/") {
        let (realm, user) = rest.split_once("/user/").expect("realm key");
        (Some(realm.to_owned()), user.to_owned())
    } else {
        let user = head.strip_prefix("turn/user/").expect("user key");
        (None, user.to_owned())
    };
    let field = |name: &str| {
        value
            .split(", ")
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_owned)
    };
    Row {
        realm,
        user,
        id,
        transport: field("type"),
        remote: field("remote"),
    }
}

/// Every status key in Redis (SCAN + GET), as rows.
fn redis_rows(url: &str) -> BTreeSet<Row> {
    let client = redis::Client::open(url).expect("client");
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(5))
        .expect("connect");
    let keys: Vec<String> = redis::cmd("SCAN")
        .cursor_arg(0)
        .arg("MATCH")
        .arg("turn/*/allocation/*/status")
        .arg("COUNT")
        .arg(1000)
        .clone()
        .iter(&mut con)
        .expect("SCAN")
        .collect::<Result<_, _>>()
        .expect("SCAN");
    keys.iter()
        .filter_map(|k| {
            let v: Option<String> = redis::cmd("GET").arg(k).query(&mut con).expect("GET");
            v.map(|v| parse_status_key(k, &v))
        })
        .collect()
}

fn row_of(a: &AllocationOut) -> Row {
    Row {
        realm: a.realm.clone(),
        user: a.user.clone(),
        id: a.id.clone(),
        transport: a.transport.clone(),
        remote: a.remote.clone(),
    }
}

// ---- the checks every scenario makes ----------------------------------------------------------

fn open(a: &AllocationOut) -> bool {
    a.state != State::Deleted
}

/// turntop's open rows (live, released, expired) of `endpoint` are exactly the status keys in
/// that endpoint's Redis: same realm, user, id, transport and remote address. Rows whose key a
/// reconciliation found missing (after a Redis restart without persistence: coturn still holds
/// the allocation, and SETs its key again only at its next refresh) stay open, unconfirmed once
/// silent (issue 12): they are not compared.
fn check_live_equals_redis(s: &Snapshot, endpoint: &str, url: &str) -> BTreeSet<Row> {
    let ours: BTreeSet<Row> = s
        .allocations
        .iter()
        .filter(|a| {
            a.endpoint == endpoint
                && open(a)
                && a.key_missing_since.is_none()
                && a.state != State::Unconfirmed
        })
        .map(row_of)
        .collect();
    let theirs = redis_rows(url);
    let only_ours: Vec<_> = ours.difference(&theirs).collect();
    let only_theirs: Vec<_> = theirs.difference(&ours).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "{endpoint}: open allocations differ from the status keys in Redis\n\
         only in turntop: {only_ours:#?}\nonly in Redis: {only_theirs:#?}"
    );
    theirs
}

/// A deleted allocation that turntop watched from start (or seed) to end: Σdeltas equals
/// coturn's `total_traffic`, both legs.
fn check_totals_exact(a: &AllocationOut) {
    assert_eq!(a.state, State::Deleted, "{a:#?}");
    let total = a
        .total
        .as_ref()
        .unwrap_or_else(|| panic!("no total_traffic for a deleted allocation: {a:#?}"));
    assert_eq!(total.client, Some(a.client), "client leg Σdeltas: {a:#?}");
    assert_eq!(total.peer, Some(a.peer), "peer leg Σdeltas: {a:#?}");
    assert!(!a.totals_mismatch, "{a:#?}");
}

fn add(sum: &mut Counters, c: &Counters) {
    sum.rcvp += c.rcvp;
    sum.rcvb += c.rcvb;
    sum.sentp += c.sentp;
    sum.sentb += c.sentb;
}

/// Per-user and per-realm rows equal the sums over their allocations, counts included.
fn check_aggregates(s: &Snapshot) {
    #[derive(Default, Debug, PartialEq)]
    struct Agg {
        live: u32,
        unconfirmed: u32,
        expired: u32,
        ended: u32,
        client: Counters,
        peer: Counters,
        users: BTreeSet<String>,
    }
    let mut by_user: BTreeMap<(Option<String>, String), Agg> = BTreeMap::new();
    let mut by_realm: BTreeMap<Option<String>, Agg> = BTreeMap::new();
    for a in &s.allocations {
        for agg in [
            by_user
                .entry((a.realm.clone(), a.user.clone()))
                .or_default(),
            by_realm.entry(a.realm.clone()).or_default(),
        ] {
            match a.state {
                State::Live | State::Released => agg.live += 1,
                State::Unconfirmed => agg.unconfirmed += 1,
                State::Expired => agg.expired += 1,
                State::Deleted => agg.ended += 1,
            }
            add(&mut agg.client, &a.client);
            add(&mut agg.peer, &a.peer);
            agg.users.insert(a.user.clone());
        }
    }
    for u in &s.users {
        let want = by_user
            .remove(&(u.realm.clone(), u.user.clone()))
            .unwrap_or_default();
        let got = (
            (u.allocations_live, u.allocations_unconfirmed),
            u.allocations_expired,
            u.allocations_ended,
            u.client,
            u.peer,
        );
        assert_eq!(
            got,
            (
                (want.live, want.unconfirmed),
                want.expired,
                want.ended,
                want.client,
                want.peer
            ),
            "user {:?}/{:?}",
            u.realm,
            u.user
        );
    }
    assert!(by_user.is_empty(), "users without a user row: {by_user:?}");
    for r in &s.realms {
        let want = by_realm.remove(&r.realm).unwrap_or_default();
        let got = (
            (r.allocations_live, r.allocations_unconfirmed),
            r.allocations_expired,
            r.allocations_ended,
            r.client,
            r.peer,
        );
        assert_eq!(
            got,
            (
                (want.live, want.unconfirmed),
                want.expired,
                want.ended,
                want.client,
                want.peer
            ),
            "realm {:?}",
            r.realm
        );
        assert!(r.users as usize >= want.users.len(), "realm {:?}", r.realm);
    }
    assert!(
        by_realm.is_empty(),
        "realms without a realm row: {by_realm:?}"
    );
}

/// How a uclient reached the server, for the byte checks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// UDP, TCP (`-t`), TLS (`-S -t`), DTLS (`-S`): client <-> relay in ChannelData messages
    /// (4-byte header, length a multiple of 4 here), relay <-> peer over UDP.
    Channel,
    /// RFC 6062 TCP relay (`-T`): raw bytes over TCP data connections on both legs.
    TcpRelay,
}

/// The allocations of `user` that carried data (the others are uclient's probe allocations).
fn data_allocations<'a>(s: &'a Snapshot, endpoint: &str, user: &str) -> Vec<&'a AllocationOut> {
    s.allocations
        .iter()
        .filter(|a| a.endpoint == endpoint && a.user == user)
        .filter(|a| {
            let t = a.total.as_ref().and_then(|t| t.peer).unwrap_or(a.peer);
            t.rcvb > 0 || t.sentb > 0
        })
        .collect()
}

/// coturn's counts of one data allocation of a uclient that sent `n` messages of `l` bytes, which
/// the peer echoed. Checked on coturn's own `total_traffic` (which turntop's Σdeltas equals, see
/// [`check_totals_exact`]). Derived from the 4.6.1 captures: the peer leg is exactly the payload
/// (n × l each way, UDP: n packets); the client leg adds a ChannelData header (4 bytes) per message
/// and some STUN requests/responses (ALLOCATE, REFRESH, CREATE_PERMISSION, CHANNEL_BIND; 20 to 200
/// bytes each; with DTLS also handshake records), at most 40 of them in a short run.
fn check_bytes(a: &AllocationOut, kind: Kind, n: u64, l: u64) {
    let total = a.total.as_ref().expect("total_traffic");
    let (c, p) = (total.client.unwrap(), total.peer.unwrap());
    let ctx = format!("{kind:?} n={n} l={l}: {a:#?}");
    match kind {
        Kind::Channel => {
            assert_eq!(
                (p.rcvp, p.rcvb, p.sentp, p.sentb),
                (n, n * l, n, n * l),
                "peer leg {ctx}"
            );
            for (pk, by, what) in [(c.rcvp, c.rcvb, "rcv"), (c.sentp, c.sentb, "sent")] {
                assert!(pk >= n, "client {what}p {ctx}");
                let extra = pk - n;
                assert!(
                    (1..=40).contains(&extra),
                    "client {what}p: {extra} non-data packets {ctx}"
                );
                let payload = n * (l + 4);
                assert!(by >= payload + extra * 20, "client {what}b too small {ctx}");
                assert!(
                    by <= payload + extra * 200,
                    "client {what}b too large {ctx}"
                );
            }
        }
        Kind::TcpRelay => {
            // TCP coalesces: packets are read counts, bytes are exact.
            assert_eq!((p.rcvb, p.sentb), (n * l, n * l), "peer leg {ctx}");
            assert!(
                (1..=n).contains(&p.rcvp) && (1..=n).contains(&p.sentp),
                "{ctx}"
            );
            for (by, what) in [(c.rcvb, "rcv"), (c.sentb, "sent")] {
                assert!(
                    (n * l + 100..=n * l + 3000).contains(&by),
                    "client {what}b {ctx}"
                );
            }
        }
    }
}

/// All data allocations of `user` ended while turntop watched, match coturn's totals exactly,
/// and carry what uclient sent. Returns how many there were.
fn check_finished_client(s: &Snapshot, ep: &str, user: &str, kind: Kind, n: u64, l: u64) -> usize {
    let data = data_allocations(s, ep, user);
    assert!(!data.is_empty(), "no data allocation of {user} on {ep}");
    for a in &data {
        check_totals_exact(a);
        check_bytes(a, kind, n, l);
    }
    data.len()
}

/// Every deleted allocation in the snapshot: exact totals (turntop was connected throughout).
fn check_all_deleted_exact(s: &Snapshot) {
    for a in s.allocations.iter().filter(|a| !open(a)) {
        check_totals_exact(a);
    }
}

fn users_of(s: &Snapshot) -> BTreeSet<String> {
    s.allocations.iter().map(|a| a.user.clone()).collect()
}

/// Wait (applying events) until Redis holds at least `n` status keys of `user`.
async fn wait_keys(live: &mut Live, url: &str, user: &str, n: usize) {
    let url = url.to_owned();
    live.until(&format!("{n} status keys of {user}"), 30.0, |_| {
        redis_rows(&url).iter().filter(|r| r.user == user).count() >= n
    })
    .await;
}

macro_rules! require_coturn {
    () => {
        if !common::coturn::available() {
            return;
        }
    };
}

async fn limited<F: std::future::Future<Output = ()>>(f: F) {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("the scenario exceeded its time limit");
}

// ---- scenarios ----------------------------------------------------------------------------------

/// 1. Long-term credentials with a realm: UDP, TCP, TCP relay and two-session clients, clients
///    killed without releasing (UDP and TCP), clients that release. turntop connects while
///    allocations already exist (it seeds them) and stays connected through the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_term_credentials_mixed_clients() {
    require_coturn!();
    limited(async {
        let mut env = LabEnv::scenario1(LIMIT);
        let url = env.url();
        let ep = env.label();
        let c = &mut env.coturn;

        // Before turntop: two clients that hang after 20 messages.
        let mut killudp = c.uclient("killudp", &["-h", "-n", "20"], 90);
        let mut killtcp = c.uclient("killtcp", &["-t", "-h", "-n", "20"], 90);
        let mut live = Live::new();
        // uclient's UDP probe + RTP + RTCP allocations; over TCP the probe is deleted at once.
        wait_keys(&mut live, &url, "killudp", 3).await;
        wait_keys(&mut live, &url, "killtcp", 2).await;
        tokio::time::sleep(Duration::from_millis(1500)).await; // the 20 messages

        let source = follow(&mut live, &url);
        live.seeded(source).await;
        let seeded = live.snapshot();
        assert_eq!(seeded.counters.seeded, 5, "{:#?}", seeded.allocations);
        assert!(seeded.allocations.iter().all(|a| a.seeded));

        let (n, l) = (20u64, 100u64);
        let mut clients = vec![
            c.uclient("udp", &["-n", "20", "-l", "100"], 60),
            c.uclient("tcp", &["-t", "-n", "20", "-l", "100"], 60),
            c.uclient("tcprelay", &["-T", "-n", "20", "-l", "100"], 60),
            c.uclient("multi", &["-m", "2", "-n", "20", "-l", "100"], 60),
        ];
        while_running(&mut live, &mut clients, 60.0).await;
        // Killed without releasing: the UDP allocations stay, the TCP ones end with the
        // connection. (SIGTERM to the `timeout` wrapper reaches uclient.)
        killudp.terminate(Duration::from_secs(5));
        killtcp.terminate(Duration::from_secs(5));
        // UDP allocations are deleted ~1 s after the final REFRESH lifetime=0.
        live.pump(2.5).await;

        let s = live.snapshot();
        let keys = check_live_equals_redis(&s, &ep, &url);
        check_all_deleted_exact(&s);
        check_aggregates(&s);
        assert_eq!(s.counters.malformed, 0);

        assert_eq!(
            check_finished_client(&s, &ep, "udp", Kind::Channel, n, l),
            2
        );
        assert_eq!(
            check_finished_client(&s, &ep, "tcp", Kind::Channel, n, l),
            2
        );
        assert_eq!(
            check_finished_client(&s, &ep, "tcprelay", Kind::TcpRelay, n, l),
            2
        );
        assert!(check_finished_client(&s, &ep, "multi", Kind::Channel, n, l) >= 2);
        // Seeded, then ended while watched: exact as well.
        let killed_tcp = check_finished_client(&s, &ep, "killtcp", Kind::Channel, n, l);
        assert_eq!(killed_tcp, 2);
        assert!(
            s.allocations
                .iter()
                .filter(|a| a.user == "killtcp")
                .all(|a| a.seeded && a.state == State::Deleted)
        );
        // The killed UDP client: its allocations are still live, seeded, and in Redis.
        let killed_udp: Vec<_> = s
            .allocations
            .iter()
            .filter(|a| a.user == "killudp")
            .collect();
        assert_eq!(killed_udp.len(), 3, "{killed_udp:#?}");
        assert!(
            killed_udp
                .iter()
                .all(|a| a.state == State::Live && a.seeded)
        );
        // Released clients over UDP leave only their probe allocation live (lifetime 777 s).
        for user in ["udp", "multi", "killudp"] {
            let u = s.users.iter().find(|u| u.user == user).expect("user row");
            let in_redis = keys.iter().filter(|k| k.user == user).count();
            assert_eq!(u.allocations_live as usize, in_redis, "{user}");
            assert_eq!(u.realm.as_deref(), Some(SCENARIO1_REALM));
        }
        for user in ["tcp", "tcprelay", "killtcp"] {
            assert!(keys.iter().all(|k| k.user != user), "{user} left a key");
        }
        assert!(
            s.allocations
                .iter()
                .all(|a| a.realm.as_deref() == Some(SCENARIO1_REALM))
        );
    })
    .await;
}

/// 2. TURN REST API credentials: usernames `<expiry ts>:<name>`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_credentials() {
    require_coturn!();
    limited(async {
        let auth = Auth::Rest {
            realm: "rest.example".into(),
            secret: "e2e-secret".into(),
        };
        let mut env = LabEnv::start("rest", LIMIT, auth, None);
        let (url, ep) = (env.url(), env.label());
        let mut live = Live::new();
        let source = follow(&mut live, &url);
        live.seeded(source).await;
        let t0 = now();
        let mut clients = vec![
            env.coturn.uclient("carol", &["-n", "20", "-l", "100"], 60),
            env.coturn
                .uclient("dave", &["-t", "-n", "20", "-l", "100"], 60),
        ];
        while_running(&mut live, &mut clients, 60.0).await;
        live.pump(2.5).await;
        let s = live.snapshot();
        check_live_equals_redis(&s, &ep, &url);
        check_all_deleted_exact(&s);
        check_aggregates(&s);
        let users = users_of(&s);
        assert_eq!(users.len(), 2, "{users:?}");
        for name in ["carol", "dave"] {
            let user = users
                .iter()
                .find(|u| u.ends_with(&format!(":{name}")))
                .unwrap_or_else(|| panic!("no <ts>:{name} user in {users:?}"));
            let ts: f64 = user
                .split(':')
                .next()
                .unwrap()
                .parse()
                .expect("a timestamp");
            // uclient asks for now + 1 day.
            assert!((ts - (t0 + 86400.0)).abs() < 120.0, "{user}");
            let kind = Kind::Channel;
            assert_eq!(check_finished_client(&s, &ep, user, kind, 20, 100), 2);
        }
        assert!(
            s.allocations
                .iter()
                .all(|a| a.realm.as_deref() == Some("rest.example"))
        );
    })
    .await;
}

/// 3. `--no-auth`: realm-less channels and keys, empty user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_auth() {
    require_coturn!();
    limited(async {
        let mut env = LabEnv::start("noauth", LIMIT, Auth::None, None);
        let (url, ep) = (env.url(), env.label());
        let mut live = Live::new();
        let source = follow(&mut live, &url);
        live.seeded(source).await;
        let mut clients = vec![
            env.coturn.uclient("", &["-n", "20", "-l", "100"], 60),
            env.coturn.uclient("", &["-t", "-n", "20", "-l", "100"], 60),
        ];
        while_running(&mut live, &mut clients, 60.0).await;
        live.pump(2.5).await;
        let s = live.snapshot();
        let keys = check_live_equals_redis(&s, &ep, &url);
        assert!(!keys.is_empty(), "the UDP probe allocation stays");
        assert!(keys.iter().all(|k| k.realm.is_none() && k.user.is_empty()));
        check_all_deleted_exact(&s);
        check_aggregates(&s);
        assert!(
            s.allocations
                .iter()
                .all(|a| a.realm.is_none() && a.user.is_empty())
        );
        // Two clients, two data allocations each (RTP + RTCP), all under the one empty user.
        let data = data_allocations(&s, &ep, "");
        assert_eq!(data.len(), 4, "{data:#?}");
        for a in data {
            check_totals_exact(a);
            check_bytes(a, Kind::Channel, 20, 100);
        }
        assert_eq!(s.users.len(), 1);
        assert_eq!(s.realms.len(), 1);
        assert_eq!(s.realms[0].realm, None);
    })
    .await;
}

/// 4. TLS and DTLS clients with a certificate the test makes: `ssl=` and `cipher=` filled in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_dtls_clients() {
    require_coturn!();
    limited(async {
        let certs = TestCerts::make();
        let files = TlsFiles {
            cert: certs.path("server.pem"),
            key: certs.path("server.key"),
        };
        let auth = Auth::long_term("tls.example", &["tls", "dtls"]);
        let mut env = LabEnv::start("tls", LIMIT, auth, Some(&files));
        let (url, ep) = (env.url(), env.label());
        let mut live = Live::new();
        let source = follow(&mut live, &url);
        live.seeded(source).await;
        let mut clients = vec![
            env.coturn
                .uclient("tls", &["-S", "-t", "-n", "20", "-l", "100"], 60),
            env.coturn
                .uclient("dtls", &["-S", "-n", "20", "-l", "100"], 60),
        ];
        while_running(&mut live, &mut clients, 60.0).await;
        live.pump(2.5).await;
        let s = live.snapshot();
        check_live_equals_redis(&s, &ep, &url);
        check_all_deleted_exact(&s);
        check_aggregates(&s);
        for (user, transport, ssl) in [("tls", "TLS/TCP", "TLS"), ("dtls", "DTLS", "DTLS")] {
            let n = check_finished_client(&s, &ep, user, Kind::Channel, 20, 100);
            assert_eq!(n, 2, "{user}");
            for a in s.allocations.iter().filter(|a| a.user == user) {
                assert_eq!(a.transport.as_deref(), Some(transport), "{a:#?}");
                let v = a.ssl.as_deref().unwrap_or("");
                assert!(v.starts_with(ssl) && v != "NONE", "ssl={v} {a:#?}");
                let cipher = a.cipher.as_deref().unwrap_or("NONE");
                assert!(cipher != "NONE" && !cipher.is_empty(), "{a:#?}");
            }
        }
    })
    .await;
}

/// 5. Redis restarted (crash: SIGKILL, no persistence) in the middle of traffic. coturn 4.6.1
///    reconnects its statsdb connections by itself (`redis_reconnect: Re-connected to redis` in
///    its log); turntop reconnects, re-seeds and counts a gap. Allocations that ended before
///    and wholly after the restart are exact; those that ran across it have coturn's totals,
///    and Σdeltas < total is flagged as a mismatch (reports published while Redis was down are
///    lost for everybody).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_mid_traffic() {
    require_coturn!();
    limited(async {
        let auth = Auth::long_term("restart.example", &["before", "across", "after"]);
        let mut env = LabEnv::start("restart", LIMIT, auth, None);
        let (url, ep) = (env.url(), env.label());
        let mut live = Live::new();
        let source = follow(&mut live, &url);
        live.seeded(source).await;

        let mut before = vec![env.coturn.uclient("before", &["-n", "20", "-l", "100"], 60)];
        while_running(&mut live, &mut before, 60.0).await;
        live.pump(2.5).await;

        // 4000 messages every 2 ms (~8 s): a traffic report every 4096 packets (~2 s).
        let (n, l) = (4000u64, 100u64);
        let mut across = env
            .coturn
            .uclient("across", &["-n", "4000", "-z", "2", "-l", "100"], 90);
        let ep2 = ep.clone();
        live.until("a traffic report of `across`", 30.0, |l| {
            let s = l.snapshot();
            data_allocations(&s, &ep2, "across").len() >= 2
        })
        .await;

        let old_pid = env.redis.pid().expect("redis pid");
        env.redis.kill();
        env.watchdog.unwatch(old_pid);
        live.until("turntop to see the loss", 15.0, |l| {
            l.states
                .iter()
                .any(|(_, s)| matches!(s, ConnectionState::Reconnecting { .. }))
        })
        .await;
        // Traffic goes on while Redis is down: coturn's reports of these 3 s are lost.
        live.pump(3.0).await;
        env.redis.restart();
        env.watchdog.watch(env.redis.pid().expect("redis pid"));
        live.until("turntop to reconnect and re-seed", 20.0, |l| {
            l.seed_ends.len() >= 2
        })
        .await;
        assert_eq!(
            live.states.last().map(|(_, s)| s.clone()),
            Some(ConnectionState::Connected)
        );
        while_running(&mut live, std::slice::from_mut(&mut across), 60.0).await;
        live.pump(2.5).await;

        let mut after = vec![env.coturn.uclient("after", &["-n", "20", "-l", "100"], 60)];
        while_running(&mut live, &mut after, 60.0).await;
        live.pump(2.5).await;

        let s = live.snapshot();
        check_live_equals_redis(&s, &ep, &url);
        check_aggregates(&s);
        assert!(s.counters.gaps >= 1, "{:?}", s.counters);
        assert!(s.endpoints[0].gaps >= 1, "{:?}", s.endpoints);
        assert!(
            env.coturn
                .log_text()
                .contains("redis_reconnect: Re-connected to redis"),
            "coturn did not reconnect to Redis"
        );

        // Ended before the restart, and wholly after it: exact.
        assert_eq!(
            check_finished_client(&s, &ep, "before", Kind::Channel, 20, 100),
            2
        );
        assert_eq!(
            check_finished_client(&s, &ep, "after", Kind::Channel, 20, 100),
            2
        );
        assert!(
            s.allocations
                .iter()
                .filter(|a| a.user == "after")
                .all(|a| !a.seeded)
        );

        // Across the restart: coturn reconnected and published its totals, which carry exactly
        // what uclient sent; turntop missed the reports of the outage and says so.
        let data = data_allocations(&s, &ep, "across");
        assert_eq!(data.len(), 2, "{data:#?}");
        for a in data {
            assert_eq!(a.state, State::Deleted, "{a:#?}");
            let total = a.total.as_ref().expect("total_traffic after the restart");
            let (tc, tp) = (total.client.unwrap(), total.peer.unwrap());
            // 2000 datagrams/s each way on a busy machine: allow a rare UDP drop, but every
            // datagram on the peer leg is one l-byte message.
            assert_eq!((tp.rcvb, tp.sentb), (tp.rcvp * l, tp.sentp * l), "{a:#?}");
            assert!(tp.rcvp <= n && tp.rcvp >= n * 99 / 100, "{a:#?}");
            assert!(tp.sentp <= tp.rcvp && tp.sentp >= n * 98 / 100, "{a:#?}");
            assert!(tc.rcvb >= tp.sentb + 4 * tp.sentp, "{a:#?}");
            for (sum, t) in [(a.client, tc), (a.peer, tp)] {
                assert!(
                    sum.rcvp <= t.rcvp
                        && sum.rcvb <= t.rcvb
                        && sum.sentp <= t.sentp
                        && sum.sentb <= t.sentb,
                    "Σdeltas exceed the total: {a:#?}"
                );
            }
            // Reports published while Redis was down are lost, and then turntop must flag the
            // allocation. Under load a client may have published none during the outage: then
            // nothing was lost and nothing may be flagged.
            assert_eq!(a.totals_mismatch, a.client != tc || a.peer != tp, "{a:#?}");
        }
    })
    .await;
}

/// 6. Two coturn servers, each with its own Redis, one turntop watching both: the same ids
///    (both servers count from 1) are distinct rows with their endpoint labels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_one_turntop() {
    require_coturn!();
    limited(async {
        let auth = Auth::long_term("two.example", &["alice", "bob"]);
        let mut a = LabEnv::start("two-a", LIMIT, auth.clone(), None);
        let mut b = LabEnv::start("two-b", LIMIT, auth, None);
        let mut live = Live::new();
        let ep_a = follow(&mut live, &a.url());
        let ep_b = follow(&mut live, &b.url());
        live.seeded(ep_a).await;
        live.seeded(ep_b).await;
        let mut clients = vec![
            a.coturn.uclient("alice", &["-n", "20", "-l", "100"], 60),
            b.coturn.uclient("alice", &["-n", "20", "-l", "100"], 60),
        ];
        // Left running on b: live TCP allocations.
        let _hang = b.coturn.uclient("bob", &["-t", "-h", "-n", "20"], 90);
        while_running(&mut live, &mut clients, 60.0).await;
        live.pump(2.5).await;

        let s = live.snapshot();
        let ka = check_live_equals_redis(&s, &a.label(), &a.url());
        let kb = check_live_equals_redis(&s, &b.label(), &b.url());
        check_all_deleted_exact(&s);
        check_aggregates(&s);
        assert!(
            kb.iter()
                .any(|k| k.user == "bob" && k.transport.as_deref() == Some("TCP"))
        );
        assert!(ka.iter().all(|k| k.user == "alice"));
        for env in [&a, &b] {
            let n = check_finished_client(&s, &env.label(), "alice", Kind::Channel, 20, 100);
            assert_eq!(n, 2);
        }
        let ids = |label: &str| -> BTreeSet<String> {
            s.allocations
                .iter()
                .filter(|x| x.endpoint == label)
                .map(|x| x.id.clone())
                .collect()
        };
        let (ia, ib) = (ids(&a.label()), ids(&b.label()));
        let shared: Vec<_> = ia.intersection(&ib).collect();
        assert!(!shared.is_empty(), "no shared id: {ia:?} {ib:?}");
        for id in shared {
            let rows: Vec<_> = s.allocations.iter().filter(|x| &x.id == id).collect();
            assert_eq!(rows.len(), 2, "{rows:#?}");
            assert_ne!(rows[0].endpoint, rows[1].endpoint);
        }
        let labels: BTreeSet<_> = s.endpoints.iter().map(|e| e.label.clone()).collect();
        assert_eq!(labels, BTreeSet::from([a.label(), b.label()]));
    })
    .await;
}

// ---- the harness itself -------------------------------------------------------------------------

fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Gone, or a zombie nobody of ours will reap (its parent was ended too).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// A hung uclient (`-h`) cannot hang a scenario: waiting for it fails after its limit, and
/// dropping its guard ends the `timeout` wrapper and the uclient under it, by PID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_uclient_is_ended_by_pid() {
    require_coturn!();
    limited(async {
        let mut env = LabEnv::start("hung", LIMIT, Auth::None, None);
        let mut hung = env.coturn.uclient("", &["-h", "-n", "5"], 120);
        let wrapper = hung.pid();
        let mut uclient = Vec::new();
        for _ in 0..100 {
            uclient = children_of(wrapper);
            if !uclient.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(uclient.len(), 1, "the uclient under timeout");
        let waited = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
            hung.wait_exit(Duration::from_secs(3)),
        ))
        .await;
        assert!(waited.is_err(), "a hanging uclient exited by itself?");
        drop(hung);
        assert!(gone(wrapper), "timeout wrapper {wrapper} still running");
        for _ in 0..100 {
            if gone(uclient[0]) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(gone(uclient[0]), "uclient {} still running", uclient[0]);
    })
    .await;
}

/// The watchdog ends what is still running at a scenario's hard limit.
#[test]
fn watchdog_kills_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let dog = common::coturn::Watchdog::new("watchdog-test", Duration::from_secs(1));
    let mut cmd = std::process::Command::new("sleep");
    cmd.arg("300");
    let mut p = Proc::spawn("sleep", cmd, dir.path().join("sleep.log"), &dog);
    let start = std::time::Instant::now();
    while p.running() {
        assert!(start.elapsed() < Duration::from_secs(15), "not killed");
        std::thread::sleep(Duration::from_millis(50));
    }
}
