//! One endpoint's task: connect, subscribe, seed, read until the connection drops or stops
//! answering `PING`, then report why and reconnect with backoff.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures::FutureExt;
use redis::{AsyncConnectionConfig, ErrorKind, RedisError};
use tokio::sync::mpsc::UnboundedSender;

use super::backoff::{Backoff, Rng};
use super::endpoint::RedisEndpoint;
use super::resp;
use super::seed::{SeedError, seed};
use super::subscription::{Subscription, subscribe};
use crate::clock::now;
use crate::model::{ConnectionState, EndpointId, Time};
use crate::source::SourceEvent;

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
pub(super) enum Ended {
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

/// A refused login: `NOAUTH` (a password is required and none was given) says so; a wrong
/// password or user is "authentication failed".
pub(super) fn auth_failure(label: &str, noauth: bool) -> Ended {
    let reason = if noauth {
        format!("password required by {label} (NOAUTH): none was given")
    } else {
        format!("authentication failed for {label}")
    };
    Ended::Failed { auth: true, reason }
}

pub(super) fn failed(label: &str, e: &RedisError) -> Ended {
    if is_auth_error(e) {
        let noauth = e.code() == Some("NOAUTH") || e.to_string().contains("NOAUTH");
        auth_failure(label, noauth)
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
    let label = endpoint.label.as_str();
    loop {
        tracing::info!(
            endpoint = label,
            url = endpoint.redacted_url(),
            attempt = failures + 1,
            "connecting"
        );
        let gap_since = if ever_connected { outage_since } else { None };
        let ended = session(&endpoint, id, &options, &tx, gap_since).await;
        log_ended(&endpoint, &ended);
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
        if options.retry {
            tracing::info!(
                endpoint = label,
                failures,
                "next attempt in {:.1} s",
                delay.as_secs_f64()
            );
        } else {
            tracing::info!(
                endpoint = label,
                "not retrying (--once and record stop here)"
            );
        }
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

/// One log line for how a connection ended (the URL redacted, as on screen).
fn log_ended(endpoint: &RedisEndpoint, ended: &Ended) {
    let (label, url) = (endpoint.label.as_str(), endpoint.redacted_url());
    match ended {
        Ended::ReceiverGone => {
            tracing::debug!(
                endpoint = label,
                "stopped: nothing reads the events any more"
            );
        }
        Ended::Lost(reason) => {
            tracing::warn!(endpoint = label, reason = reason.as_str(), "disconnected");
        }
        Ended::Failed { auth: true, reason } => {
            let reason = reason.as_str();
            tracing::error!(endpoint = label, url, reason, "authentication failed");
        }
        Ended::Failed {
            auth: false,
            reason,
        } => {
            let reason = reason.as_str();
            tracing::warn!(endpoint = label, url, reason, "connection failed");
        }
    }
}

/// A pass over the status keys (the seed, or a reconciliation).
type PassFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SeedError>> + Send + 'a>>;

type PingFuture = Pin<Box<dyn Future<Output = Result<redis::Value, RedisError>> + Send>>;

/// One connection, from connecting to its end.
async fn session(
    endpoint: &RedisEndpoint,
    id: EndpointId,
    options: &RunOptions,
    tx: &UnboundedSender<SourceEvent>,
    // After a drop: when the subscription went down (what was published since is lost).
    gap_since: Option<Time>,
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
    tracing::info!(
        endpoint = label.as_str(),
        url = endpoint.redacted_url(),
        tls = endpoint.tls,
        patterns = ?crate::coturn::SUBSCRIBE_PATTERNS,
        "connected and subscribed"
    );
    if let Some(since) = gap_since {
        if tx
            .send(SourceEvent::Gap {
                endpoint: id,
                to: at,
            })
            .is_err()
        {
            return Ended::ReceiverGone;
        }
        tracing::warn!(
            endpoint = label.as_str(),
            "gap: whatever was published in the {:.1} s without a subscription is lost",
            (at - since).max(0.0)
        );
    }
    // Messages that came with the last subscription confirmation.
    if let Subscription::Raw(raw) = &mut sub
        && let Err(ended) = raw.forward(id, now(), tx, label)
    {
        return ended;
    }

    // The first pass is the seed; later ones reconcile (every `reconcile_every`, and when asked).
    let batch = options.seed_batch.max(1);
    let mut pass: Option<PassFuture<'_>> = Some(Box::pin(seed(
        commands.clone(),
        id,
        label,
        tx.clone(),
        batch,
        false,
    )));
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
                pass = Some(Box::pin(seed(
                    commands.clone(),
                    id,
                    label,
                    tx.clone(),
                    batch,
                    true,
                )));
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
