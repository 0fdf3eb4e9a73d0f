//! Per-second rate history of a group (a realm), kept as a difference array: a report of
//! `bytes` over `[start, end)` adds `bytes/span` at `start` and subtracts it at `end`, O(1) per
//! report whatever its span; the rate in any second is the prefix sum up to it. A second that no
//! report covers has no data (a coverage count is kept the same way).

use super::Time;

/// Seconds of history kept (the longest zoom).
pub const RING_SECS: usize = 1800;

#[derive(Clone, Debug)]
pub struct RateRing {
    /// Differences of bytes/s and of coverage per absolute second, indexed `sec % RING_SECS`.
    rate: Vec<f32>,
    cover: Vec<i32>,
    /// Sum of the differences of every second before the ring's first second.
    base_rate: f64,
    base_cover: i64,
    /// The newest absolute second the ring holds (the ring covers `head - RING_SECS + 1 ..= head`).
    head: i64,
}

impl Default for RateRing {
    fn default() -> Self {
        RateRing {
            rate: vec![0.0; RING_SECS],
            cover: vec![0; RING_SECS],
            base_rate: 0.0,
            base_cover: 0,
            head: i64::MIN,
        }
    }
}

fn slot(sec: i64) -> usize {
    // Seconds are epoch seconds (positive): `%` is the remainder we want, and cheaper than
    // `rem_euclid`, which this is on every report (two rings, realm and listener, per report).
    if sec >= 0 {
        (sec % RING_SECS as i64) as usize
    } else {
        sec.rem_euclid(RING_SECS as i64) as usize
    }
}

/// `x.floor() as i64` without the libm call `floor` compiles to on baseline x86-64: a cast
/// truncates, which is the floor for the (positive) epoch seconds this sees.
fn floor_sec(x: f64) -> i64 {
    if x >= 0.0 { x as i64 } else { x.floor() as i64 }
}

impl RateRing {
    fn advance_to(&mut self, sec: i64) {
        if self.head == i64::MIN {
            self.head = sec;
            return;
        }
        if sec <= self.head {
            return;
        }
        // Fold the seconds that fall out of the ring into the base, then clear them.
        let steps = (sec - self.head).min(RING_SECS as i64);
        for s in (self.head + 1)..=(self.head + steps) {
            let i = slot(s);
            self.base_rate += f64::from(self.rate[i]);
            self.base_cover += i64::from(self.cover[i]);
            self.rate[i] = 0.0;
            self.cover[i] = 0;
        }
        self.head = sec;
    }

    fn add_at(&mut self, sec: i64, rate: f64, cover: i32) {
        if sec > self.head {
            // Not reached yet: lands when the ring advances past it.
            self.advance_to(sec);
        }
        if sec <= self.head - RING_SECS as i64 {
            self.base_rate += rate;
            self.base_cover += i64::from(cover);
        } else {
            let i = slot(sec);
            self.rate[i] += rate as f32;
            self.cover[i] += cover;
        }
    }

    /// A report of `bytes` over `(end - span, end]`.
    pub fn add(&mut self, end: Time, span: f64, bytes: u64) {
        if span.is_nan() || span <= 0.0 || !end.is_finite() {
            return;
        }
        let (start_sec, end_sec) = (floor_sec(end - span), floor_sec(end) + 1);
        let rate = bytes as f64 / (end_sec - start_sec) as f64;
        self.advance_to(end_sec);
        self.add_at(start_sec, rate, 1);
        self.add_at(end_sec, -rate, -1);
    }

    /// Bytes/s in `n` buckets of `bucket_secs` ending at `now`; `None` where nothing reported.
    pub fn buckets(&self, now: Time, n: usize, bucket_secs: f64) -> Vec<Option<f64>> {
        let mut out = vec![None; n];
        if self.head == i64::MIN || n == 0 || bucket_secs.is_nan() || bucket_secs <= 0.0 {
            return out;
        }
        let window_start = now - n as f64 * bucket_secs;
        let (first, last) = (window_start.floor() as i64, now.ceil() as i64);
        let ring_first = self.head - RING_SECS as i64 + 1;
        // Prefix sums up to the second before the window.
        let (mut rate, mut cover) = (self.base_rate, self.base_cover);
        for s in ring_first..first.min(self.head + 1) {
            rate += f64::from(self.rate[slot(s)]);
            cover += i64::from(self.cover[slot(s)]);
        }
        for s in first..last {
            if s >= ring_first && s <= self.head {
                rate += f64::from(self.rate[slot(s)]);
                cover += i64::from(self.cover[slot(s)]);
            }
            if s < ring_first || cover <= 0 {
                continue;
            }
            // Second [s, s+1) overlaps buckets; add its share to each.
            let (lo, hi) = ((s as f64).max(window_start), ((s + 1) as f64).min(now));
            let mut t = lo;
            while t < hi {
                let i = (((t - window_start) / bucket_secs) as usize).min(n - 1);
                let bucket_end = (window_start + (i + 1) as f64 * bucket_secs).min(hi);
                let overlap = (bucket_end - t).max(0.0);
                let slot = &mut out[i];
                *slot = Some(slot.unwrap_or(0.0) + rate.max(0.0) * overlap / bucket_secs);
                if bucket_end <= t {
                    break;
                }
                t = bucket_end;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_and_sums() {
        let mut r = RateRing::default();
        // 1000 B over (100, 110] and 2000 B over (105, 110]: 100 B/s then 500 B/s.
        r.add(110.0, 10.0, 1000);
        r.add(110.0, 5.0, 2000);
        let b = r.buckets(113.0, 14, 1.0);
        // buckets are the seconds 99..=112
        assert_eq!(b[0], None);
        assert!((b[2].unwrap() - 1000.0 / 11.0).abs() < 1e-3, "{b:?}");
        assert!(
            (b[8].unwrap() - (1000.0 / 11.0 + 2000.0 / 6.0)).abs() < 1e-2,
            "{b:?}"
        );
        assert_eq!(b[13], None, "after the reports: no data, not zero");
        // Half-second buckets: each second shows in two buckets with the same rate.
        let b = r.buckets(103.0, 4, 0.5);
        assert!(
            b.iter()
                .all(|v| v.is_some_and(|x| (x - 1000.0 / 11.0).abs() < 1e-3)),
            "{b:?}"
        );
    }

    #[test]
    fn old_data_folds_into_the_base() {
        let mut r = RateRing::default();
        r.add(10.0, 5.0, 500);
        // A report covering a long stretch far later: the ring moved on.
        r.add(5000.0, 4000.0, 4_000_000);
        let b = r.buckets(5001.0, 10, 1.0);
        assert!(
            b.iter()
                .all(|v| v.is_some_and(|x| (x - 4_000_000.0 / 4001.0).abs() < 1.0)),
            "{b:?}"
        );
    }
}
