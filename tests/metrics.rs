//! The Prometheus exporter against real parts: a real redis-server fed the real coturn
//! captures, `turntop serve` over HTTP, `promtool`, and a real Prometheus scraping it.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::live::Live;
use common::metrics::{self as m, Samples};
use common::redis::RedisServer;
use turntop::capture::{self, Record};
use turntop::model::ModelConfig;
use turntop::source::redis::{TlsOptions, now};

const CAPTURES: [&str; 4] = [
    "pubsub-capture.txt",
    "pubsub-capture-no-auth.txt",
    "pubsub-capture-rest-api.txt",
    "pubsub-capture-tls-dtls.txt",
];

/// Publish every record, a few milliseconds apart (so reports have intervals and rates).
fn publish(con: &mut redis::Connection, records: &[Record]) {
    for r in records {
        redis::cmd("PUBLISH")
            .arg(&r.channel)
            .arg(&r.message[..])
            .query::<i64>(con)
            .expect("PUBLISH");
        std::thread::sleep(Duration::from_millis(3));
    }
}

/// The byte and packet counters equal the capture's sums, per realm, leg and direction.
fn assert_counters(samples: &Samples, records: &[Record], what: &str) {
    let sums = m::capture_sums(records);
    assert!(!sums.is_empty(), "{what}: the capture has traffic");
    for ((realm, leg, direction), (bytes, packets)) in &sums {
        let labels = [
            ("endpoint", ""),
            ("realm", realm.as_str()),
            ("leg", leg.as_str()),
            ("direction", direction.as_str()),
        ];
        let pick = |name: &str| {
            m::family(samples, name)
                .into_iter()
                .filter(|(l, _)| {
                    labels
                        .iter()
                        .skip(1)
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
                })
                .map(|(_, v)| v)
                .sum::<f64>()
        };
        assert_eq!(
            pick("turntop_traffic_bytes_total"),
            *bytes as f64,
            "{what}: bytes of {realm}/{leg}/{direction}"
        );
        assert_eq!(
            pick("turntop_traffic_packets_total"),
            *packets as f64,
            "{what}: packets of {realm}/{leg}/{direction}"
        );
    }
    // No traffic where the capture has none.
    let realms: std::collections::BTreeSet<&str> = sums.keys().map(|k| k.0.as_str()).collect();
    for (labels, v) in m::family(samples, "turntop_traffic_bytes_total") {
        if !realms.contains(labels["realm"].as_str()) {
            assert_eq!(v, 0.0, "{what}: {labels:?}");
        }
    }
}

