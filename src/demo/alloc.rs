//! One simulated allocation as the relay counts it: packet and byte counters accrued from its
//! flow, taken out in reports of exactly [`REPORT_PACKETS`] packets, and its totals.

use super::REPORT_PACKETS;
use super::plan::{AllocPlan, Flow};
use crate::coturn::{AllocationId, Counters};

/// Control messages (refresh, permission, channel bind, their answers) per second each way on
/// the client leg.
pub(super) const CONTROL_PPS: f64 = 0.02;
pub(super) const CONTROL_SIZE: f64 = 100.0;
/// ChannelData header between client and relay.
const CHANNEL_DATA_OVERHEAD: f64 = 4.0;

// counter index: client rcv, client sent, peer rcv, peer sent
pub(super) const C_RCV: usize = 0;
pub(super) const C_SENT: usize = 1;
const P_RCV: usize = 2;
const P_SENT: usize = 3;

/// Per-counter packet rates and mean sizes of a flow, as the relay counts them.
fn counter_rates(f: &Flow) -> ([f64; 4], [f64; 4]) {
    let mix = |pps: f64, size: f64| {
        let total = pps + CONTROL_PPS;
        let bytes = pps * (size + CHANNEL_DATA_OVERHEAD) + CONTROL_PPS * CONTROL_SIZE;
        (total, bytes / total)
    };
    let (crp, crs) = mix(f.up_pps, f.up_size);
    let (csp, css) = mix(f.down_pps, f.down_size);
    (
        [crp, csp, f.down_pps, f.up_pps],
        [crs, css, f.down_size, f.up_size],
    )
}

/// Split `acc` into integers that add up to exactly `target` (largest remainder).
pub(super) fn integerize(acc: &[f64; 4], target: u64) -> [u64; 4] {
    let sum: f64 = acc.iter().map(|a| a.max(0.0)).sum();
    if sum <= 0.0 {
        let mut out = [0; 4];
        out[0] = target;
        return out;
    }
    let scaled: Vec<f64> = acc
        .iter()
        .map(|a| a.max(0.0) * target as f64 / sum)
        .collect();
    let mut out = [0u64; 4];
    for (o, s) in out.iter_mut().zip(&scaled) {
        *o = s.floor() as u64;
    }
    let mut left = target.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..4).collect();
    order.sort_by(|&a, &b| {
        (scaled[b] - scaled[b].floor())
            .total_cmp(&(scaled[a] - scaled[a].floor()))
            .then(a.cmp(&b))
    });
    for i in order.into_iter().cycle() {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// `new` published, traffic not started yet.
    Allocated,
    Active,
    Released,
    Vanished,
}

#[derive(Debug)]
pub(super) struct Alloc {
    pub(super) id: AllocationId,
    pub(super) realm: Option<String>,
    pub(super) user: String,
    pub(super) status_fields: String,
    pub(super) plan: AllocPlan,
    pub(super) phase: Phase,
    /// When it was allocated (its plan's duration runs from there).
    pub(super) started: f64,
    /// Granted by the last refresh, and when.
    pub(super) lifetime: u32,
    pub(super) last_refresh: f64,
    pub(super) flow: Flow,
    pub(super) rates: [f64; 4],
    pub(super) sizes: [f64; 4],
    /// Packets and bytes since the last report, not yet published.
    pub(super) acc: [f64; 4],
    pub(super) acc_bytes: [f64; 4],
    pub(super) accrued_to: f64,
    /// Invalidates a scheduled report when the flow changes.
    pub(super) report_gen: u32,
    pub(super) total: [Counters; 2],
    /// What goes wrong with it on purpose (see `trouble`).
    pub(super) trouble: super::trouble::Trouble,
}

impl Alloc {
    pub(super) fn accrue(&mut self, t: f64) {
        let dt = (t - self.accrued_to).max(0.0);
        for i in 0..4 {
            self.acc[i] += self.rates[i] * dt;
            self.acc_bytes[i] += self.rates[i] * self.sizes[i] * dt;
        }
        self.accrued_to = self.accrued_to.max(t);
    }

    pub(super) fn set_flow(&mut self, flow: Flow) {
        self.flow = flow;
        let (rates, sizes) = counter_rates(&flow);
        self.rates = rates;
        self.sizes = sizes;
        self.report_gen = self.report_gen.wrapping_add(1);
    }

    pub(super) fn stop_flow(&mut self) {
        self.rates = [0.0; 4];
        self.report_gen = self.report_gen.wrapping_add(1);
    }

    /// When the pending packets reach [`REPORT_PACKETS`] at the current rates.
    pub(super) fn next_report(&self, now: f64) -> Option<f64> {
        let rate: f64 = self.rates.iter().sum();
        if rate <= 0.0 {
            return None;
        }
        let left = REPORT_PACKETS as f64 - self.acc.iter().sum::<f64>();
        Some(now + (left / rate).max(0.0))
    }

    /// Take `packets[i]` packets (and their share of the bytes) out of the pending counters.
    pub(super) fn take(&mut self, packets: [u64; 4]) -> [Counters; 2] {
        let mut bytes = [0u64; 4];
        for i in 0..4 {
            let p = packets[i] as f64;
            if packets[i] > 0 && self.acc[i] > 0.0 {
                let b = (self.acc_bytes[i] * (p / self.acc[i]).min(1.0)).round();
                bytes[i] = (b as u64).max(packets[i] * 36);
            } else if packets[i] > 0 {
                bytes[i] = (p * self.sizes[i].max(36.0)).round() as u64;
            }
            self.acc[i] = (self.acc[i] - p).max(0.0);
            self.acc_bytes[i] = (self.acc_bytes[i] - bytes[i] as f64).max(0.0);
        }
        let out = [
            Counters {
                rcvp: packets[C_RCV],
                rcvb: bytes[C_RCV],
                sentp: packets[C_SENT],
                sentb: bytes[C_SENT],
            },
            Counters {
                rcvp: packets[P_RCV],
                rcvb: bytes[P_RCV],
                sentp: packets[P_SENT],
                sentb: bytes[P_SENT],
            },
        ];
        self.total[0].add(&out[0]);
        self.total[1].add(&out[1]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integerize_hits_the_target_exactly() {
        for acc in [
            [1029.4, 1029.2, 1018.7, 1018.7],
            [0.0, 0.0, 0.0, 0.0],
            [4096.0, 0.0, 0.0, 0.0],
            [1.0, 1.0, 1.0, 1.0],
            [0.33, 0.33, 0.33, 0.01],
        ] {
            assert_eq!(integerize(&acc, REPORT_PACKETS).iter().sum::<u64>(), 4096);
        }
        assert_eq!(
            integerize(&[1029.4, 1029.2, 1018.7, 1018.7], 4096),
            [1029, 1029, 1019, 1019]
        );
    }

    #[test]
    fn audio_reports_about_every_20_seconds() {
        // 50 pps each way on both legs: 200 packets/s, 4096 packets in ~20 s (the doc's figure).
        let (rates, _) = counter_rates(&Flow {
            up_pps: 50.0,
            up_size: 120.0,
            down_pps: 50.0,
            down_size: 120.0,
        });
        let every = REPORT_PACKETS as f64 / rates.iter().sum::<f64>();
        assert!((20.0..21.0).contains(&every), "{every}");
    }
}
