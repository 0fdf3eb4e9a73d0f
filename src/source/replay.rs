//! Replays a capture file into the same event stream the live source produces, keeping the
//! captured timestamps: at real speed, N times faster, or as fast as the consumer takes them.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::SourceEvent;
use crate::capture::Record;
use crate::model::{EndpointId, Model, Time};
use crate::record::KeyPass;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// Multiply the captured gaps by `1 / factor` (1.0 = real time).
    Factor(f64),
    /// No waiting at all.
    Max,
}

impl std::str::FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        // "10x" reads naturally as a speed
        match s.strip_suffix(['x', 'X']).unwrap_or(s).parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 => Ok(Speed::Factor(f)),
            _ => Err(format!(
                "speed must be a positive number (e.g. 1, 10, 0.5) or 'max', not '{s}'"
            )),
        }
    }
}

impl Speed {
    /// Wall-clock delay from the first record to a record `captured_offset` seconds later.
    pub fn delay(self, captured_offset: f64) -> Duration {
        match self {
            Speed::Max => Duration::ZERO,
            Speed::Factor(f) => Duration::from_secs_f64((captured_offset / f).max(0.0)),
        }
    }
}

pub fn event_of(endpoint: EndpointId, r: &Record) -> SourceEvent {
    SourceEvent::Message {
        endpoint,
        at: r.epoch,
        channel: r.channel.clone(),
        payload: r.message.clone(),
    }
}

/// Apply a whole capture at once. Returns the capture time of the last record: the instant at
/// which the resulting state is true.
pub fn apply_all(model: &mut Model, endpoint: EndpointId, records: &[Record]) -> f64 {
    apply_all_with_passes(model, endpoint, records, &[])
}

/// [`apply_all`], with the recording's passes over the status keys applied where they
/// happened (see [`crate::record::read_passes`]).
pub fn apply_all_with_passes(
    model: &mut Model,
    endpoint: EndpointId,
    records: &[Record],
    passes: &[KeyPass],
) -> f64 {
    let mut last_evict = records.first().map_or(0.0, |r| r.epoch);
    let mut passes = passes.iter().peekable();
    for (i, r) in records.iter().enumerate() {
        while let Some(pass) = passes.next_if(|p| p.at_message <= i) {
            pass.apply_to(model, endpoint);
        }
        // Evict on the captured clock, once a captured second, as the live loop does on its tick.
        if r.epoch - last_evict >= 1.0 {
            model.evict(r.epoch);
            last_evict = r.epoch;
        }
        model.apply_raw(endpoint, r.epoch, &r.channel, &r.message);
    }
    let mut end = records.last().map_or(0.0, |r| r.epoch);
    for pass in passes {
        pass.apply_to(model, endpoint);
        end = end.max(pass.end);
    }
    model.tick(end);
    end
}

/// Send the records into `tx` on the captured schedule. Ends with [`SourceEvent::Finished`].
/// Stops early if the receiver is gone.
pub async fn run(
    records: Vec<Record>,
    endpoint: EndpointId,
    speed: Speed,
    tx: mpsc::UnboundedSender<SourceEvent>,
) {
    let (_keep, control) = watch::channel(Control::default());
    run_controlled(records, Vec::new(), endpoint, speed, tx, control).await;
}

/// [`run`], obeying pause and step requests from `control`, with the recording's passes over
/// the status keys sent where they happened.
pub async fn run_controlled(
    records: Vec<Record>,
    passes: Vec<KeyPass>,
    endpoint: EndpointId,
    speed: Speed,
    tx: mpsc::UnboundedSender<SourceEvent>,
    mut control: watch::Receiver<Control>,
) {
    let Some(first) = records.first().map(|r| r.epoch) else {
        return;
    };
    let mut head = Playhead::new(speed, Instant::now(), first);
    let mut steps_done = control.borrow().steps;
    let mut control_open = true;
    let mut last = first;
    let mut passes = passes.into_iter().peekable();
    for (i, r) in records.iter().enumerate() {
        while let Some(pass) = passes.next_if(|p| p.at_message <= i) {
            for ev in pass.events(endpoint) {
                if tx.send(ev).is_err() {
                    return;
                }
            }
        }
        loop {
            // Without a controller any more, play on.
            let c = if control_open {
                *control.borrow_and_update()
            } else {
                Control::default()
            };
            if c.paused {
                head.pause(Instant::now(), last);
                if c.steps > steps_done {
                    steps_done += 1;
                    break;
                }
            } else {
                head.resume(Instant::now(), last);
                steps_done = c.steps;
                let due = head.due(r.epoch);
                if due <= Instant::now() {
                    break;
                }
            }
            // Wait for the message to be due, or for a new request (pause, step, resume).
            let due = (!c.paused).then(|| head.due(r.epoch));
            tokio::select! {
                _ = async {
                    match due {
                        Some(due) => tokio::time::sleep_until(due).await,
                        None => std::future::pending().await,
                    }
                } => break,
                changed = control.changed(), if control_open => {
                    control_open = changed.is_ok();
                }
            }
        }
        last = r.epoch;
        if tx.send(event_of(endpoint, r)).is_err() {
            return;
        }
    }
    let _ = tx.send(SourceEvent::Finished { endpoint, at: last });
}

/// What the TUI asks of a running replay: pause, and (while paused) step one message at a time.
/// `steps` counts step requests; the replay delivers one message per new step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Control {
    pub paused: bool,
    pub steps: u64,
}

/// The replay's position in captured time, shared by the replay task (when is the next message
/// due?) and the TUI clock (what time does the header show?), so that both stop and resume
/// together. Captured time runs at `speed` from an anchor, and stands still while paused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Playhead {
    /// `None`: as fast as possible (the state is true at the last message).
    pub speed: Option<f64>,
    anchor: Instant,
    anchor_time: Time,
    paused_at: Option<Time>,
}

