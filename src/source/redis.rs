//! The live source: one task per Redis endpoint that subscribes to coturn's channels, seeds the
//! rows from the status keys, and reconnects on any drop.
//!
//! The task only reads, stamps the receive time and forwards [`SourceEvent`]s into an unbounded
//! channel: it never waits for whoever applies them, so a busy UI can never make Redis close
//! the subscription for a full output buffer. Order of one connection:
//!
//! 1. connect and `PSUBSCRIBE` both channel shapes (a dedicated RESP2 pub/sub connection: over
//!    plain TCP read by hand, [`resp`] parsing `pmessage`s straight out of a 256 KiB buffer
//!    into events stamped once per read, with no driver task in between; over TLS through
//!    redis-rs's pub/sub connection);
//! 2. `Connection{Connected}`, and after a drop `Gap{to: now}`;
//! 3. seed on a second (command) connection, concurrently with reading the subscription:
//!    `SeedBegin`, `SCAN MATCH turn/*/allocation/*/status COUNT n` + `MGET` per batch as
//!    `SeedBatch`es, `SeedEnd`. Subscribing first means nothing published during the seed is
//!    lost;
//! 4. read messages until the connection drops (the stream ends: a restart, a network cut, the
//!    output-buffer kill) or a periodic `PING` goes unanswered: nothing at all arrives within
//!    the timeout (a `PONG` queued behind a backlog is not late while the backlog flows);
//! 5. `Connection{Reconnecting|AuthFailed}` with the reason and the next attempt's time, then
//!    wait with capped exponential backoff and jitter, and start again.

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::{FutureExt, StreamExt};
use redis::aio::MultiplexedConnection;
use redis::{
    AsyncConnectionConfig, Client, ConnectionAddr, ErrorKind, IntoConnectionInfo, RedisError,
    TlsCertificates,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedSender;

use super::SourceEvent;
use crate::coturn;
use crate::model::{ConnectionState, EndpointId, Time};

/// Where turntop looks when no `--redis` is given.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";
/// The environment variable a password can come from (so it is not in shell history).
pub const PASSWORD_ENV: &str = "TURNTOP_REDIS_PASSWORD";

/// Seconds since the Unix epoch, now.
pub fn now() -> Time {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

// ---- configuration ----------------------------------------------------------------------------

/// TLS settings shared by every `rediss://` endpoint.
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// PEM certificate(s) to trust instead of the system store (`--redis-ca`).
    pub ca_pem: Option<Vec<u8>>,
    /// Accept any certificate (`--redis-insecure`, for self-signed test setups).
    pub insecure: bool,
}

/// A Redis endpoint ready to connect to. Its `Debug` shows the label only: never the password.
#[derive(Clone)]
pub struct RedisEndpoint {
    pub label: String,
    pub tls: bool,
    host: String,
    port: u16,
    client: Client,
}

impl fmt::Debug for RedisEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisEndpoint")
            .field("label", &self.label)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// A configuration problem, as one line that never contains a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// `redis://user:secret@host` → `redis://user:***@host`, for error messages.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!(
                "{}{masked}{}{}",
                &url[..scheme_end],
                &authority[at..],
                &rest[authority_end..]
            )
        }
        None => url.to_owned(),
    }
}

impl RedisEndpoint {
    /// Parse `redis://[user:pass@]host:port[/db]` or `rediss://...`. `password` is used when the
    /// URL carries none; `name` replaces the `host:port` label.
    pub fn parse(
        url: &str,
        name: Option<&str>,
        password: Option<&str>,
        tls: &TlsOptions,
    ) -> Result<Self, ConfigError> {
        let shown = redact_url(url);
        let is_tls = if url.starts_with("rediss://") {
            true
        } else if url.starts_with("redis://") {
            false
        } else {
            return Err(ConfigError(format!(
                "invalid Redis URL '{shown}': it must start with redis:// or rediss://"
            )));
        };
        let info = url.into_connection_info().map_err(|e| {
            let mut msg = e.to_string();
            if let Some(p) = url_password(url).filter(|p| !p.is_empty()) {
                msg = msg.replace(p, "***");
            }
            ConfigError(format!("invalid Redis URL '{shown}': {msg}"))
        })?;
        let (host, port) = match info.addr() {
            ConnectionAddr::Tcp(h, p) => (h.clone(), *p),
            ConnectionAddr::TcpTls { host, port, .. } => (host.clone(), *port),
            _ => {
                return Err(ConfigError(format!(
                    "invalid Redis URL '{shown}': only TCP endpoints are supported"
                )));
            }
        };
        if host.is_empty() {
            return Err(ConfigError(format!("invalid Redis URL '{shown}': no host")));
        }
        let label = match name {
            Some(n) if !n.trim().is_empty() => n.trim().to_owned(),
            _ if host.contains(':') => format!("[{host}]:{port}"),
            _ => format!("{host}:{port}"),
        };
        let mut info = info;
        let addr = (host.clone(), port);
        if info.redis_settings().password().is_none()
            && let Some(p) = password
        {
            let settings = info.redis_settings().clone().set_password(p);
            info = info.set_redis_settings(settings);
        }
        let client = if is_tls {
            // redis-rs enables no rustls crypto provider; ours is ring. Installing twice is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
            if tls.insecure {
                info = info.set_addr(ConnectionAddr::TcpTls {
                    host,
                    port,
                    insecure: true,
                    tls_params: None,
                });
            }
            match &tls.ca_pem {
                Some(pem) => Client::build_with_tls(
                    info,
                    TlsCertificates {
                        client_tls: None,
                        root_cert: Some(pem.clone()),
                    },
                )
                .map_err(|e| ConfigError(format!("TLS setup for {label}: {e}")))?,
                None => Client::open(info)
                    .map_err(|e| ConfigError(format!("invalid Redis URL '{shown}': {e}")))?,
            }
        } else {
            Client::open(info)
                .map_err(|e| ConfigError(format!("invalid Redis URL '{shown}': {e}")))?
        };
        Ok(RedisEndpoint {
            label,
            tls: is_tls,
            host: addr.0,
            port: addr.1,
            client,
        })
    }
}

