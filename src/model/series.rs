//! Sparse traffic history of one leg of one allocation.
//!
//! coturn reports traffic every ~4096 packets, so a series is a short list of reports, each a
//! byte delta over an interval. It is stored as reports (16 bytes each) and turned into per-second
//! buckets only when drawn, which keeps a 10-minute history of an idle allocation at zero cost.

use std::collections::VecDeque;

/// Model time in deciseconds since the model's base instant: compact and monotonic enough for
/// 1 s history buckets, and lasts 13 years in a `u32`.
pub type Ds = u32;

/// One traffic report: the bytes moved over `(end - span, end]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Report {
    /// Coarse (0.1 s) end, for windows and buckets.
    pub end: Ds,
    /// Exact length of the interval in milliseconds, for rates: a heavy hitter reports every
    /// few hundred milliseconds, where 0.1 s rounding would be a 10 % error. 0 when the start of
    /// the interval is unknown (first report of a seeded allocation, or the first report after a
    /// gap in the subscription): such a report adds to totals but no rate is computed from it.
    pub span_ms: u32,
    pub rcvb: u32,
    pub sentb: u32,
}

impl Report {
    pub fn start(&self) -> Option<Ds> {
        (self.span_ms > 0).then(|| self.end.saturating_sub(self.span_ms.div_ceil(100)))
    }
    pub fn span_secs(&self) -> f64 {
        f64::from(self.span_ms) / 1000.0
    }
    pub fn bytes(&self) -> u64 {
        u64::from(self.rcvb) + u64::from(self.sentb)
    }

    /// The best estimate of the rate `since` seconds after this report (the last one). coturn
    /// reports once per ~4096 packets: until the next report is due (one interval) this rate
    /// stands; once it is overdue, less than one report's worth can have moved during the
    /// silence, so the rate is at most that over the silence. The estimate decays instead of
    /// freezing a stale rate on screen. `None` when the interval is unknown.
    pub fn rate_after(&self, since: f64) -> Option<Rate> {
        if self.span_ms == 0 {
            return None;
        }
        let secs = self.span_secs().max(since);
        Some(Rate {
            rx: f64::from(self.rcvb) / secs,
            tx: f64::from(self.sentb) / secs,
        })
    }
}

/// Bytes per second in each direction, from the server's point of view.
#[derive(Clone, Copy, PartialEq, Debug, Default, serde::Serialize)]
pub struct Rate {
    pub rx: f64,
    pub tx: f64,
}

impl Rate {
    pub fn total(&self) -> f64 {
        self.rx + self.tx
    }
    pub fn add(&mut self, other: Rate) {
        self.rx += other.rx;
        self.tx += other.tx;
    }
}

/// At most this many reports are kept per leg. Past it, the two adjacent reports that together
/// cover the least time are merged (never the newest, which carries the current rate, and never
/// across a gap): recent history stays report-exact, older history gets coarser, and memory per
/// allocation is bounded whatever its traffic. 16 reports of a 10-minute window is finer than a
/// sparkline cell.
const MAX_REPORTS: usize = 16;

#[derive(Clone, Debug, Default)]
pub struct Series {
    reports: VecDeque<Report>,
}

impl Series {
    pub fn push(&mut self, report: Report, keep_after: Ds) {
        if self.reports.len() >= MAX_REPORTS {
            // Only a full series is trimmed: the cap already bounds memory, queries skip what is
            // outside the window, and reading the oldest report on every push is a cache miss.
            // The newest report is never dropped: it carries the rate.
            while self.reports.len() > 1 && self.reports.front().is_some_and(|r| r.end < keep_after)
            {
                self.reports.pop_front();
            }
            if self.reports.len() >= MAX_REPORTS {
                self.merge_one();
            }
        }
        if self.reports.len() == self.reports.capacity() {
            // Grow 4, 8, 16 exactly: doubling would leave half of a 32-slot buffer unused.
            let want = (self.reports.capacity() * 2).clamp(4, MAX_REPORTS);
            self.reports.reserve_exact(want - self.reports.len());
        }
        self.reports.push_back(report);
    }

