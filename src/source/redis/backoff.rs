//! Capped exponential backoff with jitter, between reconnection attempts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Capped exponential backoff with jitter.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    /// ± this fraction of the delay, at random.
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(5),
            jitter: 0.2,
        }
    }
}

impl Backoff {
    /// The delay before attempt `failures` (1 = after the first failure). `random` in [0, 1).
    pub fn delay(&self, failures: u32, random: f64) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let base = self
            .initial
            .saturating_mul(1u32 << exp.min(20))
            .min(self.max)
            .as_secs_f64();
        let factor = 1.0 + self.jitter * (2.0 * random - 1.0);
        Duration::from_secs_f64((base * factor).max(0.0))
    }
}

/// A tiny xorshift: jitter needs no cryptography, nor a dependency.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64);
        Rng((nanos ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }
    pub(super) fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_and_jittered() {
        let b = Backoff::default();
        assert_eq!(b.delay(1, 0.5), Duration::from_millis(250));
        assert_eq!(b.delay(2, 0.5), Duration::from_millis(500));
        assert_eq!(b.delay(100, 0.5), Duration::from_secs(5));
        assert!(b.delay(100, 0.0) >= Duration::from_secs(4));
        assert!(b.delay(100, 0.999) <= Duration::from_secs(6));
        let mut r = Rng::new(7);
        for _ in 0..1000 {
            let x = r.next();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