/// The realm rates of the metrics are the JSON snapshot's at the same instant; true if any
/// is above zero.
fn assert_rates(model: &turntop::model::Model, t: f64, name: &str) -> bool {
    let text = turntop::metrics::encode(
        turntop::metrics::Snapshot::take(model, t, 10),
        turntop::metrics::Format::Prometheus,
    );
    let samples = m::parse(&text);
    let json = turntop::output::snapshot(model, t);
    let mut some = false;
    for realm in &json.realms {
        let r = realm.realm.clone().unwrap_or_default();
        for (leg, direction, want) in [
            ("client", "rx", realm.rates.client_rx),
            ("client", "tx", realm.rates.client_tx),
            ("peer", "rx", realm.rates.peer_rx),
            ("peer", "tx", realm.rates.peer_tx),
        ] {
            let got: f64 = m::family(&samples, "turntop_traffic_rate_bytes_per_second")
                .into_iter()
                .filter(|(l, _)| l["realm"] == r && l["leg"] == leg && l["direction"] == direction)
                .map(|(_, v)| v)
                .sum();
            // JSON rounds to 0.01 (after summing in another order).
            // JSON says null while none of the realm's allocations has reported (no report is
            // not zero traffic on screen); the gauge keeps its series and says 0 until then.
            let want = want.unwrap_or(0.0);
            assert!(
                (got - want).abs() <= 0.005 + 1e-9,
                "{name}: rate of {r}/{leg}/{direction}: {got} in the metrics, {want} in JSON"
            );
            some |= got > 0.0;
        }
    }
    some
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_are_the_captures_sums_and_rates_the_json_snapshots() {
    let mut some_rate = false;
    for name in CAPTURES {
        let records = capture::read_file(&m::fixture(name)).expect("capture");
        let server = RedisServer::start();
        // A short retention: ended allocations are evicted while we look, the counters keep them.
        let mut live = Live::with_config(ModelConfig {
            retention: 2.0,
            ..ModelConfig::default()
        });
        let id = live.add(&server.url(), None, &TlsOptions::default());
        live.seeded(id).await;
        // One message at a time; after each, the rates of the metrics and of the JSON
        // snapshot at the same instant (mid-capture is when allocations are open and move).
        let mut con = server.connection(&server.url());
        for (i, r) in records.iter().enumerate() {
            publish(&mut con, std::slice::from_ref(r));
            let n = i as u64 + 1;
            live.until("the message", 60.0, |l| l.events(id) >= n).await;
            some_rate |= assert_rates(&live.model, now(), name);
        }
        let text = turntop::metrics::encode(
            turntop::metrics::Snapshot::take(&live.model, now(), 10),
            turntop::metrics::Format::Prometheus,
        );
        m::promtool_check(&text).unwrap_or_else(|e| panic!("{name}: promtool: {e}\n{text}"));
        assert_counters(&m::parse(&text), &records, name);

        // Once ended allocations are evicted, the counters still hold their traffic.
        live.until("ended allocations evicted", 60.0, |l| {
            l.model
                .allocations()
                .all(|a| a.state(now()) != Some(turntop::model::State::Deleted))
        })
        .await;
        let text = turntop::metrics::encode(
            turntop::metrics::Snapshot::take(&live.model, now(), 10),
            turntop::metrics::Format::Prometheus,
        );
        let samples = m::parse(&text);
        assert_counters(&samples, &records, &format!("{name} after eviction"));
        let ended: f64 = m::family(&samples, "turntop_allocations")
            .into_iter()
            .filter(|(l, _)| l["state"] == "ended")
            .map(|(_, v)| v)
            .sum();
        assert_eq!(ended, 0.0, "{name}: ended allocations evicted");
    }
    assert!(some_rate, "some capture shows a rate");
}

// ---- turntop serve over HTTP ------------------------------------------------------------------

struct Serve {
    child: Child,
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = std::fs::File::create(dir.path().join("err")).expect("err");
        let child = Command::new(env!("CARGO_BIN_EXE_turntop"))
            .arg("serve")
            .args(["--metrics", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .expect("turntop serve");
        let path = dir.path().join("err");
        let addr = m::poll("turntop serve to say its address", 30, || {
            let text = std::fs::read_to_string(&path).ok()?;
            let rest = text.split("http://").nth(1)?;
            rest.split('/').next()?.parse().ok()
        });
        Serve { child, addr, dir }
    }

    fn scrape(&self) -> Samples {
        let (status, _, body) = m::get(self.addr, "/metrics", None).expect("GET /metrics");
        assert_eq!(status, 200, "{body}");
        m::parse(&body)
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("err")).unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn events(samples: &Samples) -> f64 {
    m::family(samples, "turntop_events_total")
        .iter()
        .map(|(_, v)| v)
        .sum()
}

fn redis_up(samples: &Samples) -> Option<f64> {
    m::family(samples, "turntop_redis_up")
        .first()
        .map(|(_, v)| *v)
}

#[test]
fn serve_exports_what_a_real_prometheus_scrapes() {
    let records = capture::read_file(&m::fixture("pubsub-capture.txt")).expect("capture");
    let mut server = RedisServer::start();
    let serve = Serve::start(&["--redis", &server.url()]);
    m::poll("redis_up 1", 30, || {
        (redis_up(&serve.scrape()) == Some(1.0)).then_some(())
    });
    let mut con = server.connection(&server.url());
    publish(&mut con, &records);
    let n = records.len() as f64;
    let samples = m::poll("every message counted", 60, || {
        let s = serve.scrape();
        (events(&s) >= n).then_some(s)
    });
    assert_counters(&samples, &records, "serve");

    // Both formats pass promtool; OpenMetrics when asked for.
    let (_, head, body) = m::get(serve.addr, "/metrics", None).expect("GET");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    m::promtool_check(&body).unwrap_or_else(|e| panic!("promtool: {e}\n{body}"));
    let (_, head, body) = m::get(
        serve.addr,
        "/metrics",
        Some("application/openmetrics-text; version=1.0.0"),
    )
    .expect("GET");
    assert!(head.contains("application/openmetrics-text"), "{head}");
    assert!(body.ends_with("# EOF\n"), "{body}");
    let (status, _, body) = m::get(serve.addr, "/healthz", None).expect("GET /healthz");
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    assert_eq!(m::get(serve.addr, "/nope", None).expect("GET").0, 404);

    // A real Prometheus scrapes the same values.
    let prometheus = m::Prometheus::start(serve.addr);
    let want = samples.clone();
    let scraped = m::poll("Prometheus to have scraped turntop", 120, || {
        let got = prometheus.query("turntop_traffic_bytes_total");
        (!got.is_empty()).then_some(got)
    });
    for (labels, value) in &scraped {
        let mut key: BTreeMap<String, String> = labels.clone();
        key.retain(|k, _| !matches!(k.as_str(), "__name__" | "job" | "instance"));
        let expected = want
            .get(&("turntop_traffic_bytes_total".to_owned(), key.clone()))
            .unwrap_or_else(|| panic!("{key:?} not exported; log: {}", prometheus.log()));
        assert_eq!(value, expected, "{key:?}");
    }
    assert_eq!(
        scraped.len(),
        m::family(&want, "turntop_traffic_bytes_total").len()
    );
    let up = m::poll("turntop_redis_up in Prometheus", 60, || {
        prometheus.query("turntop_redis_up").first().map(|r| r.1)
    });
    assert_eq!(up, 1.0);

    // Redis killed: redis_up goes to 0; back: 1.
    server.kill();
    m::poll("redis_up 0 after redis-server was killed", 60, || {
        (redis_up(&serve.scrape()) == Some(0.0)).then_some(())
    });
    server.restart();
    m::poll("redis_up 1 after redis-server came back", 60, || {
        (redis_up(&serve.scrape()) == Some(1.0)).then_some(())
    });
    // The counters survived the outage (a restarted Redis has nothing to say of the past).
    assert_counters(&serve.scrape(), &records, "serve after the restart");

    // SIGTERM ends it cleanly.
    let mut serve = serve;
    // SAFETY: kill(2) on the PID of our own child process.
    unsafe {
        libc::kill(serve.child.id() as i32, libc::SIGTERM);
    }
    let status = common::wait_child(&mut serve.child, 30, "turntop serve after SIGTERM");
    assert!(status.success(), "{status:?}: {}", serve.stderr());
}

#[test]
fn serve_refuses_a_busy_address_in_one_line() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_turntop"))
        .args([
            "serve",
            "--metrics",
            &addr,
            "--redis",
            "redis://127.0.0.1:1",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("turntop");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("--metrics {addr}")), "{stderr}");
}

// ---- cardinality ------------------------------------------------------------------------------

/// RESP for `PUBLISH channel message`.
fn resp_publish(out: &mut Vec<u8>, channel: &str, message: &str) {
    use std::io::Write;
    let _ = write!(
        out,
        "*3\r\n$7\r\nPUBLISH\r\n${}\r\n{channel}\r\n${}\r\n{message}\r\n",
        channel.len(),
        message.len()
    );
}

/// Pipe raw commands into Redis with `redis-cli --pipe` (as fast as Redis takes them).
fn pipe_into(server: &RedisServer, commands: &[u8]) {
    use std::io::Write;
    let mut child = Command::new("redis-cli")
        .args(["-p", &server.port.to_string(), "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-cli (Debian package redis-tools)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(commands)
        .expect("write to redis-cli");
    let status = common::wait_child(&mut child, 300, "redis-cli --pipe");
    assert!(status.success());
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn a_million_rest_usernames_stay_within_101_user_series_and_flat_memory() {
    const USERS: u64 = 1_000_000;
    const CHUNK: u64 = 100_000;
    // No output-buffer limit: this test is about cardinality, not about a slow subscriber.
    let server = RedisServer::start_with(&["--client-output-buffer-limit", "pubsub 0 0 0"]);
    let serve = Serve::start(&[
        "--redis",
        &server.url(),
        "--metrics-users",
        "100",
        "--retention",
        "1",
    ]);
    m::poll("redis_up 1", 30, || {
        (redis_up(&serve.scrape()) == Some(1.0)).then_some(())
    });
    let pid = serve.child.id();
    let mut published = 0u64;
    let mut rss = Vec::new();
    for chunk in 0..USERS / CHUNK {
        // Each chunk: 100k new REST users (`expiry:name`) over 50 realms, traffic for some...
        let mut open = Vec::with_capacity(64 << 20);
        let mut close = Vec::with_capacity(32 << 20);
        for i in chunk * CHUNK..(chunk + 1) * CHUNK {
            let base = format!(
                "turn/realm/r{}/user/{}:u{i}/allocation/{:018}",
                i % 50,
                1_800_000_000 + i,
                i + 1
            );
            resp_publish(
                &mut open,
                &format!("{base}/status"),
                "new lifetime=600, type=UDP, local=127.0.0.1:3478, remote=192.0.2.1:4000",
            );
            if i % 100 == 0 {
                resp_publish(
                    &mut open,
                    &format!("{base}/traffic"),
                    &format!("rcvp=10, rcvb={}, sentp=10, sentb=1000", 1000 + i % 977),
                );
            }
            resp_publish(&mut close, &format!("{base}/status"), "deleted");
        }
        pipe_into(&server, &open);
        published += CHUNK + CHUNK / 100;
        let want = published as f64;
        // ...all open at once: the user series stay 100 + _other.
        let samples = m::poll("the chunk's users", 300, || {
            let s = serve.scrape();
            (events(&s) >= want).then_some(s)
        });
        for family in [
            "turntop_user_allocations",
            "turntop_user_traffic_rate_bytes_per_second",
        ] {
            let series = m::family(&samples, family);
            assert_eq!(series.len(), 101, "{family}: top 100 and _other");
            let other = series
                .iter()
                .find(|(l, _)| l["user"] == "_other")
                .expect("_other");
            if family == "turntop_user_allocations" {
                let total: f64 = series.iter().map(|(_, v)| v).sum();
                assert_eq!(total, CHUNK as f64, "every open allocation counted once");
                assert_eq!(other.1, (CHUNK - 100) as f64);
            }
        }
        assert!(
            samples.len() < 1500,
            "{} series in all with {CHUNK} users open (50 realms: about 1100)",
            samples.len()
        );
        // ...then they end and are evicted (retention 1 s).
        pipe_into(&server, &close);
        published += CHUNK;
        let want = published as f64;
        m::poll("the chunk's users ended and evicted", 300, || {
            let s = serve.scrape();
            let left: f64 = m::family(&s, "turntop_allocations")
                .iter()
                .map(|(_, v)| v)
                .sum();
            (events(&s) >= want && left == 0.0).then_some(())
        });
        rss.push(rss_kb(pid));
    }
    let samples = serve.scrape();
    assert_eq!(
        m::value(&samples, "turntop_allocations_started_total", &[]),
        Some(USERS as f64)
    );
    // Flat: after the first chunks the allocator has what it needs.
    let (early, last) = (rss[1], rss[rss.len() - 1]);
    assert!(
        last <= early + early / 4 + 16 * 1024,
        "RSS grew from {early} kB to {last} kB over {USERS} users: {rss:?}"
    );
    eprintln!("RSS after each 100k users (kB): {rss:?}");
}

// ---- the Grafana dashboard --------------------------------------------------------------------

/// Every query of assets/grafana-dashboard.json is valid PromQL (`promtool check rules`) and
/// names only metrics turntop exports.
#[test]
fn the_grafana_dashboard_queries_are_valid_and_name_exported_metrics() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/grafana-dashboard.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("dashboard")).expect("JSON");
    let mut exprs = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            exprs.push(target["expr"].as_str().expect("expr").to_owned());
        }
    }
    assert!(exprs.len() >= 10);
    // Grafana's variables as Prometheus sees them once substituted.
    let rules: String = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let e = e
                .replace("$__rate_interval", "1m")
                .replace("$__range", "1h")
                .replace("$endpoint", ".*")
                .replace("$realm", ".*");
            format!("      - record: turntop:dashboard_{i}\n        expr: '{e}'\n")
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("rules.yml");
    std::fs::write(
        &file,
        format!("groups:\n  - name: dashboard\n    rules:\n{rules}"),
    )
    .expect("write rules");
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .expect("promtool");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The metric names: those of an export with users.
    let mut model = turntop::model::Model::default();
    let ep = model.add_endpoint("e");
    model.apply_raw(
        ep,
        1.0,
        "turn/realm/r/user/u/allocation/000000000000000001/status",
        b"new lifetime=600, type=UDP, local=127.0.0.1:3478",
    );
    let text = turntop::metrics::encode(
        turntop::metrics::Snapshot::take(&model, 2.0, 5),
        turntop::metrics::Format::Prometheus,
    );
    let exported: std::collections::BTreeSet<String> =
        m::parse(&text).keys().map(|(n, _)| n.clone()).collect();
    for e in &exprs {
        for name in e
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("turntop_"))
        {
            assert!(exported.contains(name), "{name} (in {e}) is not exported");
        }
    }
}

