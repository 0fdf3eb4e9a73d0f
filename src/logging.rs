//! The log file (`--log FILE` or the config key `log`): what an operator needs to debug a
//! connection, written by tracing-subscriber through tracing-appender's non-blocking writer
//! into that file only, never to the terminal the TUI draws on. Without a file no subscriber
//! is installed and nothing is logged anywhere. The level comes from `TURNTOP_LOG` (EnvFilter
//! syntax, e.g. `debug` or `turntop=debug,redis=warn`; default `info`).
//!
//! The sources log their own connection story (connect, subscribe, seed, disconnects and
//! their reasons, reconnect attempts, authentication failures, gaps). Bad messages are found
//! by the model, which does no I/O: [`BadMessageLog`] watches its counters from the loop that
//! applies the events and logs the first few per endpoint, then only a count.

use std::fs::OpenOptions;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::model::{Model, Time};

/// The environment variable with the log level (an EnvFilter directive).
pub const LOG_ENV: &str = "TURNTOP_LOG";

/// Bad messages logged one by one per endpoint; after that they are only counted.
pub const DETAILED_PER_ENDPOINT: u32 = 10;

/// How often the count of bad messages not logged one by one is written.
pub const SUMMARY_EVERY: Time = 60.0;

/// Keeps the log's writer thread alive; dropping it writes out what is queued.
#[must_use = "the log stops when the guard is dropped"]
pub struct LogGuard {
    _writer: WorkerGuard,
}

/// Start logging into `path` (appended to, created if missing) at the level of
/// [`LOG_ENV`]. The error is one line naming the file or the variable.
pub fn init(path: &Path) -> Result<LogGuard, String> {
    let filter = match std::env::var(LOG_ENV) {
        Ok(directives) if !directives.trim().is_empty() => {
            EnvFilter::try_new(&directives).map_err(|e| format!("{LOG_ENV}={directives}: {e}"))?
        }
        _ => EnvFilter::new("info"),
    };
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("log file {}: {e}", path.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| format!("log file {}: {e}", path.display()))?;
    Ok(LogGuard { _writer: guard })
}

/// One line about bad messages, decided by [`BadMessageLog::observe`].
#[derive(Clone, Debug, PartialEq)]
pub enum BadMessageLine {
    /// One message: its endpoint's label, its channel (sanitized and cut by the model) and
    /// what was wrong with it.
    One {
        endpoint: String,
        channel: String,
        error: String,
    },
    /// Messages counted but not logged one by one since the last summary.
    Counted {
        count: u64,
        malformed: u64,
        unknown: u64,
    },
}

/// Watches the model's bad messages between two looks. The model keeps the last few (with
/// their endpoint and sanitized channel) and counts all of them; each look logs the new ones
/// while their endpoint has had fewer than [`DETAILED_PER_ENDPOINT`], and counts the rest,
/// written at most every [`SUMMARY_EVERY`] seconds: a flood of garbage cannot fill the disk.
#[derive(Debug, Default)]
pub struct BadMessageLog {
    /// The model's bad-message count at the last look.
    seen: u64,
    /// Lines written so far, per endpoint.
    detailed: Vec<u32>,
    /// Counted, not yet reported.
    untold: u64,
    last_summary: Option<Time>,
}

impl BadMessageLog {
    /// Log what is new since the last look (a cheap comparison when nothing is).
    pub fn observe(&mut self, model: &Model, now: Time) {
        for line in self.look(model, now, false) {
            log(&line);
        }
    }

    /// Log what is left to report, at the end of a run.
    pub fn finish(&mut self, model: &Model, now: Time) {
        for line in self.look(model, now, true) {
            log(&line);
        }
    }

