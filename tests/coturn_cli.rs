//! coturn's admin CLI beside its Redis (issue 17), against a real turnserver started with
//! `--cli-password` on a free loopback port: peers in the JSON equal coturn's own `ps`; `K`,
//! `y` in a real terminal ends a uclient's session in coturn; a wrong password or an
//! unreachable CLI leave the Redis view working and say why; coturn's count against turntop's.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::coturn::{self, Auth, CliOptions, LabEnv};
use common::tmux::{self, Tmux};

const PASSWORD: &str = "cli-secret-17";
const REALM: &str = "cli.example";

fn env(name: &str, users: &[&str]) -> LabEnv {
    LabEnv::start_with_cli(
        name,
        Duration::from_secs(170),
        Auth::long_term(REALM, users),
        None,
        Some(&CliOptions::with_password(PASSWORD)),
    )
}

/// turntop in tmux at 200x30 without colour: `--redis URL --coturn-cli ADDR`, then `extra`, with
/// `vars` in its environment.
fn tui_with_cli(
    name: &str,
    url: &str,
    cli_addr: &str,
    extra: &[&str],
    vars: &[(&str, &str)],
) -> Tmux {
    let mut argv = vec![
        env!("CARGO_BIN_EXE_turntop"),
        "--redis",
        url,
        "--coturn-cli",
        cli_addr,
    ];
    argv.extend_from_slice(extra);
    let mut env = vec![("NO_COLOR", "1")];
    env.extend_from_slice(vars);
    Tmux::start(name, 200, 30, &argv, &env)
}

