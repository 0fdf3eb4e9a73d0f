//! Real coturn for tests: `turnserver`, `turnutils_peer` and `turnutils_uclient` (Debian package
//! `coturn`), every one started by the test on free loopback ports, in a private temporary
//! directory, recorded by PID and ended by PID: on drop (which also runs when a test panics) and,
//! whatever happens, by a per-scenario watchdog once the scenario's hard time limit is reached.
//! Follows `shared/tools/coturn-lab.sh`.

use std::collections::{BTreeSet, HashSet};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::redis::RedisServer;

pub const HOST: &str = "127.0.0.1";

fn on_path(cmd: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| {
            let f = d.join(cmd);
            f.is_file()
        })
    })
}

/// Whether the coturn tools (and redis-server, timeout, openssl) are installed. Missing tools
/// fail the test when `CI=true` (CI installs them); elsewhere the test is skipped with a note.
pub fn available() -> bool {
    let tools = [
        "turnserver",
        "turnutils_uclient",
        "turnutils_peer",
        "redis-server",
        "timeout",
    ];
    let missing: Vec<&str> = tools.into_iter().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "missing {} (Debian: apt-get install -y coturn redis-server coreutils; \
         scripts/test.sh installs them)",
        missing.join(", ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and the coturn end-to-end tests cannot run: {msg}");
    }
    eprintln!("note: skipping a coturn end-to-end test: {msg}");
    false
}

// ---- processes and the watchdog -------------------------------------------------------------

/// PIDs of the live processes of one scenario, and a thread that SIGKILLs them all when the
/// scenario's hard time limit is reached (so a hung process can never hang the suite: the
/// test's own waits then fail and it panics).
#[derive(Clone)]
pub struct Watchdog {
    pids: Arc<Mutex<HashSet<u32>>>,
    _stop: Arc<Sender<()>>,
}

impl Watchdog {
    pub fn new(name: &str, limit: Duration) -> Self {
        let pids: Arc<Mutex<HashSet<u32>>> = Arc::default();
        let (tx, rx) = channel::<()>();
        let watched = pids.clone();
        let name = name.to_owned();
        std::thread::spawn(move || {
            // Ends as soon as every clone of the watchdog is dropped (the sender goes away).
            if let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                let pids: Vec<u32> = watched.lock().unwrap().iter().copied().collect();
                eprintln!(
                    "watchdog: scenario {name} exceeded its {limit:?} limit; SIGKILL to {pids:?}"
                );
                // TERM first: a `timeout` wrapper passes it on to its uclient (a KILL would
                // orphan the uclient), and `timeout -k` kills the uclient 3 s later.
                for &pid in &pids {
                    signal(pid, "TERM");
                }
                std::thread::sleep(Duration::from_secs(4));
                for pid in pids {
                    signal(pid, "KILL");
                }
            }
        });
        Watchdog {
            pids,
            _stop: Arc::new(tx),
        }
    }
}

impl Watchdog {
    /// Also SIGKILL this PID when the limit is reached (e.g. a restarted Redis).
    pub fn watch(&self, pid: u32) {
        self.pids.lock().unwrap().insert(pid);
    }