    /// What to log now; `flush` reports the count without waiting for [`SUMMARY_EVERY`].
    pub fn look(&mut self, model: &Model, now: Time, flush: bool) -> Vec<BadMessageLine> {
        let total = model.counters.malformed + model.counters.unknown;
        let new = total.saturating_sub(self.seen);
        self.seen = total;
        let mut lines = Vec::new();
        // The newest `new` messages, as far as the model still keeps them; older ones are
        // only counted.
        let kept = model.bad_messages.len();
        let shown = (new as usize).min(kept);
        self.untold += new - shown as u64;
        for bad in model.bad_messages.range(kept - shown..) {
            let at = usize::from(bad.endpoint.0);
            if self.detailed.len() <= at {
                self.detailed.resize(at + 1, 0);
            }
            if self.detailed[at] >= DETAILED_PER_ENDPOINT {
                self.untold += 1;
                continue;
            }
            self.detailed[at] += 1;
            lines.push(BadMessageLine::One {
                endpoint: model
                    .endpoint(bad.endpoint)
                    .map_or_else(|| format!("#{at}"), |e| e.label.clone()),
                channel: bad.channel.clone(),
                error: bad.error.clone(),
            });
        }
        let since = *self.last_summary.get_or_insert(now);
        if self.untold > 0 && (flush || now - since >= SUMMARY_EVERY) {
            lines.push(BadMessageLine::Counted {
                count: std::mem::take(&mut self.untold),
                malformed: model.counters.malformed,
                unknown: model.counters.unknown,
            });
            self.last_summary = Some(now);
        }
        lines
    }
}

fn log(line: &BadMessageLine) {
    match line {
        BadMessageLine::One {
            endpoint,
            channel,
            error,
        } => tracing::warn!(endpoint, channel, error, "bad message"),
        BadMessageLine::Counted {
            count,
            malformed,
            unknown,
        } => tracing::warn!(
            malformed_total = malformed,
            unknown_total = unknown,
            "{count} more bad messages, counted but not logged one by one"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(model: &mut Model, endpoint: crate::model::EndpointId, n: usize) {
        for i in 0..n {
            let channel = format!("turn/user/u\u{1b}/allocation/{i}/status");
            model.apply_raw(endpoint, 0.0, &channel, b"new lifetime=600");
        }
    }

    fn counted(lines: &[BadMessageLine]) -> Option<u64> {
        lines.iter().find_map(|l| match l {
            BadMessageLine::Counted { count, .. } => Some(*count),
            BadMessageLine::One { .. } => None,
        })
    }

    #[test]
    fn the_first_few_per_endpoint_one_by_one_then_a_count_a_minute() {
        let mut model = Model::default();
        let a = model.add_endpoint("a");
        let b = model.add_endpoint("b");
        let mut log = BadMessageLog::default();
        assert_eq!(log.look(&model, 0.0, false), []);
        bad(&mut model, a, 12);
        bad(&mut model, b, 3);
        let lines = log.look(&model, 1.0, false);
        let ones = |ep: &str| {
            lines
                .iter()
                .filter(|l| matches!(l, BadMessageLine::One { endpoint, .. } if endpoint == ep))
                .count()
        };
        assert_eq!((ones("a"), ones("b")), (10, 3));
        assert_eq!(counted(&lines), None, "not before a minute");
        let BadMessageLine::One { channel, error, .. } = &lines[0] else {
            panic!("{lines:?}");
        };
        assert_eq!(channel, "turn/user/u\\x1b/allocation/0/status");
        assert_eq!(error, "allocation id is not 18 digits");
        // Nothing new: nothing to say until the minute is up, then the count, once.
        assert_eq!(log.look(&model, 30.0, false), []);
        bad(&mut model, b, 9);
        let lines = log.look(&model, 61.0, false);
        assert_eq!(
            lines.len(),
            8,
            "b's last 7 one by one, then the count: {lines:?}"
        );
        assert_eq!(counted(&lines), Some(4));
        assert_eq!(log.look(&model, 200.0, false), []);
        // At the end, what is left is counted at once.
        bad(&mut model, a, 1);
        assert_eq!(counted(&log.look(&model, 201.0, true)), Some(1));
        assert_eq!(log.look(&model, 202.0, true), []);
    }

    #[test]
    fn messages_the_model_no_longer_keeps_are_counted() {
        let mut model = Model::default();
        let a = model.add_endpoint("a");
        let mut log = BadMessageLog::default();
        bad(&mut model, a, 1000);
        let lines = log.look(&model, 0.0, true);
        assert_eq!(lines.len(), 11);
        assert_eq!(counted(&lines), Some(990));
    }
}