impl Playhead {
    pub fn new(speed: Speed, at: Instant, start: Time) -> Self {
        Playhead {
            speed: match speed {
                Speed::Max => None,
                Speed::Factor(f) => Some(f),
            },
            anchor: at,
            anchor_time: start,
            paused_at: None,
        }
    }

    pub fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// Captured time at the wall-clock instant `at`, never before `last` (the last message).
    pub fn now(&self, at: Instant, last: Time) -> Time {
        let t = match (self.paused_at, self.speed) {
            (Some(p), _) => p,
            (None, None) => self.anchor_time,
            (None, Some(speed)) => {
                self.anchor_time + at.saturating_duration_since(self.anchor).as_secs_f64() * speed
            }
        };
        t.max(last)
    }

    pub fn pause(&mut self, at: Instant, last: Time) {
        if self.paused_at.is_none() {
            self.paused_at = Some(self.now(at, last));
        }
    }

    /// Resume from where the pause (and any steps since) left captured time.
    pub fn resume(&mut self, at: Instant, last: Time) {
        if let Some(p) = self.paused_at.take() {
            self.anchor = at;
            self.anchor_time = p.max(last);
        }
    }

    /// When a message captured at `epoch` is due (while running).
    pub fn due(&self, epoch: Time) -> Instant {
        match self.speed {
            None => self.anchor,
            Some(speed) => {
                self.anchor + Duration::from_secs_f64(((epoch - self.anchor_time) / speed).max(0.0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_speed() {
        assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
        assert_eq!("10x".parse::<Speed>(), Ok(Speed::Factor(10.0)));
        assert_eq!("0.5".parse::<Speed>(), Ok(Speed::Factor(0.5)));
        assert!("0".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
        assert_eq!(Speed::Factor(2.0).delay(3.0), Duration::from_millis(1500));
    }

    fn record_at(epoch: f64) -> Record {
        Record {
            t_rel: 0.0,
            epoch,
            pattern: "turn/*".into(),
            channel: "c".into(),
            message: b"m".to_vec(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn keeps_the_captured_schedule() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let start = tokio::time::Instant::now();
        tokio::spawn(run(
            vec![record_at(100.0), record_at(104.0)],
            EndpointId(0),
            Speed::Factor(2.0),
            tx,
        ));
        assert_eq!(rx.recv().await.map(|e| e.at()), Some(100.0));
        assert_eq!(rx.recv().await.map(|e| e.at()), Some(104.0));
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert!(matches!(
            rx.recv().await,
            Some(SourceEvent::Finished { .. })
        ));
    }

    #[test]
    fn the_playhead_stands_still_while_paused_and_resumes_where_it_stopped() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut head = Playhead::new(Speed::Factor(2.0), t0, 100.0);
        assert_eq!(head.now(t0 + s(3), 0.0), 106.0);
        head.pause(t0 + s(3), 0.0);
        assert!(head.is_paused());
        assert_eq!(head.now(t0 + s(60), 0.0), 106.0);
        // A step delivered a message at 110: the clock shows it, and resumes from there.
        assert_eq!(head.now(t0 + s(61), 110.0), 110.0);
        head.resume(t0 + s(62), 110.0);
        assert_eq!(head.now(t0 + s(63), 110.0), 112.0);
        assert_eq!(head.due(114.0), t0 + s(64));
        let max = Playhead::new(Speed::Max, t0, 100.0);
        assert_eq!(max.now(t0 + s(9), 104.0), 104.0);
        assert_eq!(max.now(t0 + s(9), f64::MIN), 100.0);
    }

    #[tokio::test(start_paused = true)]
    async fn pauses_steps_and_resumes() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (control, control_rx) = watch::channel(Control::default());
        let start = Instant::now();
        let records = [100.0, 101.0, 102.0, 110.0, 111.0].map(record_at).to_vec();
        tokio::spawn(run_controlled(
            records,
            Vec::new(),
            EndpointId(0),
            Speed::Factor(1.0),
            tx,
            control_rx,
        ));
        assert_eq!(rx.recv().await.map(|e| e.at()), Some(100.0));
        // Pause at +0.5 s: nothing arrives, however long we wait.
        tokio::time::sleep(Duration::from_millis(500)).await;
        control.send_modify(|c| c.paused = true);
        let waited = tokio::time::timeout(Duration::from_secs(60), rx.recv()).await;
        assert!(waited.is_err(), "a message arrived while paused");
        // Each step delivers exactly the next message, at once.
        let before = Instant::now();
        control.send_modify(|c| c.steps += 1);
        assert_eq!(rx.recv().await.map(|e| e.at()), Some(101.0));
        control.send_modify(|c| c.steps += 1);
        assert_eq!(rx.recv().await.map(|e| e.at()), Some(102.0));
        assert_eq!(before.elapsed(), Duration::ZERO);
        assert!(
            tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .is_err()
        );
        // Resume: the schedule continues from 102 (the last step), so 110 is 8 s later.
        let resumed = Instant::now();
        control.send_modify(|c| c.paused = false);
        assert_eq!(rx.recv().await.map(|e| e.at()), Some(110.0));
        assert_eq!(resumed.elapsed(), Duration::from_secs(8));
        assert_eq!(rx.recv().await.map(|e| e.at()), Some(111.0));
        assert!(matches!(
            rx.recv().await,
            Some(SourceEvent::Finished { .. })
        ));
        assert!(start.elapsed() > Duration::from_secs(90));
    }
}
