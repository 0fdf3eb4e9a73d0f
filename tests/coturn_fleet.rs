//! Truth when coturn restarts or several coturns share one Redis (issue 12), against real
//! coturn: redis-server, turnserver (with its admin CLI, whose `ps` is coturn's own session
//! list), turnutils_peer and turnutils_uclient, all started by the test on free loopback ports
//! and ended by PID; turntop's live Redis source runs in-process with the UI loop's tick.
//!
//! (a) a turnserver SIGKILLed mid-traffic and started again on its ports, its clients
//!     reconnecting: turntop's live rows become coturn's own sessions, and every replaced
//!     allocation is its own row;
//! (b) two turnservers, same realm and users, one redis-server: one row per `new`, the rows of
//!     shared ids flagged, and the surviving server's live allocations never shown ended, not
//!     even when the other server's start-up deletes every status key;
//! (c) redis-server killed and restarted empty under live traffic: every allocation still
//!     reporting stays live, the ones deleted afterwards end normally.
//!
//! The tests shorten the grace after which a row whose key is gone and that fell silent is
//! unconfirmed (10 s instead of 30 s) to stay under ~30 s; with the defaults (30 s grace,
//! passes every 30 s and at once when a restart shows) live rows equal coturn's sessions within
//! 60 s. With `TURNTOP_RECORD_FIXTURES=DIR`, (a) and (b) also run `turntop record --keys` and
//! write the recordings and coturn's `ps` at the end into DIR (how `tests/fixtures/fleet/` was
//! made). Without the coturn tools the tests are skipped with a note, or fail when `CI=true`.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::coturn::{Auth, CliOptions, Coturn, LabEnv, Proc, Watchdog};
use common::live::{Live, fast_reconnect};
use common::redis::RedisServer;
use turntop::model::{ConnectionState, EndReason, EndpointId, ModelConfig, State};
use turntop::output::{AllocationOut, Snapshot};
use turntop::source::redis::TlsOptions;

/// Hard limit of one scenario: every process it started is SIGKILLed by then.
const LIMIT: Duration = Duration::from_secs(180);
const CLI_PASSWORD: &str = "fleet-cli-pw";

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

fn live_model() -> Live {
    Live::with_config(ModelConfig {
        retention: 1e9,
        key_grace: 10.0,
        ..ModelConfig::default()
    })
}

fn follow(live: &mut Live, url: &str) -> EndpointId {
    live.add_with(url, None, &TlsOptions::default(), fast_reconnect())
}

type Session = (String, String);

fn session(a: &AllocationOut) -> Session {
    (a.user.clone(), a.id.clone())
}

/// What coturn holds as far as turntop can tell: live, released or expired (not unconfirmed,
/// not ended).
fn held(a: &AllocationOut) -> bool {
    matches!(a.state, State::Live | State::Released | State::Expired)
}

fn held_sessions(s: &Snapshot, local: Option<&str>) -> BTreeSet<Session> {
    s.allocations
        .iter()
        .filter(|a| held(a) && local.is_none_or(|l| a.local.as_deref() == Some(l)))
        .map(session)
        .collect()
}

/// Start clients one after the other (so that coturn numbers their sessions in this order),
/// long enough to outlast the scenario; `fast`: a traffic report every few seconds.
fn clients(coturn: &mut Coturn, users: &[&str], fast: bool) -> Vec<Proc> {
    let args: &[&str] = if fast {
        &["-n", "12000", "-z", "5", "-l", "100"]
    } else {
        &["-n", "3000", "-z", "20", "-l", "100"]
    };
    users
        .iter()
        .map(|u| {
            let p = coturn.uclient(u, args, 100);
            std::thread::sleep(Duration::from_millis(300));
            p
        })
        .collect()
}

/// `turntop record --keys` into a file of `dir`, when fixtures are being recorded.
struct Recorder {
    child: std::process::Child,
    dir: PathBuf,
    name: &'static str,
}

impl Recorder {
    fn start(url: &str, name: &'static str) -> Option<Recorder> {
        let dir = PathBuf::from(std::env::var_os("TURNTOP_RECORD_FIXTURES")?);
        std::fs::create_dir_all(&dir).expect("fixture dir");
        let out = dir.join(format!("{name}.txt"));
        let child = Command::new(env!("CARGO_BIN_EXE_turntop"))
            .args(["record", "--keys", "--redis", url, "-o"])
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("turntop record");
        Some(Recorder { child, dir, name })
    }

