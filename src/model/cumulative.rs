//! Counters that only grow, for the metrics exporter: what ended and what was evicted is kept
//! here, so `turntop_traffic_bytes_total` and friends stay monotonic when retention frees rows.
//! Nothing on the per-event hot path touches it: traffic moves here only when a row is evicted.

use rustc_hash::FxHashMap;

use super::{Allocation, EndReason, EndpointId, Model};
use crate::coturn::Counters;

/// The ever-growing totals of the model.
#[derive(Clone, Debug, Default)]
pub struct Cumulative {
    /// Allocations seen starting (a `new` status).
    pub started: u64,
    /// Allocations ended, by [`EndReason`] (in `EndReason::ALL` order).
    pub ended: [u64; 3],
    /// Ended allocations whose `total_traffic` differed from the sum of the deltas seen.
    pub totals_mismatch: u64,
    /// Client and peer traffic of evicted rows, by endpoint and realm name (`None`: no realm).
    /// Realms are few (a server's configuration), so this stays small.
    pub evicted: FxHashMap<(EndpointId, Option<Box<str>>), [Counters; 2]>,
}

impl EndReason {
    pub const ALL: [EndReason; 3] = [
        EndReason::Deleted,
        EndReason::Replaced,
        EndReason::GoneFromRedis,
    ];

    fn index(self) -> usize {
        match self {
            EndReason::Deleted => 0,
            EndReason::Replaced => 1,
            EndReason::GoneFromRedis => 2,
        }
    }
}

impl Cumulative {
    pub(super) fn ended(&mut self, reason: EndReason) {
        self.ended[reason.index()] += 1;
    }

    pub fn ended_by(&self, reason: EndReason) -> u64 {
        self.ended[reason.index()]
    }
}

impl Model {
    pub fn cumulative(&self) -> &Cumulative {
        &self.cumulative
    }

    /// Keep an evicted row's traffic (it had realm `realm`).
    pub(super) fn keep_evicted_traffic(&mut self, a: &Allocation, realm: Option<Box<str>>) {
        if a.client.sum == Counters::default() && a.peer.sum == Counters::default() {
            return;
        }
        let sums = self
            .cumulative
            .evicted
            .entry((a.endpoint, realm))
            .or_default();
        sums[0].add(&a.client.sum);
        sums[1].add(&a.peer.sum);
    }
}