fn url_password(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    userinfo.split_once(':').map(|(_, p)| p)
}

/// What the command line (or a config file) says about the endpoints.
#[derive(Clone, Debug, Default)]
pub struct EndpointsConfig<'a> {
    /// `--redis` URLs, each with an optional name; empty means [`DEFAULT_URL`].
    pub urls: Vec<(String, Option<String>)>,
    pub password_file: Option<&'a Path>,
    /// The value of [`PASSWORD_ENV`], if set.
    pub password_env: Option<String>,
    pub ca_file: Option<&'a Path>,
    pub insecure: bool,
}

/// Build every endpoint, reading the password file and the CA file. A password in a URL wins
/// over the file, which wins over the environment variable.
pub fn endpoints(config: &EndpointsConfig<'_>) -> Result<Vec<RedisEndpoint>, ConfigError> {
    let password = match config.password_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("password file {}: {e}", path.display())))?;
            let p = text.trim_end_matches(['\n', '\r']).to_owned();
            if p.is_empty() {
                return Err(ConfigError(format!(
                    "password file {} is empty",
                    path.display()
                )));
            }
            Some(p)
        }
        None => config.password_env.clone().filter(|p| !p.is_empty()),
    };
    let ca_pem = match config.ca_file {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| ConfigError(format!("CA file {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let tls = TlsOptions {
        ca_pem,
        insecure: config.insecure,
    };
    let default = [(DEFAULT_URL.to_owned(), None)];
    let urls = if config.urls.is_empty() {
        &default[..]
    } else {
        &config.urls[..]
    };
    urls.iter()
        .map(|(url, name)| RedisEndpoint::parse(url, name.as_deref(), password.as_deref(), &tls))
        .collect()
}

// ---- running ----------------------------------------------------------------------------------

/// Capped exponential backoff with jitter.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    /// ± this fraction of the delay, at random.
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(5),
            jitter: 0.2,
        }
    }
}

impl Backoff {
    /// The delay before attempt `failures` (1 = after the first failure). `random` in [0, 1).
    pub fn delay(&self, failures: u32, random: f64) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let base = self
            .initial
            .saturating_mul(1u32 << exp.min(20))
            .min(self.max)
            .as_secs_f64();
        let factor = 1.0 + self.jitter * (2.0 * random - 1.0);
        Duration::from_secs_f64((base * factor).max(0.0))
    }
}

/// A tiny xorshift: jitter needs no cryptography, nor a dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64);
        Rng((nanos ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }
    fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Keep retrying after a failure (the UI); `false` stops after the first one (`--once`).
    pub retry: bool,
    pub backoff: Backoff,
    /// Time limit for connecting + subscribing, and for every seed command.
    pub timeout: Duration,
    /// A `PING` on the subscription this often detects a silently dead connection.
    pub ping_every: Duration,
    /// SCAN COUNT and MGET size.
    pub seed_batch: usize,
    /// A reconciliation pass (the seed's SCAN + MGET again) this often, so that rows whose
    /// status key vanished are noticed (see `model::seed`).
    pub reconcile_every: Duration,
    /// Asks for a pass now (the model saw a coturn restart); passes start at least
    /// [`RECONCILE_SPACING`] apart.
    pub reconcile: ReconcileTrigger,
}

/// The shortest time between the starts of two reconciliation passes asked for by the model
/// (a restart's clients reconnect over a few seconds, each reuse asks again).
pub const RECONCILE_SPACING: Duration = Duration::from_secs(3);

/// A handle that asks a running source for a reconciliation pass. Requests made while one is
/// pending are one request.
#[derive(Clone, Debug, Default)]
pub struct ReconcileTrigger(std::sync::Arc<tokio::sync::Notify>);

impl ReconcileTrigger {
    pub fn request(&self) {
        self.0.notify_one();
    }

