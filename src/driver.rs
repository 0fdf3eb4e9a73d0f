//! The headless loop of `turntop serve`: it owns the model, applies what the sources send,
//! forwards the model's reconciliation requests, ticks it once a second (retention, eviction,
//! rows whose key went missing, then the problems) as the TUI does, and answers scrapes
//! between batches. Runs until SIGTERM, SIGINT or SIGHUP.

use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::logging::BadMessageLog;
use crate::metrics::{ScrapeRequest, ScrapeRequests, Snapshot};
use crate::model::Model;
use crate::source::{Reconcilers, SourceEvent};

/// Answer one scrape from the model at `now` (the pass is the only time ingest waits).
pub fn answer(model: &Model, now: f64, request: ScrapeRequest) {
    // The scraper may have gone away meanwhile: nothing to do then.
    let _ = request
        .reply
        .send(Snapshot::take(model, now, request.users));
}

/// Why the loop stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    Signal(&'static str),
    /// Every source stopped (they only do on a bug: live sources retry forever).
    SourcesEnded,
}

/// Run until a signal. The caller has spawned the sources and the metrics server.
pub async fn run(
    mut model: Model,
    mut events: UnboundedReceiver<SourceEvent>,
    reconcilers: Reconcilers,
    mut scrapes: ScrapeRequests,
) -> std::io::Result<Stop> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch: Vec<SourceEvent> = Vec::with_capacity(4096);
    let mut bad = BadMessageLog::default();
    let stop = loop {
        tokio::select! {
            // Scrapes first: a burst of events must not keep a scraper waiting past its timeout.
            biased;
            Some(request) = scrapes.recv() => answer(&model, crate::clock::now(), request),
            n = events.recv_many(&mut batch, 4096) => {
                if n == 0 {
                    break Stop::SourcesEnded;
                }
                crate::source::apply_events(&batch, &mut model);
                reconcilers.forward(&mut model);
                batch.clear();
                bad.observe(&model, crate::clock::now());
            }
            _ = tick.tick() => {
                // Eviction, then the problems (exported as `turntop_problems`).
                model.tick(crate::clock::now());
                bad.observe(&model, crate::clock::now());
            }
            _ = sigterm.recv() => break Stop::Signal("SIGTERM"),
            _ = sigint.recv() => break Stop::Signal("SIGINT"),
            _ = sighup.recv() => break Stop::Signal("SIGHUP"),
        }
    };
    bad.finish(&model, crate::clock::now());
    Ok(stop)
}

/// `turntop serve`: bind the metrics address, start one source per endpoint, and run the loop
/// until a signal. Errors are one line (the address that cannot be bound, ...).
pub async fn serve(
    endpoints: Vec<crate::source::redis::RedisEndpoint>,
    config: crate::model::ModelConfig,
    metrics: std::net::SocketAddr,
    users: usize,
    on_bound: impl FnOnce(std::net::SocketAddr),
) -> Result<Stop, String> {
    let (server, scrapes) = crate::serve::bind(metrics, users)
        .await
        .map_err(|e| format!("--metrics {metrics}: {e}"))?;
    let bound = server.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(address = %bound, "metrics: serving /metrics and /healthz");
    on_bound(bound);
    let mut model = Model::new(config);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut reconcilers = Reconcilers::default();
    let mut tasks = Vec::new();
    for ep in endpoints {
        let id = model.add_endpoint(ep.label.clone());
        let options = crate::source::redis::RunOptions {
            reconcile: reconcilers.trigger(id),
            ..Default::default()
        };
        tasks.push(tokio::spawn(crate::source::redis::run(
            ep,
            id,
            options,
            tx.clone(),
        )));
    }
    drop(tx);
    let http = tokio::spawn(server.run());
    let stop = run(model, rx, reconcilers, scrapes)
        .await
        .map_err(|e| e.to_string());
    http.abort();
    for t in &tasks {
        t.abort();
    }
    stop
}
