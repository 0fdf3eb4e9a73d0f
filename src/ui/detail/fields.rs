//! The fields of the detail screen as lines (pure): who and where on the left; state, times and
//! traffic on the right.

use ratatui::text::{Line, Span};

use crate::coturn::{Counters, Leg};
use crate::format::{self, RateUnits, utc};
use crate::model::view::AllocationRow;
use crate::model::{Allocation, EndReason, Model, State, Time};
use crate::table::Ctx;
use crate::ui::Theme;
use crate::ui::table::state_span;

/// The left and right columns of fields.
pub(super) fn lines(
    ctx: &Ctx<'_>,
    a: &Allocation,
    row: &AllocationRow<'_>,
    theme: &Theme,
) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let (model, now, units) = (ctx.model, ctx.now, ctx.units);
    let mut right = vec![state_line(a, row.state, now, theme)];
    right.extend(time_lines(a, row, now, theme));
    for leg in [Leg::Client, Leg::Peer] {
        right.extend(traffic_lines(a, row, leg, units, theme));
    }
    (identity_lines(model, a, row, theme), right)
}

/// `        name value`: the name right-aligned and dim.
fn field(name: &str, value: String, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:>12} "), theme.dim),
        Span::raw(value),
    ])
}

/// Who holds the allocation and where it runs.
fn identity_lines(
    model: &Model,
    a: &Allocation,
    row: &AllocationRow<'_>,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let atom = |x| model.atom(x).unwrap_or("?").to_owned();
    let user = if row.user_display.is_empty() {
        "(none)".into()
    } else {
        row.user_display.to_owned()
    };
    let server = model
        .endpoint(a.endpoint)
        .map_or_else(String::new, |e| e.label.clone());
    [
        ("user", user),
        ("realm", row.realm_display.to_owned()),
        (
            "id",
            format!("{} (t{} #{})", a.id, a.id.relay_thread(), a.id.counter()),
        ),
        ("server", server),
        ("transport", atom(a.transport)),
        ("local", atom(a.local)),
        ("remote", a.remote.as_deref().unwrap_or("?").to_owned()),
        ("tls", format!("{} {}", atom(a.ssl), atom(a.cipher))),
    ]
    .into_iter()
    .map(|(name, value)| field(name, value, theme))
    .chain(a.collision.then(|| {
        Line::from(vec![
            Span::styled(format!("{:>12} ", "collision"), theme.dim),
            Span::styled("id shared by two coturns", theme.warn),
        ])
    }))
    .collect()
}

/// The state and what it means now: time left, or how it ended.
fn state_line(a: &Allocation, state: State, now: Time, theme: &Theme) -> Line<'static> {
    let mut spans = vec![
        Span::styled(format!("{:>12} ", "state"), theme.dim),
        state_span(state, theme),
    ];
    match state {
        State::Live => match a.lifetime_left(now) {
            Some(l) if a.expiry_is_upper_bound => spans.push(Span::raw(format!(
                "  at most {} left (seeded)",
                format::countdown(l)
            ))),
            Some(l) => spans.push(Span::raw(format!(
                "  {} left of {}s",
                format::countdown(l),
                a.lifetime.unwrap_or(0)
            ))),
            None => {}
        },
        State::Expired => spans.push(Span::styled(
            format!(
                "  lifetime ran out {} ago, no delete from coturn",
                format::duration(-a.lifetime_left(now).unwrap_or(0.0))
            ),
            theme.state(State::Expired),
        )),
        State::Unconfirmed => {
            let why = if a.key_missing_at().is_some() {
                "status key gone from Redis, nothing heard since"
            } else {
                "deleted by one of the servers sharing its id, or not"
            };
            let left = a
                .lifetime_left(now)
                .map(|l| format!("; ends in {} unless heard", format::countdown(l)))
                .unwrap_or_default();
            spans.push(Span::styled(format!("  {why}{left}"), theme.warn));
        }
        State::Deleted => {
            if let Some(reason) = a.end_reason.filter(|r| *r != EndReason::Deleted) {
                spans.push(Span::styled(format!("  {}", reason.explain()), theme.warn));
            }
        }
        State::Released => {}
    }
    Line::from(spans)
}

