//! Time: [`now`], the wall clock in epoch seconds (live events are stamped with it, the loop and
//! `--once` read it), and [`Clock`], where the loop's "now" comes from (the wall, or a replay's
//! playhead). The model and the drawing read no clock: the time is passed in.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::{Model, Time};
use crate::source::replay::{Playhead, Speed};

/// Seconds since the Unix epoch, now.
pub fn now() -> Time {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Where "now" comes from.
#[derive(Clone, Debug)]
pub enum Clock {
    /// The wall clock (live Redis, demo).
    Wall,
    /// Captured time advancing at the replay speed from the first record, pausable: the same
    /// [`Playhead`] the replay task keeps, so the header clock and the messages stop together.
    Replay(Playhead),
}

impl Clock {
    pub fn replay(start: Time, speed: Speed) -> Clock {
        Clock::Replay(Playhead::new(speed, tokio::time::Instant::now(), start))
    }

    pub fn now(&self, model: &Model) -> Time {
        match self {
            Clock::Wall => now(),
            Clock::Replay(head) => {
                let last = model.last_event().unwrap_or(Time::MIN);
                head.now(tokio::time::Instant::now(), last)
            }
        }
    }

    /// Pause or resume a replay clock (a no-op on the wall clock).
    pub fn set_paused(&mut self, paused: bool, model: &Model) {
        if let Clock::Replay(head) = self {
            let last = model.last_event().unwrap_or(Time::MIN);
            let at = tokio::time::Instant::now();
            if paused {
                head.pause(at, last);
            } else {
                head.resume(at, last);
            }
        }
    }
}