    /// Completes when a pass was asked for (since the last time it completed).
    pub async fn requested(&self) {
        self.0.notified().await;
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            retry: true,
            backoff: Backoff::default(),
            timeout: Duration::from_secs(5),
            ping_every: Duration::from_secs(15),
            seed_batch: 1000,
            reconcile_every: Duration::from_secs(30),
            reconcile: ReconcileTrigger::default(),
        }
    }
}

/// Why a connection ended.
enum Ended {
    /// Connected, then lost.
    Lost(String),
    /// Could not connect (or subscribe, or seed).
    Failed { auth: bool, reason: String },
    /// Nobody listens any more: stop.
    ReceiverGone,
}

fn is_auth_error(e: &RedisError) -> bool {
    if e.kind() == ErrorKind::AuthenticationFailed {
        return true;
    }
    if matches!(e.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM")) {
        return true;
    }
    let text = e.to_string();
    text.contains("WRONGPASS") || text.contains("NOAUTH") || text.contains("NOPERM")
}

fn failed(label: &str, e: &RedisError) -> Ended {
    if is_auth_error(e) {
        Ended::Failed {
            auth: true,
            reason: format!("authentication failed for {label}"),
        }
    } else {
        Ended::Failed {
            auth: false,
            reason: format!("cannot connect to {label}: {e}"),
        }
    }
}

fn timed_out(label: &str, t: Duration) -> Ended {
    Ended::Failed {
        auth: false,
        reason: format!(
            "cannot connect to {label}: no answer within {} s",
            t.as_secs_f64()
        ),
    }
}

/// Run one endpoint until the receiver is dropped (or, with `retry: false`, until the first
/// failure, after reporting it). Spawn it: `tokio::spawn(redis::run(ep, id, opts, tx))`.
pub async fn run(
    endpoint: RedisEndpoint,
    id: EndpointId,
    options: RunOptions,
    tx: UnboundedSender<SourceEvent>,
) {
    let mut rng = Rng::new(u64::from(id.0) + 1);
    let mut failures: u32 = 0;
    let mut outage_since: Option<Time> = None;
    let mut ever_connected = false;
    if tx
        .send(SourceEvent::Connection {
            endpoint: id,
            at: now(),
            state: ConnectionState::Connecting,
        })
        .is_err()
    {
        return;
    }
    loop {
        let ended = session(&endpoint, id, &options, &tx, ever_connected).await;
        let (auth, reason) = match ended {
            Ended::ReceiverGone => return,
            Ended::Lost(reason) => {
                ever_connected = true;
                failures = 0;
                outage_since = None;
                (false, reason)
            }
            Ended::Failed { auth, reason } => (auth, reason),
        };
        failures = failures.saturating_add(1);
        let at = now();
        let since = *outage_since.get_or_insert(at);
        let delay = options.backoff.delay(failures, rng.next());
        let retry_at = at + delay.as_secs_f64();
        let state = if auth {
            ConnectionState::AuthFailed {
                since,
                retry_at,
                reason,
            }
        } else {
            ConnectionState::Reconnecting {
                since,
                retry_at,
                reason,
            }
        };
        tracing::info!(endpoint = %endpoint.label, ?state, "redis connection down");
        if tx
            .send(SourceEvent::Connection {
                endpoint: id,
                at,
                state,
            })
            .is_err()
            || !options.retry
        {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = tx.closed() => return,
        }
    }
}

/// A pass over the status keys (the seed, or a reconciliation).
type PassFuture = Pin<Box<dyn Future<Output = Result<(), SeedError>> + Send>>;

type PingFuture = Pin<Box<dyn Future<Output = Result<redis::Value, RedisError>> + Send>>;

/// Connect and subscribe: by hand over plain TCP, through redis-rs over TLS.
async fn subscribe(endpoint: &RedisEndpoint) -> Result<Subscription, Ended> {
    if !endpoint.tls {
        return RawSubscription::open(endpoint).await.map(Subscription::Raw);
    }
    let subscribe = async {
        let mut pubsub = endpoint.client.get_async_pubsub().await?;
        pubsub.psubscribe(&coturn::SUBSCRIBE_PATTERNS[..]).await?;
        Ok::<_, RedisError>(pubsub)
    };
    match subscribe.await {
        Ok(pubsub) => {
            let (sink, stream) = pubsub.split();
            Ok(Subscription::Client { sink, stream })
        }
        Err(e) => Err(failed(&endpoint.label, &e)),
    }
}