/// When it started (or was first seen), ended, and last reported traffic.
fn time_lines(
    a: &Allocation,
    row: &AllocationRow<'_>,
    now: Time,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let started = match (a.first_seen, a.seeded_at) {
        (Some(t), _) => format!("{} ({} ago)", utc(t), format::duration(now - t)),
        (None, Some(t)) => format!("unknown (already running when seeded at {})", utc(t)),
        (None, None) => "unknown".into(),
    };
    let mut lines = vec![field("started", started, theme)];
    if let Some(t) = a.ended_at {
        // Its lifetime, which stops growing at the end (AGE shows the same).
        let lived = a
            .age(now)
            .map(|d| format!(", lived {}", format::duration(d)))
            .unwrap_or_default();
        lines.push(field(
            "ended",
            format!("{} ({} ago{lived})", utc(t), format::duration(now - t)),
            theme,
        ));
    }
    let last = row.last_report_age.map_or_else(
        || "none yet".into(),
        |age| format!("{} ago", format::duration(age)),
    );
    lines.push(field("last report", last, theme));
    lines
}

/// One leg's counters and rate; with coturn's total (sent after the delete), whether the
/// deltas add up to it.
fn traffic_lines(
    a: &Allocation,
    row: &AllocationRow<'_>,
    leg: Leg,
    units: RateUnits,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let name = match leg {
        Leg::Client => "client",
        Leg::Peer => "peer",
    };
    let stats = a.leg(leg);
    let rate = row.rate(leg).map_or_else(
        || "rate unknown".to_owned(),
        |r| {
            format!(
                "↓{} ↑{}",
                format::rate(r.rx, units),
                format::rate(r.tx, units)
            )
        },
    );
    let mut lines = vec![field(
        name,
        format!("{}  {rate}", counters_text(&stats.sum)),
        theme,
    )];
    if let Some(total) = a.total_of(leg) {
        let check = if a.collision {
            Span::styled("  Σdeltas vs total: unknown (shared id)", theme.warn)
        } else if total == stats.sum {
            Span::styled("  Σdeltas = total ✓", theme.good)
        } else {
            Span::styled("  Σdeltas ≠ total: messages were lost", theme.bad)
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:>12} ", "total"), theme.dim),
            Span::raw(counters_text(&total)),
            check,
        ]));
    }
    lines
}

fn counters_text(c: &Counters) -> String {
    format!(
        "rx {} ({} pkts)  tx {} ({} pkts)",
        format::bytes(c.rcvb),
        c.rcvp,
        format::bytes(c.sentb),
        c.sentp
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{model_with_traffic, text};
    use super::*;
    use crate::ui::ThemeName;

    #[test]
    fn fields_tell_who_where_and_whether_the_totals_add_up() {
        let (model, now) = model_with_traffic(true);
        let a = model.allocations().next().expect("allocation");
        let row = model.allocation_row(a, now).expect("row");
        let theme = Theme::new(ThemeName::None);
        let ctx = Ctx {
            model: &model,
            now,
            units: RateUnits::Bytes,
        };
        let (left, right) = lines(&ctx, a, &row, &theme);
        let left: Vec<String> = left.iter().map(text).collect();
        assert_eq!(left[0], "        user alice");
        assert_eq!(left[1], "       realm r.example");
        assert_eq!(left[4], "   transport UDP");
        assert_eq!(left[6], "      remote 10.0.0.9:4000");
        let right: Vec<String> = right.iter().map(text).collect();
        assert_eq!(
            right,
            [
                "       state ○ deleted",
                "     started 1970-01-01 00:01:40 UTC (12s ago)",
                "       ended 1970-01-01 00:01:50 UTC (2s ago, lived 10s)",
                " last report 2s ago",
                "      client rx 3.00KB (3 pkts)  tx 1.00KB (1 pkts)  rate unknown",
                "       total rx 3.00KB (3 pkts)  tx 1.00KB (1 pkts)  Σdeltas = total ✓",
                "        peer rx 0B (0 pkts)  tx 0B (0 pkts)  rate unknown",
            ],
            "no peer total was sent"
        );
    }

    #[test]
    fn a_live_allocation_counts_down_its_lifetime() {
        let (model, now) = model_with_traffic(false);
        let a = model.allocations().next().expect("allocation");
        let theme = Theme::new(ThemeName::None);
        let line = text(&state_line(a, State::Live, now, &theme));
        assert_eq!(line, "       state ● live  9:48 left of 600s");
    }
}
