//! One task per endpoint's CLI: keeps one connection (reconnecting with backoff), asks
//! `ps <user>` for the user on screen at most once a second, `pu` every 10 s for coturn's
//! count, and `cs <id>` when a cancel is confirmed. It asks for nothing else, so coturn's CLI
//! thread is never kept busy by turntop.

use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::CliEndpoint;
use super::client::{CliClient, CliError};
use super::parse::{parse_ps, parse_pu};
use super::view::{CliEvent, CliState};
use crate::source::redis::Backoff;

pub const POLL_EVERY: Duration = Duration::from_secs(1);
pub const COUNT_EVERY: Duration = Duration::from_secs(10);

/// The loop's side of one poller.
#[derive(Clone, Debug)]
pub struct PollerHandle {
    /// The user whose sessions are on screen (a selected or drilled-into user), if any.
    pub want: watch::Sender<Option<String>>,
    pub cancel: mpsc::UnboundedSender<u64>,
}

/// Starts the poller of endpoint `endpoint`; its events go to `events`.
pub fn spawn(
    endpoint: u16,
    ep: CliEndpoint,
    events: mpsc::UnboundedSender<(u16, CliEvent)>,
) -> PollerHandle {
    let (want_tx, want) = watch::channel(None);
    let (cancel_tx, cancel) = mpsc::unbounded_channel();
    tokio::spawn(run(endpoint, ep, want, cancel, events));
    PollerHandle {
        want: want_tx,
        cancel: cancel_tx,
    }
}

async fn run(
    endpoint: u16,
    ep: CliEndpoint,
    mut want: watch::Receiver<Option<String>>,
    mut cancel: mpsc::UnboundedReceiver<u64>,
    events: mpsc::UnboundedSender<(u16, CliEvent)>,
) {
    let backoff = Backoff {
        initial: Duration::from_millis(500),
        max: Duration::from_secs(15),
        jitter: 0.2,
    };
    let send = |e: CliEvent| events.send((endpoint, e)).is_ok();
    let mut failures = 0u32;
    let mut last_error = None;
    loop {
        if !send(CliEvent::State(CliState::Connecting)) {
            return;
        }
        let error = match CliClient::connect(&ep).await {
            Ok(mut client) => {
                failures = 0;
                tracing::info!(cli = %crate::sanitize::sanitize(&ep.addr), "coturn CLI connected");
                if !send(CliEvent::State(CliState::Up)) {
                    return;
                }
                serve(&mut client, &mut want, &mut cancel, &send).await
            }
            Err(e) => e,
        };
        let text = error.to_string();
        if last_error.as_ref() != Some(&text) {
            tracing::warn!(cli = %crate::sanitize::sanitize(&ep.addr), "coturn CLI down: {text}");
        }
        if !send(CliEvent::State(CliState::Down(text.clone()))) {
            return;
        }
        last_error = Some(text);
        failures += 1;
        let random = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
            % 1000) as f64
            / 1000.0;
        tokio::time::sleep(backoff.delay(failures, random)).await;
    }
}

/// Polls and cancels over one connection until it fails.
async fn serve(
    client: &mut CliClient,
    want: &mut watch::Receiver<Option<String>>,
    cancel: &mut mpsc::UnboundedReceiver<u64>,
    send: &impl Fn(CliEvent) -> bool,
) -> CliError {
    let mut tick = tokio::time::interval(POLL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_count = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if tokio::time::Instant::now() >= next_count {
                    next_count += COUNT_EVERY;
                    match client.command("pu").await {
                        Ok(a) => match parse_pu(&a) {
                            Ok(pu) => { send(CliEvent::Count(pu.total)); }
                            Err(e) => { send(CliEvent::Problem(format!("pu: {e}"))); }
                        },
                        Err(e) => return e,
                    }
                }
                let user = want.borrow_and_update().clone();
                if let Some(user) = user
                    && let Err(e) = ps_user(client, &user, send).await
                {
                    return e;
                }
            }
            id = cancel.recv() => {
                let Some(id) = id else { return CliError::Closed };
                let answer = client.command(&format!("cs {id}")).await;
                let failed = answer.as_ref().err().cloned();
                send(CliEvent::Cancelled { id, answer: answer.map_err(|e| e.to_string()) });
                if let Some(e) = failed {
                    return e;
                }
            }
        }
    }
}

/// `ps <user>`: exact match on the user name. A name with a space or a line break cannot be
/// asked for (coturn splits the command at spaces): it is skipped.
async fn ps_user(
    client: &mut CliClient,
    user: &str,
    send: &impl Fn(CliEvent) -> bool,
) -> Result<(), CliError> {
    if user.is_empty() || user.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Ok(());
    }
    let answer = client.command(&format!("ps {user}")).await?;
    match parse_ps(&answer) {
        Ok(answer) => send(CliEvent::Sessions {
            user: crate::sanitize::sanitize(user),
            answer,
        }),
        Err(e) => send(CliEvent::Problem(format!("ps: {e}"))),
    };
    Ok(())
}
