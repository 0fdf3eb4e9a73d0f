//! The real-time runner: the only part of the demo that reads a clock (the wall clock once, to
//! anchor it, then tokio's) and does I/O (a channel of [`SourceEvent`]s).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;

use super::Demo;
use super::DemoConfig;
use crate::model::EndpointId;
use crate::source::SourceEvent;

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
    follow(demo, endpoint, tx).await;
}

/// Publish every message of an already warmed-up demo when it is due, endlessly, with simulated
/// time advancing with tokio's clock from the demo's start. Stops when the receiver is gone.
pub async fn follow(mut demo: Demo, endpoint: EndpointId, tx: mpsc::UnboundedSender<SourceEvent>) {
    let start = demo.start();
    let origin = tokio::time::Instant::now();
    while let Some(next) = demo.next_due() {
        let due = origin + Duration::from_secs_f64((next - start).max(0.0));
        tokio::time::sleep_until(due).await;
        let now = start + origin.elapsed().as_secs_f64();
        for m in demo.advance(now.max(next)) {
            if tx.send(m.into_event(endpoint)).is_err() {
                return;
            }
        }
    }
}
