//! The scheduler: a queue of timed events, run in order up to the instant the caller passes in.
//! What each event does is in `lifecycle`; nothing here reads a clock.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use super::data::DemoData;
use super::plan::{AllocPlan, plan_client};
use super::rng::Rng;
use super::{Demo, DemoConfig, DemoMessage};

#[derive(Clone, Copy, Debug)]
pub(super) enum Ev {
    Arrival,
    PreAuth,
    Allocate(u64),
    /// `refreshed lifetime=600`; the first one starts the traffic.
    Refresh(u64),
    Report(u64, u32),
    FlowChange(u64),
    End(u64),
    Delete(u64),
    /// The server crashes and restarts.
    Restart,
    /// The n-th trouble episode (see `trouble`).
    Trouble(u32),
}

#[derive(Debug)]
pub(super) struct Scheduled {
    at: f64,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    /// Reversed: `BinaryHeap` is a max-heap and we want the earliest (then the first scheduled).
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.total_cmp(&self.at).then(other.seq.cmp(&self.seq))
    }
}

impl Demo {
    /// A demo with the bundled realms and users. The simulated server starts at
    /// `start - config.warmup` (epoch seconds); [`Demo::prewarm`] returns what it published
    /// until `start`.
    pub fn new(config: DemoConfig, start: f64) -> Self {
        Demo::with_data(config, DemoData::bundled(), start)
    }

    pub fn with_data(config: DemoConfig, data: DemoData, start: f64) -> Self {
        let origin = start - config.warmup.max(0.0);
        // The mean open time per client, from the same plans the simulation draws (a fixed
        // seed: it is a property of the data, not of the run).
        let mut probe = Rng::new(0x0dec_afba_d5ee_d5ed);
        let samples = 2000;
        let open: f64 = (0..samples)
            .map(|_| {
                plan_client(&mut probe, &data, origin)
                    .allocs
                    .iter()
                    .map(AllocPlan::open_time)
                    .sum::<f64>()
            })
            .sum();
        let threads = config.relay_threads.clamp(1, 1000) as usize;
        let mut demo = Demo {
            rng: Rng::new(config.seed),
            config,
            data,
            start,
            origin,
            now: origin,
            queue: BinaryHeap::new(),
            seq: 0,
            allocs: FxHashMap::default(),
            next_key: 0,
            counters: vec![0; threads],
            open_per_client: (open / f64::from(samples)).max(1.0),
            out: Vec::new(),
        };
        demo.schedule(origin, Ev::Arrival);
        if demo.config.restart_after > 0.0 {
            let first = start + demo.config.restart_after;
            demo.schedule(first, Ev::Restart);
        }
        if demo.config.trouble_every > 0.0 {
            demo.schedule(origin + 20.0, Ev::Trouble(0));
        }
        if demo.config.preauth_per_minute > 0.0 {
            let gap = demo.rng.exp(60.0 / demo.config.preauth_per_minute);
            demo.schedule(origin + gap, Ev::PreAuth);
        }
        demo
    }

    /// The `start` given to [`Demo::new`].
    pub fn start(&self) -> f64 {
        self.start
    }

    /// Simulated time: the `until` of the last [`Demo::advance`].
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Everything published during the warm-up, i.e. until `start`, in time order. Apply it at
    /// once so the first screen is already full. The same as `advance(start)`.
    pub fn prewarm(&mut self) -> Vec<DemoMessage> {
        self.advance(self.start)
    }

    /// When the next message (or internal step) is due, for a real-time driver to sleep until.
    pub fn next_due(&self) -> Option<f64> {
        self.queue.peek().map(|s| s.at)
    }

    /// Allocations whose status key exists (allocated, live, released or vanished and not yet
    /// deleted).
    pub fn open_allocations(&self) -> usize {
        self.allocs.len()
    }

    /// The population the arrival rate aims at, at `t`.
    pub fn target_at(&self, t: f64) -> f64 {
        let base = f64::from(self.config.target_allocations);
        let period = self.config.swell_period.max(1.0);
        let phase = std::f64::consts::TAU * (t - self.origin) / period;
        base * (1.0 + self.config.swell.clamp(0.0, 0.9) * phase.sin())
    }

    /// All messages due up to and including `until` (epoch seconds), in time order.
    pub fn advance(&mut self, until: f64) -> Vec<DemoMessage> {
        while let Some(head) = self.queue.peek() {
            if head.at > until {
                break;
            }
            let Some(Scheduled { at, ev, .. }) = self.queue.pop() else {
                break;
            };
            self.now = self.now.max(at);
            self.handle(at, ev);
        }
        self.now = self.now.max(until);
        std::mem::take(&mut self.out)
    }

    pub(super) fn schedule(&mut self, at: f64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Scheduled {
            at,
            seq: self.seq,
            ev,
        });
    }

    fn handle(&mut self, at: f64, ev: Ev) {
        match ev {
            Ev::Arrival => self.arrival(at),
            Ev::PreAuth => self.preauth(at),
            Ev::Allocate(key) => self.allocate(at, key),
            Ev::Refresh(key) => self.refresh(at, key),
            Ev::Report(key, generation) => self.report(at, key, generation),
            Ev::FlowChange(key) => self.flow_change(at, key),
            Ev::End(key) => self.end(at, key),
            Ev::Delete(key) => self.delete(at, key),
            Ev::Restart => self.restart(at),
            Ev::Trouble(n) => self.trouble(at, n),
        }
    }
}