    /// No longer this PID (it was ended and reaped elsewhere).
    pub fn unwatch(&self, pid: u32) {
        self.pids.lock().unwrap().remove(&pid);
    }
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// One child process, ended by its PID when dropped (SIGTERM, then SIGKILL).
pub struct Proc {
    pub name: String,
    child: Option<Child>,
    pid: u32,
    pub log: PathBuf,
    watchdog: Watchdog,
}

impl Proc {
    pub fn spawn(name: &str, mut cmd: Command, log: PathBuf, watchdog: &Watchdog) -> Proc {
        let out = std::fs::File::create(&log).expect("create log");
        let err = out.try_clone().expect("dup log");
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        let pid = child.id();
        watchdog.pids.lock().unwrap().insert(pid);
        Proc {
            name: name.to_owned(),
            child: Some(child),
            pid,
            log,
            watchdog: watchdog.clone(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// `Some(exit status)` once it has exited (and is reaped).
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => {
                self.forget();
                Some(status)
            }
            _ => None,
        }
    }

    pub fn running(&mut self) -> bool {
        self.child.is_some() && self.try_wait().is_none()
    }

    fn forget(&mut self) {
        self.watchdog.pids.lock().unwrap().remove(&self.pid);
        self.child = None;
    }

    /// Wait for it to exit on its own; panics (and so kills it) after `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.forget();
                return status;
            }
            assert!(self.child.is_some(), "{} was already reaped", self.name);
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {limit:?}; log:\n{}",
                self.name,
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited after `grace`.
    pub fn terminate(&mut self, grace: Duration) {
        if self.child.is_none() {
            return;
        }
        signal(self.pid, "TERM");
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.try_wait().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            self.watchdog.pids.lock().unwrap().remove(&self.pid);
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    /// SIGTERM first (a `timeout` wrapper passes it on), SIGKILL if still there after 5 s.
    fn drop(&mut self) {
        self.terminate(Duration::from_secs(5));
    }
}

// ---- ports ----------------------------------------------------------------------------------

fn udp_tcp_free(port: u16) -> bool {
    TcpListener::bind((HOST, port)).is_ok() && UdpSocket::bind((HOST, port)).is_ok()
}

/// A port free for both TCP and UDP, with port+1 free too (coturn's alternate port).
pub fn free_port_pair() -> u16 {
    for _ in 0..200 {
        let port = TcpListener::bind((HOST, 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("no free loopback port");
        if port < 65535 && udp_tcp_free(port) && udp_tcp_free(port + 1) {
            return port;
        }
    }
    panic!("no free TCP+UDP port pair on {HOST}");
}

const RELAY_WIDTH: u16 = 40;
static RELAY_NEXT: AtomicU16 = AtomicU16::new(0);

/// A relay port range (`--min-port`, `--max-port`) below the kernel's ephemeral range, distinct
/// per server started by this test process, offset by PID against other processes, and checked
/// free (TCP and UDP) before use. coturn itself retries another port of the range when a bind
/// fails, so a port taken meanwhile cannot break a test.
pub fn relay_range() -> (u16, u16) {
    const LOW: u32 = 20_000;
    const SLOTS: u32 = (32_000 - LOW) / RELAY_WIDTH as u32;
    let pid_offset = std::process::id() * 7;
    for _ in 0..SLOTS {
        let slot = (RELAY_NEXT.fetch_add(1, Ordering::Relaxed) as u32 + pid_offset) % SLOTS;
        let min = (LOW + slot * RELAY_WIDTH as u32) as u16;
        let max = min + RELAY_WIDTH - 1;
        if (min..=max).all(udp_tcp_free) {
            return (min, max);
        }
    }
    panic!("no free relay port range");
}

// ---- turnserver + peer ----------------------------------------------------------------------

#[derive(Clone, Debug)]
pub enum Auth {
    /// `--lt-cred-mech --realm R --user u:p ...`
    LongTerm {
        realm: String,
        users: Vec<(String, String)>,
    },
    /// TURN REST API: `--use-auth-secret --static-auth-secret=S --realm R`.
    Rest { realm: String, secret: String },
    /// `--no-auth`, no realm.
    None,
}

impl Auth {
    pub fn long_term(realm: &str, users: &[&str]) -> Auth {
        Auth::LongTerm {
            realm: realm.into(),
            users: users
                .iter()
                .map(|u| (u.to_string(), format!("{u}-pw")))
                .collect(),
        }
    }
}

/// Certificate and key for `--cert` / `--pkey` (TLS and DTLS listeners).
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// coturn's admin CLI (telnet), which the tests otherwise turn off with `--no-cli`.
#[derive(Clone, Debug)]
pub struct CliOptions {
    pub password: String,
    /// `--cli-max-output-sessions` (coturn's default is 256).
    pub max_output_sessions: Option<u32>,
}

impl CliOptions {
    pub fn with_password(password: &str) -> CliOptions {
        CliOptions {
            password: password.into(),
            max_output_sessions: None,
        }
    }
}

/// A running turnserver writing to one Redis, plus a UDP echo peer (`turnutils_peer`).
pub struct Coturn {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// The CLI's loopback port, when started with [`CliOptions`].
    pub cli_port: Option<u16>,
    pub tls_port: Option<u16>,
    pub peer_port: u16,
    pub relay: (u16, u16),
    pub auth: Auth,
    pub watchdog: Watchdog,
    // Declared (and so dropped) before the peer.
    pub server: Proc,
    pub peer: Proc,
    clients: u32,
    /// turnserver's arguments, to start it again on the same ports ([`Coturn::restart`]).
    args: Vec<std::ffi::OsString>,
    restarts: u32,
}

impl Coturn {
    pub fn start(
        redis: &RedisServer,
        auth: Auth,
        tls: Option<&TlsFiles>,
        watchdog: &Watchdog,
    ) -> Coturn {
        Coturn::start_with_cli(redis, auth, tls, None, watchdog)
    }

    /// [`Coturn::start`], with the admin CLI on a free loopback port when `cli` is given.
    pub fn start_with_cli(
        redis: &RedisServer,
        auth: Auth,
        tls: Option<&TlsFiles>,
        cli: Option<&CliOptions>,
        watchdog: &Watchdog,
    ) -> Coturn {
        Coturn::start_with_args(redis, auth, tls, cli, &[], watchdog)
    }

    /// [`Coturn::start_with_cli`] with more turnserver arguments (a later one wins, e.g.
    /// `--relay-threads 1`: sessions numbered in the order they arrive).
    pub fn start_with_args(
        redis: &RedisServer,
        auth: Auth,
        tls: Option<&TlsFiles>,
        cli: Option<&CliOptions>,
        extra: &[&str],
        watchdog: &Watchdog,
    ) -> Coturn {
        let mut dir = tempfile::tempdir().expect("tempdir");
        let mut last = String::new();
        // A port found free can be taken before turnserver binds it: try a few times.
        for attempt in 0..3 {
            let port = free_port_pair();
            let tls_port = tls.map(|_| free_port_pair());
            let peer_port = free_port_pair();
            let cli_port = cli.map(|_| free_port_pair());
            let relay = relay_range();
            let peer = Proc::spawn(
                "turnutils_peer",
                {
                    let mut c = Command::new("turnutils_peer");
                    c.args(["-L", HOST, "-p", &peer_port.to_string()]);
                    c
                },
                dir.path().join(format!("peer-{attempt}.log")),
                watchdog,
            );
            let log = dir.path().join(format!("turnserver-{attempt}.log"));
            let mut cmd = Command::new("turnserver");
            cmd.args(["-n", "--listening-ip", HOST, "--relay-ip", HOST])
                .args(["--listening-port", &port.to_string()])
                .args(["--min-port", &relay.0.to_string()])
                .args(["--max-port", &relay.1.to_string()])
                .args(["--relay-threads", "2", "--allow-loopback-peers"])
                .args(["-v", "--simple-log", "--log-file"])
                .arg(&log)
                .arg("--pidfile")
                .arg(dir.path().join("turnserver.pid"))
                .arg("--userdb")
                .arg(dir.path().join("turndb"))
                .arg(format!(
                    "--redis-statsdb=ip={HOST} port={} dbname=0 connect_timeout=30",
                    redis.port
                ));
            match (cli, cli_port) {
                (Some(o), Some(p)) => {
                    cmd.args(["--cli-ip", HOST, "--cli-port", &p.to_string()])
                        .arg(format!("--cli-password={}", o.password));
                    if let Some(n) = o.max_output_sessions {
                        cmd.args(["--cli-max-output-sessions", &n.to_string()]);
                    }
                }
                _ => {
                    cmd.arg("--no-cli");
                }
            }
            match (tls, tls_port) {
                (Some(files), Some(tp)) => {
                    cmd.args(["--tls-listening-port", &tp.to_string()])
                        .arg("--cert")
                        .arg(&files.cert)
                        .arg("--pkey")
                        .arg(&files.key);
                }
                _ => {
                    cmd.args(["--no-tls", "--no-dtls"]);
                }
            }
            match &auth {
                Auth::LongTerm { realm, users } => {
                    cmd.args(["--realm", realm, "--lt-cred-mech"]);
                    for (u, p) in users {
                        cmd.args(["--user", &format!("{u}:{p}")]);
                    }
                }
                Auth::Rest { realm, secret } => {
                    cmd.args(["--realm", realm, "--use-auth-secret"])
                        .arg(format!("--static-auth-secret={secret}"));
                }
                Auth::None => {
                    cmd.arg("--no-auth");
                }
            }
            cmd.args(extra);
            let args: Vec<std::ffi::OsString> = cmd.get_args().map(Into::into).collect();
            let server = Proc::spawn(
                "turnserver",
                cmd,
                dir.path().join(format!("turnserver-{attempt}.stdout")),
                watchdog,
            );
            let mut coturn = Coturn {
                dir,
                port,
                cli_port,
                tls_port,
                peer_port,
                relay,
                auth: auth.clone(),
                watchdog: watchdog.clone(),
                server,
                peer,
                clients: 0,
                args,
                restarts: 0,
            };
            match coturn.wait_ready(&log) {
                Ok(()) => return coturn,
                Err(e) => {
                    last = e;
                    coturn.server.kill();
                    coturn.peer.kill();
                    dir = coturn.dir;
                }
            }
        }
        panic!("turnserver did not start: {last}");
    }

    /// Ready when its listeners are open and it has connected to Redis (its start-up `KEYS` +
    /// `DEL` cleanup is done by then). Readiness is read from the log, not by connecting: a
    /// connection would itself make a coturn session and a report.
    fn wait_ready(&mut self, log: &Path) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        let want_tls = self.tls_port.is_some();
        loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tcp = text.contains("TCP listener opened on");
            let udp = text.contains("UDP listener opened on");
            let dtls = !want_tls || text.contains("DTLS/UDP listener opened on");
            let cli = self.cli_port.is_none() || text.contains("CLI listener opened on");
            if tcp && udp && dtls && cli {
                // The statsdb connection is asynchronous; give it a moment, as the lab does.
                std::thread::sleep(Duration::from_millis(500));
                return Ok(());
            }
            if let Some(status) = self.server.try_wait() {
                return Err(format!("turnserver exited ({status}); log:\n{text}"));
            }
            if text.contains("Cannot bind") || Instant::now() > deadline {
                return Err(format!("turnserver not ready; log:\n{text}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A crash: SIGKILL turnserver (it publishes nothing, its status keys stay in Redis).
    pub fn crash(&mut self) {
        self.server.kill();
    }

    /// Start turnserver again, on the same ports, with the same arguments (a new log file),
    /// after a [`Coturn::crash`]. Like any coturn start-up, it deletes every status key in its
    /// Redis (other servers' too).
    pub fn restart(&mut self) {
        assert!(!self.server.running(), "crash it first");
        self.restarts += 1;
        let log = self
            .dir
            .path()
            .join(format!("turnserver-restart-{}.log", self.restarts));
        let mut args = self.args.clone();
        if let Some(i) = args.iter().position(|a| a == "--log-file") {
            args[i + 1] = log.clone().into_os_string();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut cmd = Command::new("turnserver");
            cmd.args(&args);
            self.server = Proc::spawn(
                "turnserver",
                cmd,
                self.dir
                    .path()
                    .join(format!("turnserver-restart-{}.stdout", self.restarts)),
                &self.watchdog,
            );
            match self.wait_ready(&log) {
                Ok(()) => return,
                // Its ports may take a moment to be free again.
                Err(e) if Instant::now() < deadline => {
                    eprintln!("turnserver restart: {e}; again");
                    self.server.kill();
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("turnserver did not restart: {e}"),
            }
        }
    }

    /// The `local=` address its clients reach (UDP and TCP listener).
    pub fn listener(&self) -> String {
        format!("{HOST}:{}", self.port)
    }

    /// coturn's own session list: `(user, id)` of every session `ps` on its admin CLI prints
    /// (needs [`CliOptions`]).
    pub fn cli_sessions(&self, password: &str) -> BTreeSet<(String, String)> {
        let text = self.cli_command(password, "ps");
        // `    2) id=000000000000000002, user <alice>:`
        text.lines()
            .filter_map(|l| {
                let rest = l.split_once(") id=")?.1;
                let (id, rest) = rest.split_once(", user <")?;
                let user = rest.split_once(">:")?.0;
                Some((user.to_owned(), id.to_owned()))
            })
            .collect()
    }

    /// coturn's own peers of every session (`ps`): id (18 digits) -> peer addresses, read
    /// line by line here, apart from turntop's parser.
    pub fn cli_peers(&self, password: &str) -> std::collections::BTreeMap<String, Vec<String>> {
        let text = self.cli_command(password, "ps");
        let mut out = std::collections::BTreeMap::new();
        let mut current: Option<String> = None;
        let mut in_peers = false;
        for l in text.lines() {
            let t = l.trim();
            if let Some(rest) = t.split_once(") id=").map(|x| x.1) {
                let id = rest.split(',').next().unwrap_or("").to_owned();
                out.insert(id.clone(), Vec::new());
                current = Some(id);
                in_peers = false;
            } else if t == "peers:" {
                in_peers = true;
            } else if t.is_empty() {
                in_peers = false;
            } else if in_peers && let Some(id) = &current {
                out.get_mut(id).expect("inserted").push(t.to_owned());
            }
        }
        out
    }

    /// The text coturn's CLI answers to `command` (after logging in with `password`).
    pub fn cli_command(&self, password: &str, command: &str) -> String {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(self.cli_addr()).expect("connect to the CLI");
        s.set_read_timeout(Some(Duration::from_millis(200))).ok();
        // Read until `until` shows up in what came. Telnet negotiation is refused (DO -> WONT,
        // WILL -> DONT), as a plain client does; coturn waits for the answers.
        // Returns where `until` ends.
        let read_until =
            |s: &mut std::net::TcpStream, seen: &mut Vec<u8>, from: usize, until: &[u8]| {
                const IAC: u8 = 255;
                let deadline = Instant::now() + Duration::from_secs(10);
                let mut buf = [0u8; 4096];
                loop {
                    if let Some(at) = seen[from..].windows(until.len()).position(|w| w == until) {
                        return from + at + until.len();
                    }
                    assert!(
                        Instant::now() < deadline,
                        "the CLI did not say {:?}: {:?}",
                        String::from_utf8_lossy(until),
                        String::from_utf8_lossy(seen)
                    );
                    let n = match s.read(&mut buf) {
                        Ok(0) => panic!("the CLI closed the connection"),
                        Ok(n) => n,
                        Err(_) => continue,
                    };
                    let mut i = 0;
                    let mut replies = Vec::new();
                    while i < n {
                        if buf[i] == IAC && i + 2 < n && (251..=254).contains(&buf[i + 1]) {
                            let answer = match buf[i + 1] {
                                253 => Some(252), // DO -> WONT
                                251 => Some(254), // WILL -> DONT
                                _ => None,
                            };
                            if let Some(a) = answer {
                                replies.extend_from_slice(&[IAC, a, buf[i + 2]]);
                            }
                            i += 3;
                        } else if buf[i] == IAC && i + 1 < n && buf[i + 1] == 250 {
                            // A subnegotiation: skip to IAC SE.
                            i += 2;
                            while i + 1 < n && !(buf[i] == IAC && buf[i + 1] == 240) {
                                i += 1;
                            }
                            i += 2;
                        } else {
                            seen.push(buf[i]);
                            i += 1;
                        }
                    }
                    if !replies.is_empty() {
                        let _ = s.write_all(&replies);
                    }
                }
            };
        let mut seen = Vec::new();
        let at = read_until(&mut s, &mut seen, 0, b"password: ");
        s.write_all(format!("{password}\r\n").as_bytes())
            .expect("write");
        let from = read_until(&mut s, &mut seen, at, b"> ");
        s.write_all(format!("{command}\r\n").as_bytes())
            .expect("write");
        // `cs` answers with the prompt alone; `ps` and `pu` end with the total, then a prompt.
        let end = if command.starts_with("cs ") {
            read_until(&mut s, &mut seen, from, b"> ")
        } else {
            let total = read_until(&mut s, &mut seen, from, b"Total sessions");
            read_until(&mut s, &mut seen, total, b"\r\n> ")
        };
        let _ = s.write_all(b"quit\r\n");
        String::from_utf8_lossy(&seen[from..end]).into_owned()
    }

    /// `127.0.0.1:<cli port>` (panics without a CLI).
    pub fn cli_addr(&self) -> String {
        format!("{HOST}:{}", self.cli_port.expect("started without a CLI"))
    }

    pub fn log_text(&self) -> String {
        let mut out = String::new();
        if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("turnserver-") && name.ends_with(".log") {
                    out += &std::fs::read_to_string(e.path()).unwrap_or_default();
                }
            }
        }
        out
    }

    /// Start `turnutils_uclient` against this server and its peer, as `user` (ignored with
    /// `--no-auth`), with extra flags (`-t`, `-T`, `-m 2`, `-h`, `-S`, `-n`, `-l`, `-z` ...).
    /// It runs under `timeout -k 3 <limit>` so that it cannot outlive its time limit even if
    /// the test's own guard never runs; SIGTERM to the wrapper reaches uclient itself.
    pub fn uclient(&mut self, user: &str, flags: &[&str], limit_secs: u32) -> Proc {
        self.clients += 1;
        let secure = flags.contains(&"-S");
        let port = if secure {
            self.tls_port
                .expect("a TLS/DTLS client needs a server started with TlsFiles")
        } else {
            self.port
        };
        let mut cmd = Command::new("timeout");
        cmd.args(["-k", "3", &limit_secs.to_string(), "turnutils_uclient"])
            .args(["-p", &port.to_string(), "-e", HOST])
            .args(["-r", &self.peer_port.to_string()]);
        match &self.auth {
            Auth::LongTerm { users, .. } => {
                let pw = users
                    .iter()
                    .find(|(u, _)| u == user)
                    .map(|(_, p)| p.clone())
                    .unwrap_or_else(|| panic!("unknown user {user}"));
                cmd.args(["-u", user, "-w", &pw]);
            }
            Auth::Rest { secret, .. } => {
                cmd.args(["-u", user, "-W", secret]);
            }
            Auth::None => {}
        }
        cmd.args(flags).arg(HOST);
        let name = format!("uclient-{}-{user}", self.clients);
        let log = self.dir.path().join(format!("{name}.log"));
        Proc::spawn(&name, cmd, log, &self.watchdog)
    }
}

// ---- a whole environment ----------------------------------------------------------------------

/// A Redis, a turnserver writing to it and a peer: what the scenarios (and a later TUI-in-tmux
/// test) start from. Dropping it ends every process it started, by PID.
pub struct LabEnv {
    // Field order is drop order: clients of the server first (they live in the tests), then
    // turnserver and peer, then Redis.
    pub coturn: Coturn,
    pub redis: RedisServer,
    pub watchdog: Watchdog,
}

/// The users of the scenario-1 environment (long-term credentials, password `<user>-pw`).
pub const SCENARIO1_USERS: [&str; 6] = ["udp", "tcp", "tcprelay", "multi", "killudp", "killtcp"];
pub const SCENARIO1_REALM: &str = "e2e.example";

impl LabEnv {
    pub fn start(name: &str, limit: Duration, auth: Auth, tls: Option<&TlsFiles>) -> LabEnv {
        LabEnv::start_with_cli(name, limit, auth, tls, None)
    }

    /// [`LabEnv::start`] with coturn's admin CLI on (see [`Coturn::cli_addr`]).
    pub fn start_with_cli(
        name: &str,
        limit: Duration,
        auth: Auth,
        tls: Option<&TlsFiles>,
        cli: Option<&CliOptions>,
    ) -> LabEnv {
        let watchdog = Watchdog::new(name, limit);
        let redis = RedisServer::start();
        if let Some(pid) = redis.pid() {
            // The watchdog ends Redis too (RedisServer kills it by PID on drop as well).
            watchdog.watch(pid);
        }
        let coturn = Coturn::start_with_cli(&redis, auth, tls, cli, &watchdog);
        LabEnv {
            coturn,
            redis,
            watchdog,
        }
    }

    /// The scenario-1 environment: long-term credentials, realm [`SCENARIO1_REALM`], the users
    /// [`SCENARIO1_USERS`]. Drive it with `env.coturn.uclient(..)`; point turntop at `env.url()`.
    pub fn scenario1(limit: Duration) -> LabEnv {
        LabEnv::start(
            "scenario1",
            limit,
            Auth::long_term(SCENARIO1_REALM, &SCENARIO1_USERS),
            None,
        )
    }

    pub fn url(&self) -> String {
        self.redis.url()
    }

    /// Steady traffic for about `secs` seconds on the scenario-1 environment: a UDP client of
    /// user `udp` and a TCP client of user `tcp`, 50 messages/s of 100 bytes each (so coturn
    /// reports every ~20 s per allocation). Keep the returned processes; dropping them ends them.
    pub fn steady_traffic(&mut self, secs: u32) -> Vec<Proc> {
        let n = (secs * 50).to_string();
        vec![
            self.coturn
                .uclient("udp", &["-n", &n, "-z", "20", "-l", "100"], secs + 60),
            self.coturn
                .uclient("tcp", &["-t", "-n", &n, "-z", "20", "-l", "100"], secs + 60),
        ]
    }

    pub fn label(&self) -> String {
        self.redis.label()
    }
}
