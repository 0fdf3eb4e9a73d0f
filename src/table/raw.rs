//! Cells for scripts (`--once --raw`): the values behind what the screen shows, in units a
//! script reads without parsing them back: full 18-digit ids, bytes and bytes/s as integers,
//! durations in seconds, unknown as empty. They are the numbers of the JSON snapshot.

use super::{Col, Ctx, Row};

/// Seconds with at most millisecond precision, no trailing zeros: `682.5`, `600`, `-3.25`.
pub fn seconds(s: f64) -> String {
    let text = format!("{s:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

fn integer(x: f64) -> String {
    format!("{:.0}", x.round())
}

impl Row<'_> {
    /// A cell for scripts: see the module documentation.
    pub fn raw_cell(&self, col: Col, ctx: &Ctx<'_>) -> String {
        let now = ctx.now;
        let opt = |x: Option<String>| x.unwrap_or_default();
        match (self, col) {
            (Row::Allocation(a), Col::Id) => a.alloc.id.to_string(),
            (Row::Allocation(a), Col::Remote) => opt(a.alloc.remote.as_deref().map(str::to_owned)),
            (Row::Allocation(a), Col::Type) => {
                opt(ctx.model.atom(a.alloc.transport).map(str::to_owned))
            }
            (
                _,
                Col::User
                | Col::Realm
                | Col::Endpoint
                | Col::State
                | Col::Severity
                | Col::Problem
                | Col::Subject
                | Col::Detail,
            ) => opt(self.text(col, ctx).map(|t| t.into_owned())),
            (_, Col::Age | Col::Left | Col::LastReport) => opt(self.number(col, now).map(seconds)),
            (_, Col::Bytes) => self.total_bytes().to_string(),
            _ => opt(self.number(col, now).map(integer)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_short_and_exact_to_the_millisecond() {
        assert_eq!(seconds(682.5), "682.5");
        assert_eq!(seconds(600.0), "600");
        assert_eq!(seconds(-3.25), "-3.25");
        assert_eq!(seconds(0.0001), "0");
        assert_eq!(seconds(-0.0001), "0");
        assert_eq!(seconds(1.23456), "1.235");
    }
}
