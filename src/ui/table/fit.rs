//! Column fitting: which columns a width holds, and how wide each is drawn.

use crate::table::{Col, ColumnSpec};

/// Columns whose text is cut in the middle when it does not fit: they get spare width first.
fn truncates(col: Col) -> bool {
    matches!(col, Col::User | Col::Realm | Col::Remote | Col::Endpoint)
}

/// Choose the columns that fit, dropping by priority (never the sort column `sort`: it takes
/// the place of the next one to drop, so the table shows what it is sorted by); give spare
/// width first to the columns whose text is cut (`wants`: the width a column's text on screen
/// needs), then to the sparklines.
pub fn fit_columns(
    mut cols: Vec<ColumnSpec>,
    width: u16,
    multi_endpoint: bool,
    sort: Option<Col>,
    wants: &dyn Fn(Col) -> u16,
) -> Vec<(ColumnSpec, u16)> {
    if !multi_endpoint {
        cols.retain(|c| c.col != Col::Endpoint || Some(c.col) == sort);
    }
    let total = |cols: &[ColumnSpec]| cols.iter().map(|c| c.width + 1).sum::<u16>();
    while total(&cols) > width && cols.len() > 1 {
        let drop = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.priority > 0 && Some(c.col) != sort)
            .max_by_key(|(i, c)| (c.priority, *i))
            .map(|(i, _)| i);
        match drop {
            Some(i) => {
                cols.remove(i);
            }
            None => break,
        }
    }
    // A name cut short is worth more than an extra figure: drop the least important columns
    // (priority 6 and up: per-direction rates, the peer sparkline, LAST) to give it room.
    let short = |cols: &[ColumnSpec]| -> u16 {
        cols.iter()
            .filter(|c| truncates(c.col))
            .map(|c| wants(c.col).saturating_sub(c.width))
            .sum()
    };
    while short(&cols) > width.saturating_sub(total(&cols)) {
        let drop = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.priority >= 6 && Some(c.col) != sort)
            .max_by_key(|(i, c)| (c.priority, *i))
            .map(|(i, _)| i);
        match drop {
            Some(i) => {
                cols.remove(i);
            }
            None => break,
        }
    }
    let mut widths: Vec<u16> = cols.iter().map(|c| c.width).collect();
    let mut spare = width.saturating_sub(total(&cols));
    for (i, c) in cols.iter().enumerate() {
        if truncates(c.col) {
            let extra = spare.min(wants(c.col).saturating_sub(widths[i]));
            widths[i] += extra;
            spare -= extra;
        }
    }
    let sparks: Vec<usize> = cols
        .iter()
        .enumerate()
        .filter(|(_, c)| c.col.is_history())
        .map(|(i, _)| i)
        .collect();
    if !sparks.is_empty() {
        let each = spare / sparks.len() as u16;
        for i in sparks {
            widths[i] += each;
        }
    } else if let Some(i) = cols.iter().position(|c| c.col == Col::Detail) {
        // A problem's explanation takes what is left.
        widths[i] += spare;
    } else if let Some(w) = widths.first_mut() {
        *w += spare;
    }
    cols.into_iter().zip(widths).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{TableKind, columns};

    fn cols_of(fitted: &[(ColumnSpec, u16)]) -> Vec<Col> {
        fitted.iter().map(|(c, _)| c.col).collect()
    }

    #[test]
    fn narrow_drops_the_highest_priority_first_and_wide_feeds_cut_names_and_sparklines() {
        let all = columns(TableKind::Allocations).to_vec();
        let none = |_| 0;
        let narrow = fit_columns(all.clone(), 60, false, None, &none);
        let cols = cols_of(&narrow);
        assert!(cols.contains(&Col::User) && cols.contains(&Col::State));
        assert!(!cols.contains(&Col::Remote), "{cols:?}");
        assert!(!cols.contains(&Col::Endpoint), "one endpoint: no SERVER");
        assert!(narrow.iter().map(|(_, w)| w + 1).sum::<u16>() <= 60);

        // The realm's text needs 30 columns, the user's fits: the realm gets the spare width.
        let wants = |c| match c {
            Col::Realm => 30,
            Col::User => 5,
            _ => 0,
        };
        let wide = fit_columns(all, 400, true, None, &wants);
        assert!(wide.iter().any(|(c, _)| c.col == Col::Endpoint));
        let width_of = |col| wide.iter().find(|(c, _)| c.col == col).map(|(_, w)| *w);
        assert_eq!(width_of(Col::User), Some(16));
        assert_eq!(width_of(Col::Realm), Some(30));
        assert!(width_of(Col::ClientHistory) > Some(12));
        let used = wide.iter().map(|(_, w)| w + 1).sum::<u16>();
        assert!((399..=400).contains(&used), "{used}");
    }

    #[test]
    fn a_cut_name_takes_the_place_of_the_least_important_columns() {
        let all = columns(TableKind::Allocations).to_vec();
        let wants = |c| if c == Col::User { 36 } else { 0 };
        let fitted = fit_columns(all, 160, false, Some(Col::Rate), &wants);
        let cols = cols_of(&fitted);
        let user = fitted
            .iter()
            .find(|(c, _)| c.col == Col::User)
            .map(|(_, w)| *w);
        assert_eq!(user, Some(36), "{cols:?}");
        assert!(
            !cols.contains(&Col::LastReport),
            "LAST went first: {cols:?}"
        );
        assert!(
            cols.contains(&Col::Remote) && cols.contains(&Col::Bytes),
            "{cols:?}"
        );
    }

    #[test]
    fn at_120_the_operator_columns_stay_and_the_sort_column_shows() {
        let all = columns(TableKind::Allocations).to_vec();
        let none = |_| 0;
        let cols = cols_of(&fit_columns(
            all.clone(),
            120,
            false,
            Some(Col::Rate),
            &none,
        ));
        for c in [Col::Remote, Col::Age, Col::Bytes, Col::Rate, Col::State] {
            assert!(cols.contains(&c), "{c:?} in {cols:?}");
        }
        let cols = cols_of(&fit_columns(all, 120, false, Some(Col::PeerRx), &none));
        assert!(
            cols.contains(&Col::PeerRx),
            "the sort column shows: {cols:?}"
        );
    }
}
