//! Column fitting: which columns a width holds, and how wide each is drawn.

use crate::table::{Col, ColumnSpec};

/// Choose the columns that fit, dropping by priority; give spare width to the user column and
/// the sparklines.
pub fn fit_columns(
    mut cols: Vec<ColumnSpec>,
    width: u16,
    multi_endpoint: bool,
) -> Vec<(ColumnSpec, u16)> {
    if !multi_endpoint {
        cols.retain(|c| c.col != Col::Endpoint);
    }
    let total = |cols: &[ColumnSpec]| cols.iter().map(|c| c.width + 1).sum::<u16>();
    while total(&cols) > width && cols.len() > 1 {
        let drop = cols
            .iter()
            .enumerate()
            .max_by_key(|(i, c)| (c.priority, *i))
            .map(|(i, _)| i);
        match drop {
            Some(i) if cols[i].priority > 0 => {
                cols.remove(i);
            }
            _ => break,
        }
    }
    let mut widths: Vec<u16> = cols.iter().map(|c| c.width).collect();
    let mut spare = width.saturating_sub(total(&cols));
    // Names first (up to 28 wide), then the sparklines share the rest.
    for (i, c) in cols.iter().enumerate() {
        if matches!(c.col, Col::User | Col::Realm) && spare > 0 {
            let extra = spare.min(if c.col == Col::User { 12 } else { 6 });
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

    #[test]
    fn narrow_drops_the_highest_priority_first_and_wide_feeds_names_and_sparklines() {
        let all = columns(TableKind::Allocations).to_vec();
        let narrow = fit_columns(all.clone(), 60, false);
        let cols: Vec<Col> = narrow.iter().map(|(c, _)| c.col).collect();
        assert!(cols.contains(&Col::User) && cols.contains(&Col::State));
        assert!(
            !cols.contains(&Col::Remote),
            "priority 7 goes first: {cols:?}"
        );
        assert!(!cols.contains(&Col::Endpoint), "one endpoint: no SERVER");
        assert!(narrow.iter().map(|(_, w)| w + 1).sum::<u16>() <= 60);

        let wide = fit_columns(all, 400, true);
        assert!(wide.iter().any(|(c, _)| c.col == Col::Endpoint));
        let width_of = |col| wide.iter().find(|(c, _)| c.col == col).map(|(_, w)| *w);
        assert_eq!(width_of(Col::User), Some(16 + 12));
        assert_eq!(width_of(Col::Realm), Some(12 + 6));
        assert!(width_of(Col::ClientHistory) > Some(12));
        // The two sparklines share what is left; only the odd column of a split is unused.
        let used = wide.iter().map(|(_, w)| w + 1).sum::<u16>();
        assert!((399..=400).contains(&used), "{used}");
    }
}