    /// Recording: go on for `secs` more, so that the recording holds the reconciliation passes
    /// (every 30 s) after what just happened.
    async fn linger(recorder: &Option<Recorder>, live: &mut Live, secs: f64) {
        if recorder.is_some() {
            live.pump(secs).await;
        }
    }

    /// Stop recording (SIGTERM: the file ends with its `# stopped` line) and write coturn's
    /// `ps` of each server next to it.
    fn finish(mut self, ps: &[(&str, &BTreeSet<Session>)]) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        common::wait_child(&mut self.child, 10, "turntop record");
        for (server, sessions) in ps {
            let text: String = sessions
                .iter()
                .map(|(user, id)| format!("{user}\t{id}\n"))
                .collect();
            let path = self.dir.join(format!("{}-ps-{server}.txt", self.name));
            std::fs::write(path, text).expect("write ps");
        }
    }
}

/// (a) A crash and a restart on the same ports; three of five clients reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_coturn_restarted_on_its_ports_shows_its_own_sessions() {
    require_coturn!();
    limited(async {
        let users = ["ann", "ben", "cat", "dan", "eve"];
        let auth = Auth::long_term("restart.example", &users);
        let cli = CliOptions::with_password(CLI_PASSWORD);
        let watchdog = Watchdog::new("fleet-a", LIMIT);
        let redis = RedisServer::start();
        if let Some(pid) = redis.pid() {
            watchdog.watch(pid);
        }
        // One relay thread: sessions are numbered in the order clients arrive, so the clients
        // that reconnect in the same order get the ids of their previous sessions, as with the
        // clients of a real server reconnecting after a crash.
        let coturn = Coturn::start_with_args(
            &redis,
            auth,
            None,
            Some(&cli),
            &["--relay-threads", "1"],
            &watchdog,
        );
        let mut env = LabEnv {
            coturn,
            redis,
            watchdog,
        };
        let recorder = Recorder::start(&env.url(), "restart");
        let mut live = live_model();
        let ep = follow(&mut live, &env.url());
        live.seeded(ep).await;

        let first = clients(&mut env.coturn, &users, false);
        let coturn = &env.coturn;
        let mut before = BTreeSet::new();
        live.until("turntop to hold coturn's sessions", 60.0, |l| {
            before = coturn.cli_sessions(CLI_PASSWORD);
            before.len() >= users.len() && held_sessions(&l.snapshot(), None) == before
        })
        .await;
        // Mid-traffic: a SIGKILL, no word to Redis; its clients go with it.
        live.pump(1.0).await;
        env.coturn.crash();
        drop(first);
        env.coturn.restart();
        let restarted = Instant::now();
        let second = clients(&mut env.coturn, &users[..3], false);
        let coturn = &env.coturn;
        let mut after = BTreeSet::new();
        let mut checked = Instant::now() - Duration::from_secs(1);
        live.until("turntop's live rows to be coturn's sessions", 60.0, |l| {
            if checked.elapsed() < Duration::from_secs(1) {
                return false;
            }
            checked = Instant::now();
            after = coturn.cli_sessions(CLI_PASSWORD);
            after.len() >= 3 && held_sessions(&l.snapshot(), None) == after
        })
        .await;
        eprintln!(
            "live rows = coturn's {} sessions {:.1} s after the restart ({} before it)",
            after.len(),
            restarted.elapsed().as_secs_f64(),
            before.len()
        );
        let s = live.snapshot();
        // Ids came back: each allocation is its own row, the old one replaced.
        let reused: BTreeSet<&Session> = after.intersection(&before).collect();
        assert!(
            !reused.is_empty(),
            "no id reused: {before:?} then {after:?}"
        );
        assert_eq!(
            s.counters.ids_reused as usize,
            reused.len(),
            "{:?}",
            s.counters
        );
        for id in &reused {
            let rows: Vec<&AllocationOut> = s
                .allocations
                .iter()
                .filter(|a| session(a) == **id)
                .collect();
            let reasons: BTreeSet<_> = rows.iter().map(|a| a.end_reason).collect();
            assert_eq!(
                reasons,
                BTreeSet::from([Some(EndReason::Replaced), None]),
                "{rows:#?}"
            );
            // The new row starts from zero: not the old one's bytes added up.
            let old = rows.iter().find(|a| a.end_reason.is_some()).unwrap();
            let new = rows.iter().find(|a| a.end_reason.is_none()).unwrap();
            assert!(new.first_seen > old.first_seen);
        }
        // The sessions that did not come back are not live: unconfirmed, not deleted.
        for gone in before.difference(&after) {
            let row = s.allocations.iter().find(|a| &session(a) == gone).unwrap();
            assert_eq!(row.state, State::Unconfirmed, "{row:#?}");
        }
        assert_eq!(s.counters.id_collisions, 0);
        Recorder::linger(&recorder, &mut live, 35.0).await;
        if let Some(r) = recorder {
            let end = env.coturn.cli_sessions(CLI_PASSWORD);
            r.finish(&[("before", &before), ("after", &end)]);
        }
        drop(second);
    })
    .await;
}