/// One connection, from connecting to its end.
async fn session(
    endpoint: &RedisEndpoint,
    id: EndpointId,
    options: &RunOptions,
    tx: &UnboundedSender<SourceEvent>,
    after_drop: bool,
) -> Ended {
    let label = &endpoint.label;
    let mut sub = match tokio::time::timeout(options.timeout, subscribe(endpoint)).await {
        Ok(Ok(s)) => s,
        Ok(Err(ended)) => return ended,
        Err(_) => return timed_out(label, options.timeout),
    };
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(options.timeout))
        .set_response_timeout(Some(options.timeout));
    let commands = match tokio::time::timeout(
        options.timeout,
        endpoint
            .client
            .get_multiplexed_async_connection_with_config(&config),
    )
    .await
    {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return failed(label, &e),
        Err(_) => return timed_out(label, options.timeout),
    };
    let at = now();
    let connected = SourceEvent::Connection {
        endpoint: id,
        at,
        state: ConnectionState::Connected,
    };
    if tx.send(connected).is_err() {
        return Ended::ReceiverGone;
    }
    if after_drop
        && tx
            .send(SourceEvent::Gap {
                endpoint: id,
                to: at,
            })
            .is_err()
    {
        return Ended::ReceiverGone;
    }
    tracing::info!(endpoint = %label, "redis subscribed");
    // Messages that came with the last subscription confirmation.
    if let Subscription::Raw(raw) = &mut sub
        && let Err(ended) = raw.forward(id, now(), tx, label)
    {
        return ended;
    }

    // The first pass is the seed; later ones reconcile (every `reconcile_every`, and when asked).
    let batch = options.seed_batch.max(1);
    let mut pass: Option<PassFuture> =
        Some(Box::pin(seed(commands.clone(), id, tx.clone(), batch)));
    let mut pass_started = tokio::time::Instant::now();
    let mut pass_wanted = false;
    let every = options.reconcile_every.max(Duration::from_millis(100));
    let mut reconcile_tick = tokio::time::interval_at(pass_started + every, every);
    reconcile_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ping_tick = tokio::time::interval_at(
        tokio::time::Instant::now() + options.ping_every,
        options.ping_every,
    );
    ping_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A PING is in flight: the connection must have answered, or at least sent something, by
    // `pong_due` (any data pushes it on: the link is alive, the answer is behind a backlog).
    // Over TLS, redis-rs's answer comes through `ping`.
    let mut ping: Option<PingFuture> = None;
    let mut pong_due: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            pumped = sub.pump(id, tx, label) => {
                if let Err(ended) = pumped {
                    return ended;
                }
                if sub.take_pong() {
                    pong_due = None;
                } else if pong_due.is_some() {
                    pong_due = Some(tokio::time::Instant::now() + options.timeout);
                }
            }
            result = async {
                match pass.as_mut() {
                    Some(p) => p.await,
                    None => std::future::pending().await,
                }
            } => {
                pass = None;
                match result {
                    Ok(()) => {}
                    Err(SeedError::ReceiverGone) => return Ended::ReceiverGone,
                    Err(SeedError::Redis(e)) => {
                        return Ended::Lost(format!("seeding from {label} failed: {e}"));
                    }
                }
            }
            _ = reconcile_tick.tick() => pass_wanted = true,
            () = options.reconcile.requested() => pass_wanted = true,
            _ = tokio::time::sleep_until(pass_started + RECONCILE_SPACING),
                if pass_wanted && pass.is_none() =>
            {
                pass_wanted = false;
                pass_started = tokio::time::Instant::now();
                pass = Some(Box::pin(seed(commands.clone(), id, tx.clone(), batch)));
            }
            _ = ping_tick.tick(), if pong_due.is_none() => {
                match &mut sub {
                    Subscription::Raw(raw) => {
                        let ping = resp::command(&[b"PING"]);
                        match tokio::time::timeout(options.timeout, raw.send(&ping)).await {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => {
                                return Ended::Lost(format!("connection to {label} lost: {e}"));
                            }
                            Err(_) => return no_answer(label, options.timeout),
                        }
                    }
                    Subscription::Client { sink, .. } => {
                        let mut sink = sink.clone();
                        ping = Some(Box::pin(async move { sink.ping::<redis::Value>().await }));
                    }
                }
                pong_due = Some(tokio::time::Instant::now() + options.timeout);
            }
            answer = async {
                match ping.as_mut() {
                    Some(p) => p.await,
                    None => std::future::pending().await,
                }
            } => {
                ping = None;
                pong_due = None;
                if let Err(e) = answer {
                    return Ended::Lost(format!("connection to {label} lost: {e}"));
                }
            }
            _ = tokio::time::sleep_until(pong_due.unwrap_or_else(tokio::time::Instant::now)),
                if pong_due.is_some() =>
            {
                // The deadline may have passed while this process was not running (stopped,
                // starved): whatever has arrived meanwhile still counts as an answer.
                match sub.pump(id, tx, label).now_or_never() {
                    Some(Ok(())) => {
                        pong_due = (!sub.take_pong())
                            .then(|| tokio::time::Instant::now() + options.timeout);
                        if pong_due.is_none() {
                            ping = None;
                        }
                    }
                    Some(Err(ended)) => return ended,
                    None => return no_answer(label, options.timeout),
                }
            }
            _ = tx.closed() => return Ended::ReceiverGone,
        }
    }
}

fn no_answer(label: &str, timeout: Duration) -> Ended {
    Ended::Lost(format!(
        "connection to {label} lost: no answer to PING within {} s",
        timeout.as_secs_f64()
    ))
}

impl Subscription {
    /// Whether a PING answer arrived since the last call (hand-read connection only).
    fn take_pong(&mut self) -> bool {
        match self {
            Subscription::Raw(raw) => std::mem::take(&mut raw.pong),
            Subscription::Client { .. } => false,
        }
    }