/// Poll `what` until it holds (up to `secs`), then return its value.
fn until<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn once_json(url: &str, cli_addr: &str, password: &str) -> (serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_turntop"))
        .args(["--once", "--format", "json", "--redis", url])
        .args(["--coturn-cli", cli_addr])
        .env("TURNTOP_COTURN_CLI_PASSWORD", password)
        .output()
        .expect("run turntop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = serde_json::from_slice(&out.stdout).expect("json");
    (json, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn live_allocations(json: &serde_json::Value) -> Vec<&serde_json::Value> {
    json["allocations"]
        .as_array()
        .expect("allocations")
        .iter()
        .filter(|a| a["state"] == "live")
        .collect()
}

#[test]
fn every_live_allocations_peers_equal_coturns_ps() {
    if !coturn::available() {
        return;
    }
    let mut env = env("cli-peers", &["alice", "bob"]);
    // Each uclient makes two allocations, one of them without any peer (no `peers:` block).
    let _a = env
        .coturn
        .uclient("alice", &["-c", "-n", "2000", "-z", "50"], 120);
    let _b = env
        .coturn
        .uclient("bob", &["-c", "-I", "-n", "2000", "-z", "50"], 120);
    let peers = until(
        "coturn's ps to list both users' sessions, some with peers",
        40,
        || {
            let p = env.coturn.cli_peers(PASSWORD);
            let users = env.coturn.cli_sessions(PASSWORD);
            let both =
                users.iter().any(|(u, _)| u == "alice") && users.iter().any(|(u, _)| u == "bob");
            (both && p.values().any(|v| !v.is_empty())).then_some(p)
        },
    );
    let (json, stderr) = until("turntop to show coturn's sessions live", 40, || {
        let (json, stderr) = once_json(&env.url(), &env.coturn.cli_addr(), PASSWORD);
        (live_allocations(&json).len() == peers.len()).then_some((json, stderr))
    });
    let with_peers = live_allocations(&json)
        .iter()
        .filter(|a| {
            a["coturn_cli"]["peers"]
                .as_array()
                .is_some_and(|p| !p.is_empty())
        })
        .count();
    assert!(
        with_peers >= 1 && with_peers < peers.len(),
        "some with peers, some without: {json}"
    );
    assert!(!stderr.contains(PASSWORD), "the password is never printed");
    let text = json.to_string();
    assert!(!text.contains(PASSWORD), "nor in the JSON");
    for a in live_allocations(&json) {
        let id = a["id"].as_str().expect("id");
        let cli = &a["coturn_cli"];
        assert!(cli.is_object(), "allocation {id} has no coturn_cli: {a}");
        let mut ours: Vec<String> = cli["peers"]
            .as_array()
            .expect("peers")
            .iter()
            .map(|p| p.as_str().unwrap_or_default().to_owned())
            .collect();
        let mut theirs = peers
            .get(id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not in ps"));
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "peers of {id}");
        assert_eq!(cli["relay"].as_array().map(Vec::len), Some(1), "{a}");
        assert_eq!(cli["client_protocol"], "UDP");
        assert_eq!(cli["fingerprints"], true);
        assert_eq!(cli["mobile"], false);
    }
}

#[test]
fn k_then_y_cancels_a_uclient_session_in_coturn() {
    if !coturn::available() || !tmux::available() {
        return;
    }
    let mut env = env("cli-cancel", &["alice"]);
    let _a = env
        .coturn
        .uclient("alice", &["-c", "-n", "3000", "-z", "50"], 150);
    until("coturn to hold alice's sessions", 30, || {
        (!env.coturn.cli_sessions(PASSWORD).is_empty()).then_some(())
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = dir.path().join("cli-password");
    std::fs::write(&pw, format!("{PASSWORD}\n")).expect("write");
    let url = env.url();
    let cli_addr = env.coturn.cli_addr();
    let t = tui_with_cli(
        "cli-cancel",
        &url,
        &cli_addr,
        &[
            "--coturn-cli-password-file",
            pw.to_str().expect("utf-8 path"),
        ],
        &[],
    );
    let s = t.wait_for(
        "alice live, the CLI up and her peers",
        Duration::from_secs(40),
        |s| {
            s.contains("CLI ●")
                && s.contains("PEERS")
                && s.lines().any(|l| {
                    l.starts_with("alice ") && l.contains("● live") && l.trim_end().ends_with('2')
                })
        },
    );
    assert!(s.contains(" K cancel"), "K offered in the hint bar:\n{s}");
    assert!(!s.contains(PASSWORD));
    t.keys(&["K"]);
    let s = t.wait_for("the confirmation", Duration::from_secs(10), |s| {
        s.contains("confirm") && s.contains("? y/N")
    });
    // The popup wraps: read it without the line breaks and box edges.
    let flat: String = s
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let tail = format!("of alice @ {REALM} on {}? y/N", env.label());
    let at = flat
        .find("Cancel allocation ")
        .unwrap_or_else(|| panic!("{s}"));
    let rest = &flat[at + "Cancel allocation ".len()..];
    let (short, rest) = rest.split_once(' ').expect("an id");
    assert!(rest.starts_with(&tail), "{rest}\n{s}");
    // `0.243` is relay thread 0, counter 243: coturn's id 000000000000000243.
    let (thread, counter) = short.split_once('.').expect("t.n");
    let id = format!(
        "{:018}",
        thread.parse::<u64>().expect("thread") * 1_000_000_000_000_000
            + counter.parse::<u64>().expect("counter")
    );
    assert!(
        env.coturn
            .cli_sessions(PASSWORD)
            .iter()
            .any(|(_, i)| *i == id),
        "{id} is coturn's"
    );
    t.keys(&["y"]);
    let s = t.wait_for(
        "coturn's answer and the row deleted",
        Duration::from_secs(30),
        |s| s.contains("○ deleted"),
    );
    assert!(
        s.contains(&format!("cs {} accepted", id.trim_start_matches('0')))
            || s.contains(&format!("cs {} sent", id.trim_start_matches('0'))),
        "coturn's answer shown:\n{s}"
    );
    until("the session gone from coturn's ps", 20, || {
        (!env
            .coturn
            .cli_sessions(PASSWORD)
            .iter()
            .any(|(_, i)| *i == id))
        .then_some(())
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);

    // --read-only: K says so and asks nothing.
    let t = tui_with_cli(
        "cli-read-only",
        &url,
        &cli_addr,
        &[
            "--coturn-cli-password-file",
            pw.to_str().expect("utf-8 path"),
            "--read-only",
        ],
        &[],
    );
    t.wait_for(
        "K read-only in the hint bar",
        Duration::from_secs(30),
        |s| s.contains("CLI ●") && s.contains("K cancel: read-only"),
    );
    let before = env.coturn.cli_sessions(PASSWORD);
    t.keys(&["K"]);
    let s = t.wait_for("the reason", Duration::from_secs(10), |s| {
        s.contains("cannot cancel: read-only")
    });
    assert!(!s.contains("? y/N"), "{s}");
    assert_eq!(env.coturn.cli_sessions(PASSWORD), before);
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
}

#[test]
fn a_wrong_password_or_no_cli_leaves_the_redis_view_working_and_says_why() {
    if !coturn::available() || !tmux::available() {
        return;
    }
    let mut env = env("cli-faults", &["alice"]);
    let _a = env
        .coturn
        .uclient("alice", &["-c", "-n", "3000", "-z", "50"], 150);
    until("coturn to hold alice's sessions", 30, || {
        (!env.coturn.cli_sessions(PASSWORD).is_empty()).then_some(())
    });
    let url = env.url();
    let cli_addr = env.coturn.cli_addr();
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("turntop.log");
    let t = tui_with_cli(
        "cli-wrong",
        &url,
        &cli_addr,
        &["--log", log.to_str().expect("utf-8 path")],
        &[("TURNTOP_COTURN_CLI_PASSWORD", "not-the-password")],
    );
    let s = t.wait_for("the reason and alice's row", Duration::from_secs(40), |s| {
        s.contains(&format!("authentication failed for coturn CLI {cli_addr}"))
            && s.lines()
                .any(|l| l.starts_with("alice ") && l.contains("● live"))
    });
    assert!(s.contains("● connected"), "Redis unaffected:\n{s}");
    assert!(s.contains("cancel: CLI down"), "K says why:\n{s}");
    assert!(!s.contains("not-the-password"));
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
    let logged = std::fs::read_to_string(&log).expect("the log");
    assert!(
        logged.contains("authentication failed for coturn CLI"),
        "{logged}"
    );
    assert!(
        !logged.contains("not-the-password"),
        "the password is never logged"
    );

    // Nothing listens there: the Redis view is complete, the CLI's fields absent, and why.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = closed.local_addr().expect("addr").to_string();
    drop(closed);
    let (json, stderr) = once_json(&url, &dead, PASSWORD);
    assert!(!live_allocations(&json).is_empty(), "{json}");
    assert!(json["allocations"][0].get("coturn_cli").is_none());
    assert!(stderr.contains(&format!("coturn CLI {dead}")), "{stderr}");
}

#[test]
fn coturns_count_and_turntops_shown_apart_and_a_problem_until_the_session_refreshes() {
    if !coturn::available() || !tmux::available() {
        return;
    }
    let mut env = env("cli-count", &["alice"]);
    // uclient refreshes its allocation every 30 s: coturn then SETs its key and publishes.
    let _a = env
        .coturn
        .uclient("alice", &["-c", "-n", "2400", "-z", "50"], 150);
    // uclient's second allocation (the one without peers) is never refreshed: take the key of
    // one with peers.
    let id = until("a session with peers", 30, || {
        env.coturn
            .cli_peers(PASSWORD)
            .into_iter()
            .find(|(_, peers)| !peers.is_empty())
            .map(|(id, _)| id)
    });
    let mut redis = env.redis.connection(&env.url());
    let key: String = until("its status key", 30, || {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("turn/*/allocation/{id}/status"))
            .query(&mut redis)
            .ok()?;
        keys.into_iter().next()
    });
    // As when several coturns share a Redis: the seed misses this live session.
    let _: i64 = redis::cmd("DEL").arg(&key).query(&mut redis).expect("DEL");
    let url = env.url();
    let cli_addr = env.coturn.cli_addr();
    let t = tui_with_cli(
        "cli-count",
        &url,
        &cli_addr,
        &[],
        &[("TURNTOP_COTURN_CLI_PASSWORD", PASSWORD)],
    );
    // The Problems view: the persistent difference is a `count_mismatch` problem too.
    t.wait_for("the CLI up", Duration::from_secs(60), |s| {
        s.contains("CLI ●")
    });
    t.keys(&["4"]);
    let s = t.wait_for("the counts shown apart", Duration::from_secs(60), |s| {
        s.contains("≠ turntop")
    });
    let coturn_count = env.coturn.cli_sessions(PASSWORD).len();
    assert!(
        s.contains(&format!(
            "coturn {coturn_count} ≠ turntop {} sessions",
            coturn_count - 1
        )),
        "{s}"
    );
    // The tick (once a second) reads the CLI's verdict: the problem follows the header.
    let s = t.wait_for("the count_mismatch problem", Duration::from_secs(30), |s| {
        s.contains("count_mismatch")
    });
    assert!(
        s.contains(&format!(
            "coturn counts {coturn_count} sessions, turntop {}: missed new/deleted events",
            coturn_count - 1
        )),
        "{s}"
    );
    let badge = s.lines().next().unwrap_or("");
    assert!(badge.contains("▲") && badge.contains("warn"), "{s}");
    t.wait_for(
        "the refresh: counts agree, the problem gone",
        Duration::from_secs(90),
        |s| !s.contains("≠ turntop") && !s.contains("count_mismatch"),
    );
    t.keys(&["1"]);
    let s = t.wait_for("alice live", Duration::from_secs(30), |s| {
        !s.contains("≠ turntop")
            && s.lines()
                .any(|l| l.starts_with("alice ") && l.contains("● live"))
    });
    assert!(s.contains("CLI ●"), "{s}");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
}

#[test]
fn a_cli_that_goes_away_is_retried_and_the_redis_view_carries_on() {
    if !coturn::available() || !tmux::available() {
        return;
    }
    let mut env = env("cli-gone", &["alice"]);
    let url = env.url();
    let cli_addr = env.coturn.cli_addr();
    let t = tui_with_cli(
        "cli-gone",
        &url,
        &cli_addr,
        &[],
        &[("TURNTOP_COTURN_CLI_PASSWORD", PASSWORD)],
    );
    t.wait_for("Redis and the CLI up", Duration::from_secs(30), |s| {
        s.contains("● connected") && s.contains("CLI ●")
    });
    // coturn dies: its CLI connection closes (Redis stays up).
    env.coturn.crash();
    let s = t.wait_for("the CLI down, with why", Duration::from_secs(30), |s| {
        s.contains("CLI ✗")
    });
    assert!(s.contains("● connected"), "Redis unaffected:\n{s}");
    // It comes back on the same ports: turntop logs in again by itself.
    env.coturn.restart();
    let _a = env
        .coturn
        .uclient("alice", &["-c", "-n", "3000", "-z", "50"], 150);
    let s = t.wait_for(
        "the CLI up again and alice live",
        Duration::from_secs(60),
        |s| {
            s.contains("CLI ●")
                && s.lines()
                    .any(|l| l.starts_with("alice ") && l.contains("● live"))
        },
    );
    assert!(!s.contains("CLI ✗"), "{s}");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
}

#[test]
fn a_user_with_more_sessions_than_coturn_prints_is_marked_capped() {
    if !coturn::available() || !tmux::available() {
        return;
    }
    // coturn prints one session per answer, then asks to refine.
    let cli = CliOptions {
        password: PASSWORD.into(),
        max_output_sessions: Some(1),
    };
    let mut env = LabEnv::start_with_cli(
        "cli-capped",
        Duration::from_secs(120),
        Auth::long_term(REALM, &["alice"]),
        None,
        Some(&cli),
    );
    let _a = env
        .coturn
        .uclient("alice", &["-c", "-n", "3000", "-z", "50"], 100);
    // `ps` would print one of them: count them with `pu`.
    until("alice's two sessions", 30, || {
        let pu = env.coturn.cli_command(PASSWORD, "pu");
        let total = pu
            .lines()
            .find_map(|l| l.trim().strip_prefix("Total sessions:"))
            .and_then(|n| n.trim().parse::<u32>().ok());
        (total >= Some(2)).then_some(())
    });
    let url = env.url();
    let cli_addr = env.coturn.cli_addr();
    let t = tui_with_cli(
        "cli-capped",
        &url,
        &cli_addr,
        &[],
        &[("TURNTOP_COTURN_CLI_PASSWORD", PASSWORD)],
    );
    let s = t.wait_for("the cap in the header", Duration::from_secs(40), |s| {
        s.contains("CLI capped (alice: 1 of ")
    });
    assert!(
        s.contains("CLI ●") && !s.contains("CLI ✗"),
        "not a fault:\n{s}"
    );
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
}

// ---- bad input (no coturn needed) ---------------------------------------------------------

fn turntop(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    // No configuration file of the machine's: an empty one.
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_turntop"))
        .args(args)
        .env_remove("TURNTOP_COTURN_CLI_PASSWORD")
        .env("TURNTOP_CONFIG", &empty)
        .envs(env.iter().copied())
        .output()
        .expect("run turntop");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_cli_options_are_one_clear_line() {
    let redis = "redis://127.0.0.1:1";
    let (code, err) = turntop(
        &["--once", "--redis", redis, "--coturn-cli", "127.0.0.1:5766"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("coturn's CLI needs its password"), "{err}");
    assert!(err.contains("TURNTOP_COTURN_CLI_PASSWORD"), "{err}");
    let pw = [("TURNTOP_COTURN_CLI_PASSWORD", "x")];
    let (code, err) = turntop(
        &["--once", "--redis", redis, "--coturn-cli", "localhost"],
        &pw,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("invalid coturn CLI address 'localhost': write host:port"),
        "{err}"
    );
    let (code, err) = turntop(
        &[
            "--once",
            "--redis",
            redis,
            "--coturn-cli",
            "h:1",
            "--coturn-cli",
            "h:2",
        ],
        &pw,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("2 --coturn-cli for 1 Redis endpoint(s)"),
        "{err}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("turntop.toml");
    std::fs::write(
        &config,
        "[[redis]]\nurl = \"redis://127.0.0.1:1\"\ncli = \"nohost\"\n",
    )
    .expect("write");
    let (code, err) = turntop(
        &["--once", "--config", config.to_str().expect("utf-8")],
        &pw,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 3, key `redis.cli`: invalid coturn CLI address 'nohost'"),
        "{err}"
    );
    let (code, err) = turntop(&["--demo", "--coturn-cli", "h:1"], &pw);
    assert_eq!(code, 2, "--demo has no coturn: {err}");
    std::fs::write(&config, "[sort]\nallocations = \"-peers\"\n").expect("write");
    let (code, err) = turntop(
        &["--once", "--config", config.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be sorted on"), "{err}");
}

#[test]
fn k_in_the_demo_and_in_a_replay_says_why_not() {
    if !tmux::available() {
        return;
    }
    let capture = format!(
        "{}/tests/fixtures/coturn-4.6.1/pubsub-capture.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let bin = env!("CARGO_BIN_EXE_turntop");
    for (name, argv, why) in [
        ("k-demo", vec![bin, "--demo"], "demo"),
        ("k-replay", vec![bin, "replay", &capture], "replay"),
    ] {
        let t = Tmux::start(name, 120, 30, &argv, &[("NO_COLOR", "1")]);
        t.wait_for("rows", Duration::from_secs(30), |s| s.contains("● live"));
        t.keys(&["K"]);
        let s = t.wait_for("the reason", Duration::from_secs(10), |s| {
            s.contains(&format!("cannot cancel: {why}"))
        });
        assert!(!s.contains("? y/N"), "{s}");
        t.keys(&["q"]);
        assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
    }
}

#[test]
fn read_only_in_the_config_file_turns_k_off() {
    if !tmux::available() {
        return;
    }
    let redis = common::redis::RedisServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("turntop.toml");
    std::fs::write(
        &config,
        format!("read_only = true\n[[redis]]\nurl = \"{}\"\n", redis.url()),
    )
    .expect("write");
    let t = Tmux::start(
        "k-read-only-config",
        120,
        30,
        &[
            env!("CARGO_BIN_EXE_turntop"),
            "--config",
            config.to_str().expect("utf-8"),
        ],
        &[("NO_COLOR", "1")],
    );
    t.wait_for("connected", Duration::from_secs(30), |s| {
        s.contains("● connected")
    });
    t.keys(&["K"]);
    t.wait_for("the reason", Duration::from_secs(10), |s| {
        s.contains("cannot cancel: read-only")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
}
