//! `turntop --once` against live Redis: connect every endpoint, seed, listen for a while, and
//! return the model (the caller prints the same JSON snapshot as a replay). While it listens
//! it runs the TUI's once-a-second tick (retention, eviction, rows whose key went missing), so
//! a long `--listen` keeps memory bounded the same way.

use std::collections::HashSet;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::logging::BadMessageLog;
use crate::model::{ConnectionState, Model, ModelConfig, Time};
use crate::source::redis::{self, RedisEndpoint, RunOptions};
use crate::source::{Reconcilers, SourceEvent};

/// Why a `--once` run failed: one line, naming the endpoint (never a password).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveError(pub String);

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LiveError {}

fn failure(ev: &SourceEvent) -> Option<String> {
    match ev {
        SourceEvent::Connection {
            state:
                ConnectionState::Reconnecting { reason, .. }
                | ConnectionState::AuthFailed { reason, .. },
            ..
        } => Some(reason.clone()),
        _ => None,
    }
}

/// Connect to every endpoint, wait for each seed to complete, listen for `listen`, and return
/// the model and the instant its state is true at. Fails at the first endpoint that cannot be
/// reached, refuses the credentials, or drops while we listen.
pub async fn once(
    endpoints: Vec<RedisEndpoint>,
    listen: Duration,
    config: ModelConfig,
    options: RunOptions,
) -> Result<(Model, Time), LiveError> {
    let mut model = Model::new(config);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let options = RunOptions {
        retry: false,
        ..options
    };
    let mut tasks = Vec::new();
    let mut seeding = HashSet::new();
    let mut reconcilers = Reconcilers::default();
    for ep in endpoints {
        let id = model.add_endpoint(ep.label.clone());
        seeding.insert(id);
        let options = RunOptions {
            reconcile: reconcilers.trigger(id),
            ..options.clone()
        };
        tasks.push(tokio::spawn(redis::run(ep, id, options, tx.clone())));
    }
    drop(tx);
    let mut bad = BadMessageLog::default();
    let result = async {
        let mut batch = Vec::with_capacity(4096);
        while !seeding.is_empty() {
            if rx.recv_many(&mut batch, 4096).await == 0 {
                return Err(LiveError("every Redis source stopped".into()));
            }
            for ev in batch.drain(..) {
                if let Some(reason) = failure(&ev) {
                    return Err(LiveError(reason));
                }
                if let SourceEvent::SeedEnd { endpoint, .. } = ev {
                    seeding.remove(&endpoint);
                }
                ev.apply_to(&mut model);
            }
            bad.observe(&model, crate::clock::now());
        }
        let start = tokio::time::Instant::now();
        let deadline = start + listen;
        let second = Duration::from_secs(1);
        let mut tick = tokio::time::interval_at(start + second, second);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => model.tick(redis::now()),
                n = rx.recv_many(&mut batch, 4096) => {
                    if n == 0 {
                        break;
                    }
                    if let Some(reason) = batch.iter().find_map(failure) {
                        return Err(LiveError(reason));
                    }
                    crate::source::apply_events(&batch, &mut model);
                    reconcilers.forward(&mut model);
                    batch.clear();
                    bad.observe(&model, crate::clock::now());
                }
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        // Whatever was already received counts.
        while let Ok(ev) = rx.try_recv() {
            if failure(&ev).is_none() {
                ev.apply_to(&mut model);
            }
        }
        Ok(())
    }
    .await;
    for t in &tasks {
        t.abort();
    }
    let now = crate::clock::now();
    bad.finish(&model, now);
    result?;
    model.tick(now);
    Ok((model, now))
}