    /// Wait for input and forward all of it. Cancel-safe: the only wait is for the read.
    async fn pump(
        &mut self,
        id: EndpointId,
        tx: &UnboundedSender<SourceEvent>,
        label: &str,
    ) -> Result<(), Ended> {
        match self {
            Subscription::Raw(raw) => match raw.fill().await {
                Ok(0) => Err(Ended::Lost(format!("connection to {label} lost"))),
                Ok(_) => raw.forward(id, now(), tx, label),
                Err(e) => Err(Ended::Lost(format!("connection to {label} lost: {e}"))),
            },
            Subscription::Client { stream, .. } => {
                let lost = || Ended::Lost(format!("connection to {label} lost"));
                let msg = stream.next().await.ok_or_else(lost)?;
                forward(id, &msg, tx).map_err(|()| Ended::ReceiverGone)?;
                // Drain what is already queued without going through select! again.
                for _ in 0..1024 {
                    match stream.next().now_or_never() {
                        Some(Some(msg)) => {
                            forward(id, &msg, tx).map_err(|()| Ended::ReceiverGone)?;
                        }
                        Some(None) => return Err(lost()),
                        None => break,
                    }
                }
                Ok(())
            }
        }
    }
}

fn forward(id: EndpointId, msg: &redis::Msg, tx: &UnboundedSender<SourceEvent>) -> Result<(), ()> {
    let channel = match msg.get_channel::<Vec<u8>>() {
        Ok(bytes) => String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(_) => String::new(),
    };
    tx.send(SourceEvent::Message {
        endpoint: id,
        at: now(),
        channel,
        payload: msg.get_payload_bytes().to_vec(),
    })
    .map_err(|_| ())
}

// ---- the subscription, read by hand ----------------------------------------------------------

/// The subscription's read buffer: a read takes up to this much (about 2,000 `traffic`
/// messages) at once.
const READ_BUFFER: usize = 256 * 1024;

/// The subscription connection.
enum Subscription {
    /// Plain TCP, read by hand (see [`resp`]).
    Raw(RawSubscription),
    /// TLS, through redis-rs's pub/sub connection.
    Client {
        sink: redis::aio::PubSubSink,
        stream: redis::aio::PubSubStream,
    },
}

struct RawSubscription {
    read: tokio::net::tcp::OwnedReadHalf,
    write: tokio::net::tcp::OwnedWriteHalf,
    /// Bytes read; `buf[start..]` is not parsed yet.
    buf: Vec<u8>,
    start: usize,
    /// A `pong` arrived since the last look.
    pong: bool,
}

/// What a reply during the handshake was.
enum Handshake {
    /// Its first element (or the simple string).
    Ok(Vec<u8>),
    /// An error reply's text.
    Error(String),
}

