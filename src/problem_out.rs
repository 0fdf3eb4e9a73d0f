//! A problem as JSON (`--once --view problems --format json`, the snapshot's `problems`, and
//! `turntop check`): the fields scripts rely on.

use serde::{Deserialize, Serialize};

use crate::model::{Problem, ProblemKind, Severity, Subject, Time};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemOut {
    pub kind: ProblemKind,
    pub severity: Severity,
    /// The user it is about (an allocation's or a busy user), sanitized; null otherwise.
    pub user: Option<String>,
    pub realm: Option<String>,
    /// The allocation id (18 digits), for allocation problems.
    pub id: Option<String>,
    /// The Redis endpoint's label.
    pub endpoint: Option<String>,
    /// When it started (seconds since the Unix epoch).
    pub since: Time,
    pub age_s: f64,
    pub detail: String,
}

pub fn problem_out(p: &Problem, now: Time) -> ProblemOut {
    let is_user = matches!(p.subject, Subject::Allocation { .. } | Subject::User(_));
    ProblemOut {
        kind: p.kind,
        severity: p.severity,
        user: p.user.as_deref().filter(|_| is_user).map(str::to_owned),
        realm: p.realm.as_deref().filter(|_| is_user).map(str::to_owned),
        id: p.id.clone(),
        endpoint: p.endpoint.clone(),
        since: p.since,
        age_s: ((now - p.since).max(0.0) * 100.0).round() / 100.0,
        detail: p.detail.clone(),
    }
}