    fn merge_one(&mut self) {
        let n = self.reports.len();
        let best = (0..n.saturating_sub(2))
            .filter(|&i| self.reports[i + 1].span_ms > 0)
            .min_by_key(|&i| {
                u64::from(self.reports[i].span_ms) + u64::from(self.reports[i + 1].span_ms)
            });
        let Some(i) = best else {
            // Only gaps to merge across: drop the oldest (its bytes stay in the totals).
            self.reports.pop_front();
            return;
        };
        let (a, b) = (self.reports[i], self.reports[i + 1]);
        let span_ms = if a.span_ms > 0 {
            a.span_ms.saturating_add(b.span_ms)
        } else {
            0
        };
        self.reports[i + 1] = Report {
            end: b.end,
            span_ms,
            rcvb: a.rcvb.saturating_add(b.rcvb),
            sentb: a.sentb.saturating_add(b.sentb),
        };
        self.reports.remove(i);
    }

    pub fn last(&self) -> Option<&Report> {
        self.reports.back()
    }

    pub fn reports(&self) -> impl DoubleEndedIterator<Item = &Report> + ExactSizeIterator {
        self.reports.iter()
    }

    pub fn heap_bytes(&self) -> usize {
        self.reports.capacity() * std::mem::size_of::<Report>()
    }

