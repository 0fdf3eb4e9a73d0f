//! The Problems view: one row per problem the model found (`model::problems`), critical first,
//! newest first; Enter goes to its subject.

use super::{ColumnSpec, c};
use crate::model::{Problem, Time};
use crate::table::Col;

pub(super) const PROBLEM_COLUMNS: &[ColumnSpec] = &[
    // Wide enough for "▲ critical".
    c(Col::Severity, "SEVERITY", 10, 0, false),
    // Wide enough for "count_mismatch".
    c(Col::Problem, "PROBLEM", 14, 0, false),
    c(Col::Subject, "SUBJECT", 20, 0, false),
    // Takes the width left over (see `ui::fit_columns`).
    c(Col::Detail, "DETAIL", 12, 1, false),
    c(Col::Age, "AGE", 5, 2, true),
];

/// A number of a problem row: its age, and its severity (critical sorts above warning).
pub(super) fn problem_number(p: &Problem, col: Col, now: Time) -> Option<f64> {
    match col {
        Col::Age => Some((now - p.since).max(0.0)),
        Col::Severity => Some(p.severity.index() as f64),
        _ => None,
    }
}

/// The text of a problem row's text column.
pub(super) fn problem_text(p: &Problem, col: Col) -> Option<String> {
    Some(match col {
        Col::Severity => p.severity.name().to_owned(),
        Col::Problem => p.kind.name().to_owned(),
        Col::Subject => p.subject_text(),
        Col::Detail => p.detail.clone(),
        _ => return None,
    })
}
