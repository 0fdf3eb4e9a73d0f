//! The real-time runner: the only part of the demo that reads a clock (the wall clock once, to
//! anchor it, then tokio's) and does I/O (a channel of [`SourceEvent`]s).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;

use super::Demo;
use super::DemoConfig;
use crate::model::EndpointId;
use crate::source::SourceEvent;
use crate::source::redis::{self, ReconcileTrigger};

/// Run the demo in real time from now, endlessly: first the warm-up history at once, then every
/// message when it is due. Stops when the receiver is gone.
pub async fn run(config: DemoConfig, endpoint: EndpointId, tx: mpsc::UnboundedSender<SourceEvent>) {
    let start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    run_from(config, start, endpoint, tx).await;
}

/// [`run`] with the simulated clock anchored at `start` (epoch seconds) instead of the wall
/// clock: simulated time advances with tokio's clock from there.
pub async fn run_from(
    config: DemoConfig,
    start: f64,
    endpoint: EndpointId,
    tx: mpsc::UnboundedSender<SourceEvent>,
) {
    let mut demo = Demo::new(config, start);
    for m in demo.prewarm() {
        if tx.send(m.into_event(endpoint)).is_err() {
            return;
        }
    }
    follow(demo, endpoint, tx, ReconcileTrigger::default()).await;
}

/// Publish every message of an already warmed-up demo when it is due, endlessly, with simulated
/// time advancing with tokio's clock from the demo's start; hand turntop the server's status
/// keys every 30 s and when `reconcile` asks (at most every 3 s), as the Redis source does.
/// Stops when the receiver is gone.
pub async fn follow(
    mut demo: Demo,
    endpoint: EndpointId,
    tx: mpsc::UnboundedSender<SourceEvent>,
    reconcile: ReconcileTrigger,
) {
    let start = demo.start();
    let origin = tokio::time::Instant::now();
    let at = |t: f64| origin + Duration::from_secs_f64((t - start).max(0.0));
    let every = redis::RunOptions::default().reconcile_every.as_secs_f64();
    let spacing = redis::RECONCILE_SPACING.as_secs_f64();
    let (mut next_pass, mut last_pass) = (start + every, f64::NEG_INFINITY);
    let mut wanted = false;
    loop {
        let pass_due = if wanted {
            next_pass.min(last_pass + spacing)
        } else {
            next_pass
        };
        let next = demo.next_due().unwrap_or(f64::INFINITY).min(pass_due);
        tokio::select! {
            () = tokio::time::sleep_until(at(next)) => {}
            () = reconcile.requested() => {
                wanted = true;
                continue;
            }
        }
        let now = (start + origin.elapsed().as_secs_f64()).max(next);
        for m in demo.advance(now) {
            if tx.send(m.into_event(endpoint)).is_err() {
                return;
            }
        }
        if now >= pass_due {
            let events = [
                SourceEvent::SeedBegin { endpoint, at: now },
                SourceEvent::SeedBatch {
                    endpoint,
                    at: now,
                    entries: demo.status_keys(),
                },
                SourceEvent::SeedEnd { endpoint, at: now },
            ];
            for ev in events {
                if tx.send(ev).is_err() {
                    return;
                }
            }
            (wanted, last_pass, next_pass) = (false, now, now + every);
        }
    }
}
