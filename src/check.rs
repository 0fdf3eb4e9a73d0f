//! `turntop check` and `turntop replay FILE --check`: the model's problems as a monitoring
//! plugin reports them (the monitoring-plugins convention, as Nagios, Icinga, Naemon, Zabbix and
//! Sensu run them): exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; a first line
//! `TURNTOP <STATE> - <summary> | <perfdata>`, then one line per problem. Pure: the caller
//! runs the source and prints.

use std::fmt::Write;

use crate::format;
use crate::model::{Model, ProblemKind, Severity, Time};

/// A plugin's state, with its exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckState {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl CheckState {
    pub fn code(self) -> u8 {
        match self {
            CheckState::Ok => 0,
            CheckState::Warning => 1,
            CheckState::Critical => 2,
            CheckState::Unknown => 3,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            CheckState::Ok => "OK",
            CheckState::Warning => "WARNING",
            CheckState::Critical => "CRITICAL",
            CheckState::Unknown => "UNKNOWN",
        }
    }

    pub fn parse(word: &str) -> Option<CheckState> {
        [
            CheckState::Ok,
            CheckState::Warning,
            CheckState::Critical,
            CheckState::Unknown,
        ]
        .into_iter()
        .find(|s| s.word() == word)
    }

    fn of(severity: Severity) -> CheckState {
        match severity {
            Severity::Warning => CheckState::Warning,
            Severity::Critical => CheckState::Critical,
        }
    }
}

/// What the check prints, and its state.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    pub state: CheckState,
    /// The whole output, ending with a newline.
    pub text: String,
}

/// The report on `model`'s problems at `now` (its last tick: call `Model::tick(now)` first).
pub fn report(model: &Model, now: Time) -> CheckReport {
    let problems = model.problems();
    let state = problems.worst().map_or(CheckState::Ok, CheckState::of);
    let totals = model.totals(now);
    let summary = match problems.list().first() {
        None => format!(
            "{} live allocations, {} users, no problems",
            totals.agg.live, totals.users
        ),
        Some(first) => {
            let (crit, warn) = (
                problems.count(Severity::Critical),
                problems.count(Severity::Warning),
            );
            let more = problems.list().len() - 1;
            let mut s = format!(
                "{crit} critical, {warn} warning: {} {}",
                first.kind.name(),
                first.subject_text()
            );
            if more > 0 {
                let _ = write!(s, " and {more} more");
            }
            s
        }
    };
    let mut text = format!("TURNTOP {} - {summary} | ", state.word());
    let (c, p) = (totals.agg.client_rate, totals.agg.peer_rate);
    let _ = write!(
        text,
        "live={};;;0 users={};;;0 client_rate={:.0}B;;;0 peer_rate={:.0}B;;;0",
        totals.agg.live,
        totals.users,
        c.rx + c.tx,
        p.rx + p.tx
    );
    for kind in ProblemKind::ALL {
        let _ = write!(text, " {}={};;;0", kind.name(), problems.count_kind(kind));
    }
    text.push('\n');
    for problem in problems.list() {
        let _ = writeln!(
            text,
            "{} {} {}: {} (for {})",
            CheckState::of(problem.severity).word(),
            problem.kind.name(),
            problem.subject_text(),
            problem.detail,
            format::duration((now - problem.since).max(0.0))
        );
    }
    CheckReport { state, text }
}

/// The report when the check could not look at all: a Redis that cannot be reached or refuses
/// us is CRITICAL (nothing can be seen), anything else UNKNOWN.
pub fn failed(state: CheckState, reason: &str) -> CheckReport {
    let reason = crate::sanitize::sanitize(&reason.replace(['\n', '|'], " "));
    CheckReport {
        state,
        text: format!("TURNTOP {} - {reason}\n", state.word()),
    }
}

/// Perfdata read back: (label, value).
pub type Perfdata = Vec<(String, f64)>;

/// A check's first line, read back (for tests and scripts): state, summary and perfdata.
pub fn parse_first_line(line: &str) -> Option<(CheckState, String, Perfdata)> {
    let rest = line.strip_prefix("TURNTOP ")?;
    let (word, rest) = rest.split_once(" - ")?;
    let state = CheckState::parse(word)?;
    let (summary, perf) = rest.split_once(" | ").unwrap_or((rest, ""));
    let perfdata = perf
        .split_whitespace()
        .filter_map(|item| {
            let (label, value) = item.split_once('=')?;
            let number: String = value
                .split(';')
                .next()?
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
                .collect();
            Some((label.to_owned(), number.parse().ok()?))
        })
        .collect();
    Some((state, summary.to_owned(), perfdata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_model_is_ok_and_reads_back() {
        let m = Model::default();
        let r = report(&m, 100.0);
        assert_eq!(r.state, CheckState::Ok);
        let first = r.text.lines().next().unwrap();
        let (state, summary, perf) = parse_first_line(first).unwrap();
        assert_eq!(state, CheckState::Ok);
        assert_eq!(summary, "0 live allocations, 0 users, no problems");
        assert!(perf.contains(&("stuck".to_owned(), 0.0)), "{perf:?}");
        assert_eq!(r.text.lines().count(), 1);
    }

    #[test]
    fn a_failure_has_no_pipe_or_newline_in_its_reason() {
        let r = failed(CheckState::Critical, "a | b\nc");
        assert_eq!(r.text, "TURNTOP CRITICAL - a   b c\n");
        assert_eq!(r.state.code(), 2);
    }
}