    /// Add this series, spread evenly over each report's interval, into `buckets` of
    /// `bucket_ds` each, the last one ending at `end`. A bucket no report covers stays `None`:
    /// "no data" is not "zero traffic".
    pub fn add_into(&self, buckets: &mut [Option<f64>], end: Ds, bucket_ds: Ds) {
        let n = buckets.len() as i64;
        if n == 0 || bucket_ds == 0 {
            return;
        }
        let bucket = i64::from(bucket_ds);
        // Signed: a window longer than the model's life starts before its time zero.
        let window_start = i64::from(end) - n * bucket;
        let mut previous_end: Option<i64> = None;
        for r in &self.reports {
            let prev = previous_end.replace(i64::from(r.end));
            let Some(start) = r.start() else { continue };
            // Consecutive reports tile time: start exactly where the previous one ended, so the
            // 0.1 s rounding of ends never counts a boundary twice (spikes) or leaves a hole.
            let start = match prev {
                Some(p) if (i64::from(start) - p).abs() <= 1 => p,
                _ => i64::from(start),
            };
            let stop = i64::from(r.end);
            if stop <= window_start || stop <= start {
                continue;
            }
            let per_ds = r.bytes() as f64 / (stop - start) as f64;
            let mut t = start.max(window_start);
            let stop = stop.min(i64::from(end));
            while t < stop {
                let i = (t - window_start) / bucket;
                let bucket_end = window_start + (i + 1) * bucket;
                let upto = bucket_end.min(stop);
                let Some(slot) = buckets.get_mut(i as usize) else {
                    break;
                };
                // bytes per second in the bucket
                *slot =
                    Some(slot.unwrap_or(0.0) + per_ds * (upto - t) as f64 * 10.0 / bucket as f64);
                t = upto;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `span` in deciseconds, like `end`, to keep the tests readable.
    fn rep(end: Ds, span: Ds, rcvb: u32, sentb: u32) -> Report {
        Report {
            end,
            span_ms: span * 100,
            rcvb,
            sentb,
        }
    }

    #[test]
    fn rates_and_decay() {
        let mut leg = crate::model::LegStats::default();
        assert_eq!(leg.rate_at(0.0), None, "no report yet: no rate");
        assert_eq!(
            rep(100, 0, 5000, 5000).rate_after(0.0),
            None,
            "unknown interval gives no rate"
        );
        let r = rep(200, 100, 1000, 3000);
        assert_eq!(
            r.rate_after(0.0),
            Some(Rate {
                rx: 100.0,
                tx: 300.0
            })
        );
        assert_eq!(
            r.rate_after(9.0),
            Some(Rate {
                rx: 100.0,
                tx: 300.0
            }),
            "next report not due yet"
        );
        // 40 s of silence after a 10 s interval: at most 1000 B over 40 s.
        assert_eq!(r.rate_after(40.0), Some(Rate { rx: 25.0, tx: 75.0 }));
        // A leg applies the same rule from the time of its last report.
        leg.last = Some(r);
        leg.last_report = Some(1000.0);
        assert_eq!(leg.rate_at(1040.0), Some(Rate { rx: 25.0, tx: 75.0 }));
    }

    #[test]
    fn a_full_series_drops_what_left_the_window_before_merging() {
        let mut s = Series::default();
        for i in 1..=MAX_REPORTS as u32 {
            s.push(rep(i * 10, 10, 1, 1), 0);
        }
        // Everything but the newest is outside the window: dropped, not merged.
        s.push(rep(1000, 10, 1, 1), 500);
        assert_eq!(
            s.reports().map(|r| r.end).collect::<Vec<_>>(),
            vec![MAX_REPORTS as u32 * 10, 1000]
        );
    }

    #[test]
    fn merge_keeps_bytes_coverage_and_the_newest_report() {
        let mut s = Series::default();
        for i in 1..=(MAX_REPORTS as u32 + 40) {
            s.push(rep(i * 10, 10, 7, 3), 0);
            assert!(s.reports.capacity() <= MAX_REPORTS);
        }
        assert_eq!(s.reports().len(), MAX_REPORTS);
        let total: u64 = s.reports().map(Report::bytes).sum();
        assert_eq!(total, (MAX_REPORTS as u64 + 40) * 10);
        // Contiguous coverage from the first report's start to the last end.
        let spans: u64 = s.reports().map(|r| u64::from(r.span_ms)).sum();
        assert_eq!(spans, (MAX_REPORTS as u64 + 40) * 1000);
        assert_eq!(
            s.last(),
            Some(&rep((MAX_REPORTS as u32 + 40) * 10, 10, 7, 3))
        );
    }

    #[test]
    fn merge_never_spans_a_gap() {
        let mut s = Series::default();
        for i in 1..=(MAX_REPORTS as u32 + 5) {
            // every report after the first starts after a gap
            s.push(rep(i * 10, if i == 1 { 10 } else { 0 }, 1, 1), 0);
        }
        assert_eq!(s.reports().len(), MAX_REPORTS);
        assert!(s.reports().skip(1).all(|r| r.span_ms == 0));
    }

    #[test]
    fn buckets_spread_and_leave_gaps() {
        let mut s = Series::default();
        // 2000 bytes over 2 s ending at t=5 s, i.e. [3 s, 5 s): 1000 B/s.
        s.push(rep(50, 20, 1500, 500), 0);
        let mut b = vec![None; 6];
        // buckets of 1 s ending at t=6 s: [0,1) ... [5,6)
        s.add_into(&mut b, 60, 10);
        assert_eq!(b, vec![None, None, None, Some(1000.0), Some(1000.0), None]);
        // A window longer than the series' whole life: data still lands at the right end.
        let mut b = vec![None; 10];
        s.add_into(&mut b, 60, 100);
        assert_eq!(b[9], Some(2000.0 / 10.0));
        assert!(b[..9].iter().all(Option::is_none));
        // unknown-span reports are not drawn
        let mut s = Series::default();
        s.push(rep(50, 0, 1500, 500), 0);
        let mut b = vec![None; 6];
        s.add_into(&mut b, 60, 10);
        assert!(b.iter().all(Option::is_none));
    }

    #[test]
    fn consecutive_reports_tile_without_spikes() {
        // Two 1 s reports whose rounded start overlaps the previous end by 0.1 s.
        let mut s = Series::default();
        s.push(
            Report {
                end: 10,
                span_ms: 1000,
                rcvb: 1000,
                sentb: 0,
            },
            0,
        );
        s.push(
            Report {
                end: 20,
                span_ms: 1040,
                rcvb: 1000,
                sentb: 0,
            },
            0,
        );
        let mut b = vec![None; 20];
        s.add_into(&mut b, 20, 1);
        let per_bucket: Vec<f64> = b.iter().flatten().copied().collect();
        assert_eq!(per_bucket.len(), 20);
        assert!(
            per_bucket.iter().all(|v| (v - 1000.0).abs() < 1e-6),
            "{per_bucket:?}"
        );
    }
}