/// The rows of one coturn listener.
fn rows_of<'a>(s: &'a Snapshot, local: &str) -> Vec<&'a AllocationOut> {
    s.allocations
        .iter()
        .filter(|a| a.local.as_deref() == Some(local))
        .collect()
}

/// A traffic report within the last `secs` (it is still reporting).
fn reporting(a: &AllocationOut, secs: f64) -> bool {
    a.last_report_age_s.is_some_and(|age| age < secs)
}

/// (b) Two turnservers, same realm and users, one redis-server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b_two_coturns_on_one_redis_collide_and_the_survivor_is_never_ended() {
    require_coturn!();
    limited(async {
        let users = ["ann", "ben", "cat", "dan"];
        let auth = Auth::long_term("shared.example", &users);
        let cli = CliOptions::with_password(CLI_PASSWORD);
        let watchdog = Watchdog::new("fleet-b", LIMIT);
        let redis = RedisServer::start();
        if let Some(pid) = redis.pid() {
            watchdog.watch(pid);
        }
        // One relay thread each: both number their sessions in arrival order, so the same
        // users arriving in the same order share ids, as in the fleets of the issue.
        let one = ["--relay-threads", "1"];
        let mut a =
            Coturn::start_with_args(&redis, auth.clone(), None, Some(&cli), &one, &watchdog);
        let mut b = Coturn::start_with_args(&redis, auth, None, Some(&cli), &one, &watchdog);
        let (la, lb) = (a.listener(), b.listener());
        let recorder = Recorder::start(&redis.url(), "shared-redis");
        let mut live = live_model();
        let ep = follow(&mut live, &redis.url());
        live.seeded(ep).await;

        // Users in the same order on both, but ben on a where dan is on b: the servers number
        // them alike, so ann's and cat's ids are on both (collisions), ben's and dan's not.
        let mut on_a = Vec::new();
        let mut on_b = Vec::new();
        for (ua, ub) in [("ann", "ann"), ("ben", "dan"), ("cat", "cat")] {
            on_a.extend(clients(&mut a, &[ua], true));
            on_b.extend(clients(&mut b, &[ub], true));
        }
        let (mut ps_a, mut ps_b) = (BTreeSet::new(), BTreeSet::new());
        live.until("every session of both servers in turntop", 60.0, |l| {
            ps_a = a.cli_sessions(CLI_PASSWORD);
            ps_b = b.cli_sessions(CLI_PASSWORD);
            let s = l.snapshot();
            ps_a.len() >= 9
                && ps_b.len() >= 9
                && held_sessions(&s, Some(&la)) == ps_a
                && held_sessions(&s, Some(&lb)) == ps_b
        })
        .await;
        let s = live.snapshot();
        // One row per `new`: every session of either server is a row of its own.
        assert_eq!(s.allocations.len(), ps_a.len() + ps_b.len(), "{s:#?}");
        let shared: BTreeSet<&Session> = ps_a.intersection(&ps_b).collect();
        assert!(!shared.is_empty(), "no id in common: {ps_a:?} {ps_b:?}");
        for row in &s.allocations {
            assert_eq!(row.collision, shared.contains(&session(row)), "{row:#?}");
        }
        assert_eq!(s.counters.id_collisions as usize, shared.len());
        assert_eq!(s.counters.ids_reused, 0);

        // a crashes and comes back: its start-up deletes every status key, b's too. b's
        // allocations are never shown ended, and those that keep reporting stay live.
        a.crash();
        drop(on_a);
        a.restart();
        let b_rows: BTreeSet<Session> = ps_b.clone();
        let until = Instant::now() + Duration::from_secs(15);
        let mut checks = 0;
        live.until("15 s of b's allocations after a's restart", 45.0, |l| {
            let s = l.snapshot();
            for row in rows_of(&s, &lb) {
                assert_ne!(row.state, State::Deleted, "{row:#?}");
                if !row.collision && reporting(row, 8.0) {
                    assert_eq!(row.state, State::Live, "{row:#?}");
                }
            }
            checks += 1;
            Instant::now() >= until
        })
        .await;
        assert!(checks > 20);
        let s = live.snapshot();
        let reported: Vec<_> = rows_of(&s, &lb)
            .into_iter()
            .filter(|r| !r.collision && reporting(r, 8.0))
            .collect();
        assert!(!reported.is_empty(), "b's clients stopped reporting");
        assert!(
            b_rows
                .iter()
                .all(|x| s.allocations.iter().any(|r| &session(r) == x))
        );
        Recorder::linger(&recorder, &mut live, 35.0).await;
        if let Some(r) = recorder {
            let ps_b_end = b.cli_sessions(CLI_PASSWORD);
            r.finish(&[("a", &ps_a), ("b", &ps_b_end)]);
        }
        drop(on_b);
    })
    .await;
}