impl RawSubscription {
    /// Connect, `AUTH` if there is a password, and `PSUBSCRIBE` both channel shapes.
    async fn open(endpoint: &RedisEndpoint) -> Result<Self, Ended> {
        let label = &endpoint.label;
        let cannot = |e: String| Ended::Failed {
            auth: false,
            reason: format!("cannot connect to {label}: {e}"),
        };
        let auth_failed = || Ended::Failed {
            auth: true,
            reason: format!("authentication failed for {label}"),
        };
        let stream = tokio::net::TcpStream::connect((endpoint.host.as_str(), endpoint.port))
            .await
            .map_err(|e| cannot(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let mut sub = RawSubscription {
            read,
            write,
            buf: Vec::with_capacity(READ_BUFFER),
            start: 0,
            pong: false,
        };
        let settings = endpoint.client.get_connection_info().redis_settings();
        if let Some(password) = settings.password() {
            let mut args: Vec<&[u8]> = vec![b"AUTH"];
            if let Some(user) = settings.username() {
                args.push(user.as_bytes());
            }
            args.push(password.as_bytes());
            let mut answer = sub.request(&args).await.map_err(cannot)?;
            // A Redis before 6 knows no users: retry with the password alone (as redis-rs does).
            if let Handshake::Error(text) = &answer
                && args.len() == 3
                && text.contains("wrong number of arguments")
            {
                answer = sub
                    .request(&[b"AUTH", password.as_bytes()])
                    .await
                    .map_err(cannot)?;
            }
            if let Handshake::Error(_) = answer {
                return Err(auth_failed());
            }
        }
        let mut args: Vec<&[u8]> = vec![b"PSUBSCRIBE"];
        args.extend(coturn::SUBSCRIBE_PATTERNS.iter().map(|p| p.as_bytes()));
        sub.send(&resp::command(&args)).await.map_err(cannot)?;
        let mut confirmed = 0;
        while confirmed < coturn::SUBSCRIBE_PATTERNS.len() {
            match sub.reply().await.map_err(cannot)? {
                Handshake::Ok(kind) if kind.eq_ignore_ascii_case(b"psubscribe") => confirmed += 1,
                Handshake::Ok(_) => {}
                Handshake::Error(text) if is_auth_reply(&text) => return Err(auth_failed()),
                Handshake::Error(text) => return Err(cannot(text)),
            }
        }
        Ok(sub)
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.write.write_all(bytes).await.map_err(|e| e.to_string())
    }

    async fn request(&mut self, args: &[&[u8]]) -> Result<Handshake, String> {
        self.send(&resp::command(args)).await?;
        self.reply().await
    }

    /// The next reply, during the handshake (when no message can arrive before it).
    async fn reply(&mut self) -> Result<Handshake, String> {
        loop {
            match resp::parse(&self.buf[self.start..]) {
                Ok(Some((reply, used))) => {
                    let answer = match reply {
                        resp::Reply::Error(text) => Handshake::Error(lossy(text.to_vec())),
                        resp::Reply::Array { parts, .. } => Handshake::Ok(parts[0].to_vec()),
                        resp::Reply::Simple(b) | resp::Reply::Bulk(b) | resp::Reply::Int(b) => {
                            Handshake::Ok(b.to_vec())
                        }
                    };
                    self.start += used;
                    return Ok(answer);
                }
                Ok(None) => {}
                Err(resp::Invalid(why)) => return Err(format!("invalid reply ({why})")),
            }
            if self.fill().await.map_err(|e| e.to_string())? == 0 {
                return Err("connection closed".into());
            }
        }
    }

    /// Read more (cancel-safe): 0 at the end of the stream.
    async fn fill(&mut self) -> std::io::Result<usize> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        if self.buf.is_empty() && self.buf.capacity() > 16 * READ_BUFFER {
            self.buf = Vec::with_capacity(READ_BUFFER);
        }
        if self.buf.capacity() - self.buf.len() < READ_BUFFER / 4 {
            self.buf.reserve(READ_BUFFER);
        }
        self.read.read_buf(&mut self.buf).await
    }

    /// Forward every complete message in the buffer, stamped `at`.
    fn forward(
        &mut self,
        id: EndpointId,
        at: Time,
        tx: &UnboundedSender<SourceEvent>,
        label: &str,
    ) -> Result<(), Ended> {
        let mut pos = self.start;
        let result = loop {
            match resp::parse(&self.buf[pos..]) {
                Ok(Some((reply, used))) => {
                    pos += used;
                    match reply {
                        resp::Reply::Array {
                            parts: [kind, _, channel, payload],
                            len: 4,
                        } if kind == b"pmessage" => {
                            let event = SourceEvent::Message {
                                endpoint: id,
                                at,
                                channel: lossy(channel.to_vec()),
                                payload: payload.to_vec(),
                            };
                            if tx.send(event).is_err() {
                                break Err(Ended::ReceiverGone);
                            }
                        }
                        resp::Reply::Array { parts, .. }
                            if parts[0].eq_ignore_ascii_case(b"pong") =>
                        {
                            self.pong = true;
                        }
                        resp::Reply::Simple(s) if s.eq_ignore_ascii_case(b"pong") => {
                            self.pong = true;
                        }
                        resp::Reply::Error(text) => {
                            break Err(Ended::Lost(format!(
                                "connection to {label} lost: {}",
                                String::from_utf8_lossy(text)
                            )));
                        }
                        // Subscription confirmations.
                        _ => {}
                    }
                }
                Ok(None) => break Ok(()),
                Err(resp::Invalid(why)) => {
                    break Err(Ended::Lost(format!(
                        "connection to {label} lost: invalid reply ({why})"
                    )));
                }
            }
        };
        self.start = pos;
        result
    }
}

fn is_auth_reply(text: &str) -> bool {
    ["NOAUTH", "WRONGPASS", "NOPERM"]
        .iter()
        .any(|code| text.starts_with(code))
}

/// A minimal RESP2 reader for the subscription: replies are parsed in place from one big
/// buffer, and each `pmessage` becomes a [`SourceEvent::Message`] straight away, with no
/// intermediate value and no driver task between the socket and the channel.
mod resp {
    /// One reply, borrowing from the read buffer.
    #[derive(Debug, PartialEq, Eq)]
    pub enum Reply<'a> {
        /// An array; its first four elements (bulk strings, integers or simple strings, as
        /// bytes; nil and nested arrays as empty) are kept.
        Array {
            parts: [&'a [u8]; 4],
            len: usize,
        },
        Simple(&'a [u8]),
        Error(&'a [u8]),
        Int(&'a [u8]),
        Bulk(&'a [u8]),
    }

    /// The buffer does not hold a RESP2 reply.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Invalid(pub String);

    /// `Ok(None)`: the reply is not complete yet.
    type Parsed<'a, T> = Result<Option<(T, usize)>, Invalid>;

    fn line(buf: &[u8], at: usize) -> Parsed<'_, &[u8]> {
        let rest = buf.get(at..).unwrap_or_default();
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && rest[i - 1] == b'\r' => Ok(Some((&rest[..i - 1], at + i + 1))),
            Some(_) => Err(Invalid("a line not ended by CRLF".into())),
            None if rest.len() > 64 * 1024 => Err(Invalid("a header line too long".into())),
            None => Ok(None),
        }
    }

    fn number(digits: &[u8]) -> Result<i64, Invalid> {
        let (negative, digits) = match digits.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, digits),
        };
        if digits.is_empty() || digits.len() > 18 {
            return Err(Invalid("a bad length".into()));
        }
        let mut n: i64 = 0;
        for &d in digits {
            if !d.is_ascii_digit() {
                return Err(Invalid("a bad length".into()));
            }
            n = n * 10 + i64::from(d - b'0');
        }
        Ok(if negative { -n } else { n })
    }

