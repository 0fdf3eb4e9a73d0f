//! Problems: what is wrong right now, computed by the model from its own state (pure: time is
//! passed in). `kind` says what can be wrong and how bad it is, `thresholds` when a condition
//! becomes a problem (the config's `[problems]`), `detect` finds them.
//!
//! Why in the tick and not per frame: a frame must stay within its budget at 100k allocations,
//! and problems change on the scale of seconds. The once-a-second tick (`Model::tick`: eviction,
//! then detection) walks the compact hot copies once and keeps the list; a frame reads the list
//! and its counts, which cost nothing.

mod detect;
mod kind;
mod thresholds;

use rustc_hash::FxHashMap;

use super::Time;
pub use kind::{ProblemKind, Severity, Subject};
pub use thresholds::Thresholds;

/// One problem, with the names a person needs already sanitized.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub severity: Severity,
    pub subject: Subject,
    /// When it started (for kinds with a cause in the data, the cause's time; otherwise when
    /// it was first seen).
    pub since: Time,
    /// One line a tired operator understands.
    pub detail: String,
    pub user: Option<Box<str>>,
    pub realm: Option<Box<str>>,
    /// The allocation id, as coturn writes it.
    pub id: Option<String>,
    /// The endpoint's label.
    pub endpoint: Option<String>,
}

impl Problem {
    /// What the SUBJECT column shows: the allocation, the user or the endpoint.
    pub fn subject_text(&self) -> String {
        let user = self.user.as_deref().unwrap_or("");
        match self.subject {
            Subject::Allocation { id, .. } => {
                format!("{user} {}", crate::coturn::AllocationId(id).short())
            }
            Subject::User(_) => match self.realm.as_deref() {
                Some(r) if r != crate::sanitize::UNNAMED => format!("{user}@{r}"),
                _ => user.to_owned(),
            },
            Subject::Endpoint { .. } => self.endpoint.clone().unwrap_or_default(),
        }
    }
}

/// The model's problems as of its last tick.
#[derive(Clone, Debug, Default)]
pub struct Problems {
    pub thresholds: Thresholds,
    /// Critical first, then newest first.
    list: Vec<Problem>,
    by_severity: [u32; 2],
    by_kind: [u32; ProblemKind::COUNT],
    /// When each (kind, subject) was first seen, kept while it lasts: a problem without a
    /// time of its own (a hog, a busy user) is as old as its first sighting.
    first_seen: FxHashMap<(ProblemKind, Subject), Time>,
    /// A critical problem appeared since `take_new_critical` was last asked (for `--bell`).
    new_critical: bool,
    /// Per user slot: live allocations and rate (reused each tick).
    scratch: Vec<(u32, f64)>,
    /// Per endpoint: coturn's session count and turntop's, while they have differed for longer
    /// than events in flight (the CLI's verdict, passed in by the loop).
    coturn_counts: Vec<Option<(u64, u64)>>,
}

impl Problems {
    pub fn new(thresholds: Thresholds) -> Self {
        Problems {
            thresholds,
            ..Problems::default()
        }
    }
    pub fn list(&self) -> &[Problem] {
        &self.list
    }
    pub fn count(&self, severity: Severity) -> u32 {
        self.by_severity[severity.index()]
    }
    pub fn count_kind(&self, kind: ProblemKind) -> u32 {
        self.by_kind[kind.index()]
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    /// The worst severity, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.list.first().map(|p| p.severity)
    }
}

impl super::Model {
    /// The once-a-second tick of a loop that shows or reports: eviction (`evict`), then the
    /// problems. A replay at full speed evicts every captured second but finds the problems
    /// once, at its end: detection is a pass over every allocation, worth once a wall-clock
    /// second, not 100 times one.
    pub fn tick(&mut self, now: Time) {
        self.evict(now);
        self.update_problems(now);
    }

    pub fn problems(&self) -> &Problems {
        &self.problems
    }

    /// The CLI's count verdict for `endpoint`: `Some((coturn's, turntop's))` while a
    /// difference persists, `None` when they agree (or nothing is known). Read by the next
    /// tick: a `count_mismatch` problem while it is `Some`.
    pub fn set_coturn_count(&mut self, endpoint: super::EndpointId, verdict: Option<(u64, u64)>) {
        let counts = &mut self.problems.coturn_counts;
        let i = usize::from(endpoint.0);
        if counts.len() <= i {
            if verdict.is_none() {
                return;
            }
            counts.resize(i + 1, None);
        }
        counts[i] = verdict;
    }

    pub fn set_problem_thresholds(&mut self, t: Thresholds) {
        self.problems.thresholds = t;
    }

    /// Whether a critical problem appeared since the last call (once per appearance).
    pub fn take_new_critical(&mut self) -> bool {
        std::mem::take(&mut self.problems.new_critical)
    }
}