// ---- --metrics next to the TUI ----------------------------------------------------------------

/// `turntop --demo --metrics ADDR` in a real terminal: the screen runs and /metrics exports the
/// model it draws, live (the event counter moves between scrapes).
#[test]
fn metrics_next_to_the_tui_export_the_model_on_screen() {
    if !common::tmux::available() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").expect("config");
    let config = config.display().to_string();
    let listen = addr.to_string();
    let t = common::tmux::Tmux::start(
        "metrics-tui",
        120,
        30,
        &[
            env!("CARGO_BIN_EXE_turntop"),
            "--demo",
            "--metrics",
            &listen,
            "--metrics-users",
            "5",
        ],
        &[("TURNTOP_CONFIG", config.as_str())],
    );
    t.wait_for("demo rows", Duration::from_secs(30), |s| {
        s.contains("[DEMO]")
    });
    let first = m::poll("a scrape of the TUI's model", 30, || {
        let (status, _, body) = m::get(addr, "/metrics", None).ok()?;
        (status == 200).then(|| m::parse(&body))
    });
    let open: f64 = m::family(&first, "turntop_allocations")
        .into_iter()
        .filter(|(l, _)| l["state"] == "live")
        .map(|(_, v)| v)
        .sum();
    assert!(open > 0.0, "the demo's live allocations are exported");
    assert_eq!(m::family(&first, "turntop_user_allocations").len(), 6);
    m::promtool_check(&m::get(addr, "/metrics", None).expect("GET").2).expect("promtool");
    let before = events(&first);
    m::poll("the event counter to move", 60, || {
        let (_, _, body) = m::get(addr, "/metrics", None).ok()?;
        (events(&m::parse(&body)) > before).then_some(())
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(30)), 0);
}