    /// One element of an array (or a whole reply): its bytes and where the next one starts.
    fn item(buf: &[u8], at: usize, depth: u32) -> Parsed<'_, Reply<'_>> {
        let Some(&kind) = buf.get(at) else {
            return Ok(None);
        };
        let Some((head, next)) = line(buf, at + 1)? else {
            return Ok(None);
        };
        match kind {
            b'$' => {
                let len = number(head)?;
                if len < 0 {
                    return Ok(Some((Reply::Bulk(&[]), next)));
                }
                let end = next + len as usize;
                if buf.len() < end + 2 {
                    return Ok(None);
                }
                if &buf[end..end + 2] != b"\r\n" {
                    return Err(Invalid("a bulk string not ended by CRLF".into()));
                }
                Ok(Some((Reply::Bulk(&buf[next..end]), end + 2)))
            }
            b'*' => {
                if depth > 4 {
                    return Err(Invalid("arrays nested too deep".into()));
                }
                let len = number(head)?.max(0) as usize;
                let mut parts: [&[u8]; 4] = [&[]; 4];
                let mut pos = next;
                for n in 0..len {
                    let Some((element, after)) = item(buf, pos, depth + 1)? else {
                        return Ok(None);
                    };
                    if let Some(part) = parts.get_mut(n) {
                        *part = match element {
                            Reply::Bulk(b) | Reply::Int(b) | Reply::Simple(b) => b,
                            Reply::Array { .. } | Reply::Error(_) => &[],
                        };
                    }
                    pos = after;
                }
                Ok(Some((Reply::Array { parts, len }, pos)))
            }
            b'+' => Ok(Some((Reply::Simple(head), next))),
            b'-' => Ok(Some((Reply::Error(head), next))),
            b':' => Ok(Some((Reply::Int(head), next))),
            other => Err(Invalid(format!("unexpected type byte {other:#04x}"))),
        }
    }

    /// The reply at the start of `buf` and its length, or `None` if it is not complete.
    pub fn parse(buf: &[u8]) -> Result<Option<(Reply<'_>, usize)>, Invalid> {
        item(buf, 0, 0)
    }

    /// A command as a RESP2 array of bulk strings.
    pub fn command(args: &[&[u8]]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn parses_pubsub_replies_in_pieces() {
            let frame = b"*4\r\n$8\r\npmessage\r\n$6\r\nturn/*\r\n$6\r\nturn/x\r\n$5\r\nhello\r\n";
            for cut in 0..frame.len() {
                assert_eq!(parse(&frame[..cut]), Ok(None), "cut at {cut}");
            }
            let (reply, used) = parse(frame).unwrap().unwrap();
            assert_eq!(used, frame.len());
            assert_eq!(
                reply,
                Reply::Array {
                    parts: [b"pmessage", b"turn/*", b"turn/x", b"hello"],
                    len: 4
                }
            );
            let sub = b"*3\r\n$10\r\npsubscribe\r\n$6\r\nturn/*\r\n:2\r\n+OK\r\n";
            let (reply, used) = parse(sub).unwrap().unwrap();
            assert_eq!(
                reply,
                Reply::Array {
                    parts: [b"psubscribe", b"turn/*", b"2", b""],
                    len: 3
                }
            );
            assert_eq!(parse(&sub[used..]), Ok(Some((Reply::Simple(b"OK"), 5))));
            let pong = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n";
            assert!(matches!(
                parse(pong),
                Ok(Some((Reply::Array { len: 2, .. }, 20)))
            ));
            assert_eq!(
                parse(b"-NOAUTH Authentication required.\r\n"),
                Ok(Some((Reply::Error(b"NOAUTH Authentication required."), 34)))
            );
            assert_eq!(parse(b"$-1\r\n"), Ok(Some((Reply::Bulk(b""), 5))));
            assert!(parse(b"?\r\n").is_err());
            assert!(parse(b"$3\r\nabcde\r\n").is_err());
            assert!(parse(b"$x\r\n").is_err());
            assert_eq!(command(&[b"PING"]), b"*1\r\n$4\r\nPING\r\n".to_vec());
        }
    }
}

// ---- the seed --------------------------------------------------------------------------------

enum SeedError {
    Redis(RedisError),
    ReceiverGone,
}

impl From<RedisError> for SeedError {
    fn from(e: RedisError) -> Self {
        SeedError::Redis(e)
    }
}

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

async fn mget(
    con: &mut MultiplexedConnection,
    keys: &[Vec<u8>],
) -> Result<Vec<Option<Vec<u8>>>, RedisError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    redis::cmd("MGET").arg(keys).query_async(con).await
}

