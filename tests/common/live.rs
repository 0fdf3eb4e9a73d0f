//! turntop's live Redis source(s) feeding a model in-process, as the UI loop runs them.

use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use turntop::model::{ConnectionState, EndpointId, Model, ModelConfig};
use turntop::output::{self, Snapshot};
use turntop::source::redis::{self as redis_source, RedisEndpoint, RunOptions, TlsOptions, now};
use turntop::source::{Reconcilers, SourceEvent};

pub struct Live {
    pub model: Model,
    tx: UnboundedSender<SourceEvent>,
    rx: UnboundedReceiver<SourceEvent>,
    tasks: Vec<JoinHandle<()>>,
    /// Every connection state reported, in order (shown when a wait times out).
    pub states: Vec<(EndpointId, ConnectionState)>,
    /// Every seed (and reconciliation pass) that ended, in order.
    pub seed_ends: Vec<EndpointId>,
    /// The model's reconciliation requests go to the sources, as in the UI loop.
    reconcilers: Reconcilers,
    /// The last once-a-second tick (`Model::evict`: retention, and rows whose key went
    /// missing), as the UI loop runs it.
    last_tick: f64,
}

/// Reconnect quickly: tests restart Redis and wait for turntop to come back.
pub fn fast_reconnect() -> RunOptions {
    RunOptions {
        backoff: redis_source::Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(1),
            ..Default::default()
        },
        ..RunOptions::default()
    }
}

impl Live {
    /// A model that keeps everything (no retention limit within a test).
    pub fn new() -> Self {
        Live::with_config(ModelConfig {
            retention: 1e9,
            ..ModelConfig::default()
        })
    }

    pub fn with_config(config: ModelConfig) -> Self {
        let (tx, rx) = unbounded_channel();
        Live {
            model: Model::new(config),
            tx,
            rx,
            tasks: Vec::new(),
            states: Vec::new(),
            seed_ends: Vec::new(),
            reconcilers: Reconcilers::default(),
            last_tick: 0.0,
        }
    }

    pub fn add(&mut self, url: &str, password: Option<&str>, tls: &TlsOptions) -> EndpointId {
        self.add_with(url, password, tls, RunOptions::default())
    }

    pub fn add_with(
        &mut self,
        url: &str,
        password: Option<&str>,
        tls: &TlsOptions,
        options: RunOptions,
    ) -> EndpointId {
        let ep = RedisEndpoint::parse(url, None, password, tls).expect("endpoint");
        let id = self.model.add_endpoint(ep.label.clone());
        let options = RunOptions {
            reconcile: self.reconcilers.trigger(id),
            ..options
        };
        let task = redis_source::run(ep, id, options, self.tx.clone());
        self.tasks.push(tokio::spawn(task));
        id
    }

    fn apply(&mut self, ev: &SourceEvent) {
        ev.apply_to(&mut self.model);
        self.reconcilers.forward(&mut self.model);
        self.tick();
        match ev {
            SourceEvent::Connection {
                endpoint, state, ..
            } => self.states.push((*endpoint, state.clone())),
            SourceEvent::SeedEnd { endpoint, .. } => self.seed_ends.push(*endpoint),
            _ => {}
        }
    }

    fn tick(&mut self) {
        let t = now();
        if t - self.last_tick >= 1.0 {
            self.last_tick = t;
            self.model.evict(t);
        }
    }

    fn check(&self) {
        self.model
            .check_hot()
            .expect("the hot copy matches the allocations");
    }

    fn timed_out(&self, what: &str, secs: f64) -> ! {
        panic!(
            "timed out after {secs} s waiting for {what}; connection states: {:?}",
            self.states
        )
    }

    /// Apply events until `done` holds for the model and the event just applied; panic after
    /// `secs`. Returns that event.
    pub async fn until_event(
        &mut self,
        what: &str,
        secs: f64,
        mut done: impl FnMut(&Model, &SourceEvent) -> bool,
    ) -> SourceEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(ev)) => {
                    self.apply(&ev);
                    if done(&self.model, &ev) {
                        self.check();
                        return ev;
                    }
                }
                Ok(None) => panic!("every source ended while waiting for {what}"),
                Err(_) => self.timed_out(what, secs),
            }
        }
    }

    /// Apply events until `done` holds, checked before each event and at least every 50 ms (so
    /// it may depend on time or on other processes); panic after `secs`.
    pub async fn until(&mut self, what: &str, secs: f64, mut done: impl FnMut(&mut Self) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
        loop {
            self.tick();
            if done(self) {
                self.check();
                return;
            }
            let tick = (tokio::time::Instant::now() + Duration::from_millis(50)).min(deadline);
            match tokio::time::timeout_at(tick, self.rx.recv()).await {
                Ok(Some(ev)) => self.apply(&ev),
                Ok(None) => panic!("every source ended while waiting for {what}"),
                Err(_) if tokio::time::Instant::now() >= deadline => self.timed_out(what, secs),
                Err(_) => {}
            }
        }
    }

    /// Apply events for `secs`.
    pub async fn pump(&mut self, secs: f64) {
        let end = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
        self.until("the pump", secs + 5.0, |_| {
            tokio::time::Instant::now() >= end
        })
        .await;
    }

    /// Wait for the first seed of `id` to end (it may already have).
    pub async fn seeded(&mut self, id: EndpointId) {
        self.until("the seed", 20.0, |l| l.seed_ends.contains(&id))
            .await;
    }

    /// Wait for a connection state of `id` that `pred` accepts.
    pub async fn state(&mut self, id: EndpointId, what: &str, pred: fn(&ConnectionState) -> bool) {
        self.until_event(what, 10.0, |_, ev| {
            matches!(ev, SourceEvent::Connection { endpoint, state, .. } if *endpoint == id && pred(state))
        })
        .await;
    }

    /// Events counted for `id` so far.
    pub fn events(&self, id: EndpointId) -> u64 {
        self.model.endpoint(id).map_or(0, |e| e.events)
    }

    pub fn snapshot(&self) -> Snapshot {
        self.check();
        output::snapshot(&self.model, now())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