// ---- label values from the network -----------------------------------------------------------

/// Realms, users and listeners with quotes, backslashes, newlines, escape sequences and bidi
/// overrides, a user calling itself `_other`, and two raw names that sanitize alike: the export
/// stays valid (promtool), one series per label set, nothing dangerous in a label value.
#[test]
fn hostile_names_are_sanitized_escaped_and_never_duplicate_a_series() {
    let mut model = turntop::model::Model::default();
    let ep = model.add_endpoint("e\u{1b}[2J");
    let names = [
        ("q\"uote\\realm", "alice\nnew line"),
        ("q\"uote\\realm", "\u{1b}[31mred"),
        ("q\"uote\\realm", "\\x1b[31mred"),
        ("bidi\u{202e}lmth.exe", "_other"),
        ("", "_other"),
        ("plain", "bob"),
    ];
    for (i, (realm, user)) in names.iter().enumerate() {
        let base = if realm.is_empty() {
            format!("turn/user/{user}/allocation/{:018}", i + 1)
        } else {
            format!("turn/realm/{realm}/user/{user}/allocation/{:018}", i + 1)
        };
        model.apply_raw(
            ep,
            1.0,
            &format!("{base}/status"),
            format!("new lifetime=600, type=UDP, local=127.0.0.1:3478\u{7}\"x, remote=1.2.3.4:{i}")
                .as_bytes(),
        );
        model.apply_raw(
            ep,
            2.0 + i as f64,
            &format!("{base}/traffic"),
            format!("rcvp=1, rcvb={}, sentp=1, sentb=10", 100 * (i + 1)).as_bytes(),
        );
    }
    assert_eq!(model.counters.malformed, 0);
    for users in [1, 3, 100] {
        for format in [
            turntop::metrics::Format::Prometheus,
            turntop::metrics::Format::OpenMetrics,
        ] {
            let text = turntop::metrics::encode(
                turntop::metrics::Snapshot::take(&model, 10.0, users),
                format,
            );
            if format == turntop::metrics::Format::Prometheus {
                m::promtool_check(&text).unwrap_or_else(|e| panic!("promtool: {e}\n{text}"));
            }
            let mut seen = std::collections::BTreeSet::new();
            for line in text.lines().filter(|l| !l.starts_with('#')) {
                assert!(
                    seen.insert(line.rsplit_once(' ').expect("value").0),
                    "duplicate: {line}"
                );
                assert!(
                    !line
                        .chars()
                        .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
                    "{line:?}"
                );
            }
            let samples = m::parse(&text);
            let user_series = m::family(&samples, "turntop_user_allocations");
            assert!(user_series.len() <= users + 1, "{users}: {user_series:?}");
            let total: f64 = user_series.iter().map(|(_, v)| v).sum();
            assert_eq!(
                total,
                names.len() as f64,
                "every open allocation counted once"
            );
        }
    }
    let text = turntop::metrics::encode(
        turntop::metrics::Snapshot::take(&model, 10.0, 100),
        turntop::metrics::Format::Prometheus,
    );
    assert!(text.contains(r#"realm="q\"uote\\realm""#), "{text}");
    assert!(text.contains(r#"user="alice\\x0anew line""#), "{text}");
    assert!(text.contains(r#"realm="bidi\\u{202e}lmth.exe""#), "{text}");
}

// ---- the model's ever-growing counters ------------------------------------------------------

/// Started, ended by reason (deleted, replaced, gone_from_redis) and totals mismatches count
/// once each, and stay counted (traffic included) once the rows are evicted.
#[test]
fn started_ended_by_reason_and_mismatches_count_once_and_survive_eviction() {
    use turntop::model::EndReason;
    let mut model = turntop::model::Model::new(ModelConfig {
        retention: 5.0,
        ..ModelConfig::default()
    });
    let ep = model.add_endpoint("e");
    let t0 = 1_800_000_000.0;
    let ch = |id: u64, what: &str| format!("turn/realm/r/user/u/allocation/{id:018}/{what}");
    let new = "new lifetime=60, type=UDP, local=10.0.0.1:3478, remote=192.0.2.1:5000";
    // 1: traffic, then coturn restarts and gives id 1 to a new allocation (1 is replaced).
    model.apply_raw(ep, t0, &ch(1, "status"), new.as_bytes());
    model.apply_raw(
        ep,
        t0 + 1.0,
        &ch(1, "traffic"),
        b"rcvp=1, rcvb=100, sentp=2, sentb=200",
    );
    model.apply_raw(ep, t0 + 2.0, &ch(1, "status"), new.as_bytes());
    // The new 1 ends with a total that differs from its deltas (a report was lost).
    model.apply_raw(
        ep,
        t0 + 3.0,
        &ch(1, "traffic"),
        b"rcvp=1, rcvb=10, sentp=1, sentb=10",
    );
    model.apply_raw(ep, t0 + 4.0, &ch(1, "status"), b"deleted");
    model.apply_raw(
        ep,
        t0 + 4.0,
        &ch(1, "total_traffic"),
        b"rcvp=9, rcvb=999, sentp=1, sentb=10",
    );
    model.apply_raw(
        ep,
        t0 + 4.0,
        &ch(1, "total_traffic/peer"),
        b"rcvp=0, rcvb=0, sentp=0, sentb=0",
    );
    // 2: its key is gone from a reconciliation pass after its lifetime ran out.
    model.apply_raw(ep, t0 + 5.0, &ch(2, "status"), new.as_bytes());
    model.begin_seed(ep, t0 + 100.0);
    model.end_seed(ep, t0 + 100.0);
    let c = model.cumulative();
    assert_eq!(c.started, 3);
    assert_eq!(c.ended_by(EndReason::Replaced), 1);
    assert_eq!(c.ended_by(EndReason::Deleted), 1);
    assert_eq!(c.ended_by(EndReason::GoneFromRedis), 1);
    assert_eq!(c.totals_mismatch, 1);
    let scrape = |model: &turntop::model::Model, t: f64| {
        m::parse(&turntop::metrics::encode(
            turntop::metrics::Snapshot::take(model, t, 0),
            turntop::metrics::Format::Prometheus,
        ))
    };
    let before = scrape(&model, t0 + 100.0);
    for t in 101..200 {
        model.evict(t0 + f64::from(t));
    }
    assert_eq!(model.allocations().count(), 0, "all evicted");
    let after = scrape(&model, t0 + 200.0);
    for name in [
        "turntop_traffic_bytes_total",
        "turntop_traffic_packets_total",
        "turntop_allocations_started_total",
        "turntop_allocations_ended_total",
        "turntop_totals_mismatch_total",
    ] {
        assert_eq!(m::family(&before, name), m::family(&after, name), "{name}");
    }
    let rx = [
        ("endpoint", "e"),
        ("realm", "r"),
        ("leg", "client"),
        ("direction", "rx"),
    ];
    assert_eq!(
        m::value(&after, "turntop_traffic_bytes_total", &rx),
        Some(110.0)
    );
    assert_eq!(
        m::value(
            &after,
            "turntop_allocations_ended_total",
            &[("reason", "gone_from_redis")]
        ),
        Some(1.0)
    );
}

/// `turntop serve --config FILE` takes its Redis, address and user series from the file (as the
/// packaged unit runs it).
#[test]
fn serve_reads_redis_and_metrics_from_the_config_file() {
    let server = RedisServer::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[redis]]\nurl = \"{}\"\n\n[metrics]\nlisten = \"127.0.0.1:{port}\"\nusers = 2\n",
            server.url()
        ),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_turntop"))
        .args(["serve", "--config"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("turntop serve");
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let samples = m::poll(
        "turntop serve on the configured address, subscribed",
        30,
        || {
            let (status, _, body) = m::get(addr, "/metrics", None).ok()?;
            let s = m::parse(&body);
            (status == 200 && redis_up(&s) == Some(1.0)).then_some(s)
        },
    );
    let _ = child.kill();
    let _ = child.wait();
    let (labels, _) = &m::family(&samples, "turntop_redis_up")[0];
    assert_eq!(labels["endpoint"], server.label());
    // users = 2: the user families are there (only `_other` while nobody is connected).
    assert_eq!(
        m::family(&samples, "turntop_user_allocations")
            .iter()
            .map(|(l, _)| l["user"].clone())
            .collect::<Vec<_>>(),
        ["_other"]
    );
}

// ---- problems ---------------------------------------------------------------------------------

/// `turntop_problems{kind,severity}`: with `[problems] user_allocations = 1` (and busy users made
/// critical), the real capture's alice (3 live allocations) is a busy user. Published into a real
/// Redis and scraped from `turntop serve`, every kind × severity pair is a series and each equals
/// the count of that kind and severity in the `--once` JSON of the same capture and config.
#[test]
fn serve_exports_the_problems_the_json_snapshot_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[problems]\nuser_allocations = 1\nseverity.busy_user = \"critical\"\n",
    )
    .expect("config");
    let config = config.to_str().expect("utf-8 path");
    let capture_path = m::fixture("pubsub-capture.txt");

    // What the JSON snapshot says of the capture with that config.
    let out = Command::new(env!("CARGO_BIN_EXE_turntop"))
        .arg("replay")
        .arg(&capture_path)
        .args(["--once", "--format", "json", "--config", config])
        .stdin(Stdio::null())
        .output()
        .expect("turntop replay --once");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut want: BTreeMap<(String, String), f64> = BTreeMap::new();
    for p in json["problems"].as_array().expect("problems") {
        let key = (
            p["kind"].as_str().expect("kind").to_owned(),
            p["severity"].as_str().expect("severity").to_owned(),
        );
        *want.entry(key).or_default() += 1.0;
    }
    assert_eq!(
        want,
        BTreeMap::from([(("busy_user".to_owned(), "critical".to_owned()), 1.0)]),
        "the config provokes one busy user: {json}"
    );

    // The same capture published into a real Redis, scraped from `turntop serve`.
    let records = capture::read_file(&capture_path).expect("capture");
    let server = RedisServer::start();
    let serve = Serve::start(&["--redis", &server.url(), "--config", config]);
    m::poll("redis_up 1", 30, || {
        (redis_up(&serve.scrape()) == Some(1.0)).then_some(())
    });
    let mut con = server.connection(&server.url());
    publish(&mut con, &records);
    let n = records.len() as f64;
    // Problems are found on the once-a-second tick: poll until the busy user shows.
    let samples = m::poll("every message counted and the busy user found", 60, || {
        let s = serve.scrape();
        let busy = m::value(
            &s,
            "turntop_problems",
            &[("kind", "busy_user"), ("severity", "critical")],
        );
        (events(&s) >= n && busy == Some(1.0)).then_some(s)
    });
    let series = m::family(&samples, "turntop_problems");
    assert_eq!(
        series.len(),
        turntop::model::problems::ProblemKind::COUNT * 2,
        "every kind × severity: {series:?}"
    );
    for (labels, value) in &series {
        let key = (labels["kind"].clone(), labels["severity"].clone());
        assert_eq!(
            *value,
            want.get(&key).copied().unwrap_or(0.0),
            "turntop_problems{key:?}; log: {}",
            serve.stderr()
        );
    }
    let (_, _, body) = m::get(serve.addr, "/metrics", None).expect("GET /metrics");
    m::promtool_check(&body).unwrap_or_else(|e| panic!("promtool: {e}\n{body}"));
}