/// SCAN + MGET, with the MGET of one batch running while the next SCAN is in flight.
async fn seed(
    mut con: MultiplexedConnection,
    id: EndpointId,
    tx: UnboundedSender<SourceEvent>,
    batch: usize,
) -> Result<(), SeedError> {
    let send = |ev: SourceEvent| tx.send(ev).map_err(|_| SeedError::ReceiverGone);
    send(SourceEvent::SeedBegin {
        endpoint: id,
        at: now(),
    })?;
    let mut values_con = con.clone();
    let mut cursor: u64 = 0;
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut first = true;
    loop {
        let scanning = !first && cursor == 0;
        let scan = async {
            if scanning {
                return Ok((0u64, Vec::new()));
            }
            redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(coturn::STATUS_KEY_PATTERN)
                .arg("COUNT")
                .arg(batch)
                .query_async::<(u64, Vec<Vec<u8>>)>(&mut con)
                .await
        };
        let (scanned, values) = tokio::join!(scan, mget(&mut values_con, &pending));
        let values = values?;
        let at = now();
        let entries: Vec<(String, Vec<u8>)> = std::mem::take(&mut pending)
            .into_iter()
            .zip(values)
            // A key deleted between SCAN and MGET comes back as nil: its `deleted` was published.
            .filter_map(|(k, v)| v.map(|v| (lossy(k), v)))
            .collect();
        if !entries.is_empty() {
            send(SourceEvent::SeedBatch {
                endpoint: id,
                at,
                entries,
            })?;
        }
        if scanning {
            break;
        }
        let (next, keys) = scanned?;
        first = false;
        cursor = next;
        pending = keys;
        if cursor == 0 && pending.is_empty() {
            break;
        }
    }
    send(SourceEvent::SeedEnd {
        endpoint: id,
        at: now(),
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("redis://u:secret@h:1/0"), "redis://u:***@h:1/0");
        assert_eq!(redact_url("rediss://:pw@h"), "rediss://:***@h");
        assert_eq!(redact_url("redis://h:1"), "redis://h:1");
        assert_eq!(redact_url("redis://u@h"), "redis://u@h");
        assert_eq!(url_password("redis://u:p%40ss@h"), Some("p%40ss"));
    }

    #[test]
    fn labels_and_errors() {
        let tls = TlsOptions::default();
        let ep = RedisEndpoint::parse("redis://u:secret@127.0.0.1:7000/2", None, None, &tls);
        let ep = ep.expect("valid");
        assert_eq!(ep.label, "127.0.0.1:7000");
        assert!(!format!("{ep:?}").contains("secret"));
        let named = RedisEndpoint::parse("redis://h", Some("edge-1"), None, &tls).expect("valid");
        assert_eq!(named.label, "edge-1");
        let v6 = RedisEndpoint::parse("redis://[::1]:6380", None, None, &tls).expect("valid");
        assert_eq!(v6.label, "[::1]:6380");
        let e = RedisEndpoint::parse("http://u:secret@h", None, None, &tls).unwrap_err();
        assert!(e.0.contains("redis://") && !e.0.contains("secret"), "{e}");
        let e = RedisEndpoint::parse("redis://u:secret@h:notaport", None, None, &tls).unwrap_err();
        assert!(!e.0.contains("secret"), "{e}");
        assert!(e.0.starts_with("invalid Redis URL"), "{e}");
    }

    #[test]
    fn password_sources() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\n").expect("write");
        let cfg = EndpointsConfig {
            urls: vec![],
            password_file: Some(&file),
            password_env: Some("from-env".into()),
            ..EndpointsConfig::default()
        };
        let eps = endpoints(&cfg).expect("ok");
        assert_eq!(eps.len(), 1);
        assert_eq!(eps[0].label, "127.0.0.1:6379");
        let pw = eps[0]
            .client
            .get_connection_info()
            .redis_settings()
            .password();
        assert_eq!(pw, Some("from-file"));
        let cfg = EndpointsConfig {
            urls: vec![("redis://:inurl@h".into(), None)],
            password_env: Some("from-env".into()),
            ..EndpointsConfig::default()
        };
        let eps = endpoints(&cfg).expect("ok");
        let pw = eps[0]
            .client
            .get_connection_info()
            .redis_settings()
            .password();
        assert_eq!(pw, Some("inurl"));
        let missing = dir.path().join("nope");
        let cfg = EndpointsConfig {
            password_file: Some(&missing),
            ..EndpointsConfig::default()
        };
        assert!(endpoints(&cfg).unwrap_err().0.starts_with("password file"));
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let b = Backoff::default();
        assert_eq!(b.delay(1, 0.5), Duration::from_millis(250));
        assert_eq!(b.delay(2, 0.5), Duration::from_millis(500));
        assert_eq!(b.delay(100, 0.5), Duration::from_secs(5));
        assert!(b.delay(100, 0.0) >= Duration::from_secs(4));
        assert!(b.delay(100, 0.999) <= Duration::from_secs(6));
        let mut r = Rng::new(7);
        for _ in 0..1000 {
            let x = r.next();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
