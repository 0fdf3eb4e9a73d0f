//! A compact copy of what every frame reads of every allocation: phase, expiry, user, transport,
//! listener, endpoint, collision flag, and per leg the sums and the last report. 128 bytes (two cache lines) instead of
//! the allocation's ~420.
//!
//! Why: a frame walks all allocations (header totals, user and realm aggregates, sort keys and
//! most filter terms). At 100k allocations that walk is bound by memory bandwidth, so its cost
//! is the bytes it reads. The allocation stays the source of truth: the model rewrites a slot's
//! entry after every change to that allocation, and [`super::Model::check_hot`] verifies the
//! copy (the tests call it after every capture, the demo and random event sequences).

use super::allocation::{Phase, state_at};
use super::{Allocation, Atom, LegStats, Rate, Report, State, Time};
use crate::coturn::{Counters, Leg};

/// One allocation slot's hot fields.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
pub struct Hot {
    /// Sum of the deltas of each leg (client, peer).
    pub sum: [Counters; 2],
    /// Time of the last report of each leg; NaN before the first.
    last_report: [f64; 2],
    /// NaN when unknown.
    expires_at: f64,
    /// Of each leg's last report: the exact span in ms (0: unknown, no rate), bytes received,
    /// bytes sent.
    last: [[u32; 3]; 2],
    pub user: u32,
    /// Atom index of the transport (0: none).
    transport: u16,
    /// Atom index of the local (listener) address (0: none).
    local: u16,
    /// Character classes of the remote address: a filter skips reading addresses that cannot
    /// contain its text.
    pub remote_chars: u32,
    pub endpoint: u16,
    /// `None`: the slot is free.
    phase: Option<Phase>,
    pub collision: bool,
}

/// A free slot.
pub const EMPTY: Hot = Hot {
    sum: [Counters {
        rcvp: 0,
        rcvb: 0,
        sentp: 0,
        sentb: 0,
    }; 2],
    last_report: [f64::NAN; 2],
    expires_at: f64::NAN,
    last: [[0; 3]; 2],
    user: 0,
    transport: 0,
    local: 0,
    remote_chars: 0,
    endpoint: 0,
    phase: None,
    collision: false,
};

fn leg_index(leg: Leg) -> usize {
    usize::from(leg == Leg::Peer)
}

/// Atoms are capped at `MAX_ATOMS` (4096), well inside a u16.
fn atom_u16(a: Option<Atom>) -> u16 {
    a.map_or(0, |t| u16::try_from(t.index()).unwrap_or(0))
}

fn last_of(l: &LegStats) -> [u32; 3] {
    l.last.map_or([0; 3], |r| [r.span_ms, r.rcvb, r.sentb])
}

impl Hot {
    pub(super) fn of(a: &Allocation) -> Hot {
        Hot {
            sum: [a.client.sum, a.peer.sum],
            last_report: [
                a.client.last_report.unwrap_or(f64::NAN),
                a.peer.last_report.unwrap_or(f64::NAN),
            ],
            expires_at: a.expires_at.unwrap_or(f64::NAN),
            last: [last_of(&a.client), last_of(&a.peer)],
            user: a.user,
            // Atoms are capped at `MAX_ATOMS` (4096), well inside a u16.
            transport: atom_u16(a.transport),
            local: atom_u16(a.local),
            remote_chars: a.remote_chars,
            endpoint: a.endpoint.0,
            phase: Some(a.phase),
            collision: a.collision,
        }
    }

    /// Copy one leg after a traffic report (the rest is unchanged by one).
    pub(super) fn set_leg(&mut self, leg: Leg, l: &LegStats) {
        let i = leg_index(leg);
        self.sum[i] = l.sum;
        self.last_report[i] = l.last_report.unwrap_or(f64::NAN);
        self.last[i] = last_of(l);
    }

    /// `None` for a free slot or a traffic-only session (not an allocation): as
    /// [`Allocation::state`].
    pub fn state(&self, now: Time) -> Option<State> {
        let expires_at = (!self.expires_at.is_nan()).then_some(self.expires_at);
        state_at(self.phase?, expires_at, now)
    }

    /// As [`super::LegStats::rate_at`].
    pub fn rate(&self, leg: Leg, now: Time) -> Option<Rate> {
        let i = leg_index(leg);
        let at = self.last_report[i];
        if at.is_nan() {
            return None;
        }
        let [span_ms, rcvb, sentb] = self.last[i];
        Report {
            end: 0,
            span_ms,
            rcvb,
            sentb,
        }
        .rate_after(now - at)
    }

    /// As [`Allocation::lifetime_left`].
    pub fn lifetime_left(&self, now: Time) -> Option<f64> {
        (matches!(self.phase, Some(Phase::Live | Phase::Unconfirmed)) && !self.expires_at.is_nan())
            .then_some(self.expires_at - now)
    }

    /// The newest report of either leg, as [`super::view::last_report_time`].
    pub fn last_report(&self) -> Option<Time> {
        let [c, p] = self.last_report;
        match (c.is_nan(), p.is_nan()) {
            (true, true) => None,
            (false, true) => Some(c),
            (true, false) => Some(p),
            (false, false) => Some(c.max(p)),
        }
    }

    /// The shortest interval of either leg's last report, in seconds: how often it reports.
    pub fn report_span(&self) -> Option<f64> {
        self.last
            .iter()
            .map(|l| l[0])
            .filter(|&ms| ms > 0)
            .min()
            .map(|ms| f64::from(ms) / 1000.0)
    }

    pub fn leg_sum(&self, leg: Leg) -> &Counters {
        &self.sum[leg_index(leg)]
    }

    pub fn transport(&self) -> Option<Atom> {
        Atom::from_index(usize::from(self.transport))
    }

    /// The coturn listener the client reached (`local=` of its status).
    pub fn local(&self) -> Option<Atom> {
        Atom::from_index(usize::from(self.local))
    }

    /// The dense index of its listener atom (0: unknown), for per-listener tables.
    pub fn local_index(&self) -> u16 {
        self.local
    }

    /// Hot fields compare bit for bit (NaN included) in [`super::Model::check_hot`].
    pub(super) fn same_as(&self, other: &Hot) -> bool {
        let bits = |h: &Hot| {
            (
                h.last_report.map(f64::to_bits),
                h.expires_at.to_bits(),
                (h.sum, h.last, h.user, h.transport, h.endpoint, h.phase),
                (h.remote_chars, h.local, h.collision),
            )
        };
        bits(self) == bits(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cache_lines() {
        assert_eq!(std::mem::size_of::<Hot>(), 128);
        assert_eq!(std::mem::align_of::<Hot>(), 64);
    }

    /// Every event reads its allocation, prefetched whole: a line more is a miss more.
    #[test]
    fn an_allocation_spans_at_most_seven_cache_lines() {
        assert!(std::mem::size_of::<Option<Allocation>>() <= 7 * 64);
    }
}