/// (c) redis-server killed and restarted empty under live coturn traffic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_redis_restarted_empty_keeps_reporting_allocations_live() {
    require_coturn!();
    limited(async {
        let users = ["ann", "ben"];
        let auth = Auth::long_term("flush.example", &users);
        let mut env = LabEnv::start("fleet-c", LIMIT, auth, None);
        let mut live = live_model();
        let ep = follow(&mut live, &env.url());
        live.seeded(ep).await;
        // About 22 s of traffic each, a report every few seconds.
        let mut procs: Vec<Proc> = users
            .iter()
            .map(|u| {
                env.coturn
                    .uclient(u, &["-n", "4400", "-z", "5", "-l", "100"], 90)
            })
            .collect();
        live.until("both clients reporting", 30.0, |l| {
            let s = l.snapshot();
            s.allocations.iter().filter(|a| reporting(a, 5.0)).count() >= users.len()
        })
        .await;
        let pid = env.redis.pid().expect("redis pid");
        env.redis.kill();
        env.watchdog.unwatch(pid);
        live.until("turntop to see the loss", 20.0, |l| {
            l.states
                .iter()
                .any(|(_, s)| matches!(s, ConnectionState::Reconnecting { .. }))
        })
        .await;
        env.redis.restart();
        env.watchdog.watch(env.redis.pid().expect("redis pid"));
        let passes = live.seed_ends.len();
        live.until("the re-seed from the empty Redis", 30.0, |l| {
            l.seed_ends.len() > passes
        })
        .await;
        // Longer than the grace: what keeps reporting stays live; nothing is ended.
        let until = Instant::now() + Duration::from_secs(12);
        let mut kept = BTreeSet::new();
        live.until("12 s after the re-seed", 30.0, |l| {
            let s = l.snapshot();
            for row in &s.allocations {
                assert_ne!(row.state, State::Deleted, "{row:#?}");
                if reporting(row, 8.0) {
                    assert_eq!(row.state, State::Live, "{row:#?}");
                    kept.insert(session(row));
                }
            }
            Instant::now() >= until
        })
        .await;
        assert!(kept.len() >= users.len(), "{kept:?}");
        // The clients finish: coturn deletes their allocations, and they end normally.
        let procs = &mut procs;
        live.until("the clients to finish", 60.0, |_| {
            procs.iter_mut().all(|p| !p.running())
        })
        .await;
        live.pump(2.5).await;
        let s = live.snapshot();
        for k in &kept {
            let row = s.allocations.iter().find(|a| &session(a) == k).unwrap();
            assert_eq!(row.state, State::Deleted, "{row:#?}");
            assert_eq!(row.end_reason, Some(EndReason::Deleted), "{row:#?}");
        }
        assert!(s.counters.gaps >= 1);
    })
    .await;
}
