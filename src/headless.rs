//! Headless `--once` output: one view as aligned text or CSV with exactly the rows (the filter,
//! the sort) and the columns (the configured ones, none dropped for width) the TUI would show,
//! through the same [`table::rows`] and [`Row::cell`]; or JSON, either the full snapshot of
//! [`output::snapshot`] or the view's rows as snapshot objects.
//!
//! The sparkline columns (CLIENT, PEER) print the number a sparkline ends on: the leg's current
//! rate (rx + tx), formatted like the rate columns. With `--raw`, cells are for scripts
//! ([`Row::raw_cell`]): full ids, integers, seconds, unknown as empty.

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::app::App;
use crate::format;
use crate::model::{Model, Time};
use crate::output;
use crate::table::{self, Col, Ctx, Row, Scope, TableKind};

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Aligned text, no colour.
    Table,
    /// JSON (the full snapshot, or the view's rows with --view/--filter/--sort).
    #[default]
    Json,
    /// CSV with a header row of column titles.
    Csv,
}

/// The cells of one view.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewTable {
    pub kind: TableKind,
    pub titles: Vec<&'static str>,
    /// Right-aligned (numeric) columns.
    pub right: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

fn rows<'a>(app: &App, ctx: &Ctx<'a>) -> Vec<Row<'a>> {
    let kind = app.top_kind();
    table::rows(kind, Scope::All, &app.filter, app.sort(kind), ctx)
}

fn cell(row: &Row<'_>, col: Col, ctx: &Ctx<'_>, raw: bool) -> String {
    if raw {
        row.raw_cell(col, ctx)
    } else if col.is_history() {
        format::opt_rate(row.number(col, ctx.now), ctx.units)
    } else {
        row.cell(col, ctx)
    }
}

/// The view of `app` (its top-level table, filter, sort, columns and units) at `now`; with
/// `raw`, the cells for scripts of [`Row::raw_cell`].
pub fn view_table(app: &App, model: &Model, now: Time, raw: bool) -> ViewTable {
    let kind = app.top_kind();
    let cols = app.table_columns(kind);
    let ctx = Ctx {
        model,
        now,
        units: app.units,
    };
    ViewTable {
        kind,
        titles: cols.iter().map(|c| c.title).collect(),
        right: cols.iter().map(|c| c.right).collect(),
        rows: rows(app, &ctx)
            .iter()
            .map(|r| cols.iter().map(|c| cell(r, c.col, &ctx, raw)).collect())
            .collect(),
    }
}

/// Aligned columns separated by two spaces, no trailing blanks.
pub fn render_table(t: &ViewTable) -> String {
    let mut widths: Vec<usize> = t.titles.iter().map(|s| s.width()).collect();
    for row in &t.rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.width());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::new();
        for (i, c) in cells.enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let pad = " ".repeat(widths[i].saturating_sub(c.width()));
            if t.right[i] {
                out.push_str(&pad);
                out.push_str(c);
            } else {
                out.push_str(c);
                out.push_str(&pad);
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    };
    let mut out = line(&mut t.titles.iter().copied());
    for row in &t.rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

pub fn render_csv(t: &ViewTable) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&t.titles)?;
    for row in &t.rows {
        w.write_record(row)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `--format json` with `--view`/`--filter`/`--sort`: the view's rows, filtered and sorted as
/// the TUI shows them, each the same object as in the full snapshot.
#[derive(Clone, Debug, Serialize)]
pub struct ViewJson {
    pub at: Time,
    pub view: TableKind,
    pub filter: String,
    /// `-rate` (descending) or `+user` (ascending).
    pub sort: String,
    pub rows: Vec<RowOut>,
}

/// A row of `--format json --view ...`: the snapshot's object for that kind of row.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum RowOut {
    Allocation(Box<output::AllocationOut>),
    User(output::UserOut),
    Realm(output::RealmOut),
    Server(output::ServerOut),
    Problem(crate::problem_out::ProblemOut),
}

pub fn view_json(app: &App, model: &Model, now: Time) -> ViewJson {
    let kind = app.top_kind();
    let ctx = Ctx {
        model,
        now,
        units: app.units,
    };
    let sort = app.sort(kind);
    ViewJson {
        at: now,
        view: kind,
        filter: app.filter.source().to_owned(),
        sort: format!(
            "{}{}",
            if sort.descending { '-' } else { '+' },
            sort.col.name()
        ),
        rows: rows(app, &ctx)
            .iter()
            .map(|r| match r {
                Row::Allocation(a) => {
                    RowOut::Allocation(Box::new(output::allocation_out(model, a, now)))
                }
                Row::User(u) => RowOut::User(output::user_out(u, now)),
                Row::Realm(r) => RowOut::Realm(output::realm_out(r, now)),
                Row::Server(s) => RowOut::Server(output::server_out(model, s, now)),
                Row::Problem(p) => RowOut::Problem(crate::problem_out::problem_out(p, now)),
            })
            .collect(),
    }
}

/// How `--once` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    /// Table and CSV cells for scripts ([`Row::raw_cell`]).
    pub raw: bool,
    /// JSON of the view's rows instead of the snapshot.
    pub rows_json: bool,
}

/// Everything `--once` prints.
pub fn render(output: Output, app: &App, model: &Model, now: Time) -> Result<String, String> {
    let Output {
        format,
        raw,
        rows_json,
    } = output;
    if raw && format == Format::Json {
        return Err("--raw is for --format table or csv: JSON is raw already".into());
    }
    // A term the view cannot answer would print nothing (or, inverted, exclude nothing): say so.
    if let Some(note) = app.filter_note(app.top_kind()) {
        return Err(format!("--filter: {note}"));
    }
    let text = match format {
        Format::Table => render_table(&view_table(app, model, now, raw)),
        Format::Csv => render_csv(&view_table(app, model, now, raw)).map_err(|e| e.to_string())?,
        Format::Json if rows_json => {
            let mut view = view_json(app, model, now);
            let allocations = view.rows.iter_mut().filter_map(|r| match r {
                RowOut::Allocation(a) => Some(a.as_mut()),
                _ => None,
            });
            crate::coturn_cli::once::annotate(allocations, &app.cli, model);
            serde_json::to_string_pretty(&view).map_err(|e| e.to_string())? + "\n"
        }
        Format::Json => {
            let mut snapshot = output::snapshot(model, now);
            crate::coturn_cli::once::annotate(snapshot.allocations.iter_mut(), &app.cli, model);
            serde_json::to_string_pretty(&snapshot).map_err(|e| e.to_string())? + "\n"
        }
    };
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_quotes() {
        let t = ViewTable {
            kind: TableKind::Users,
            titles: vec!["USER", "RATE"],
            right: vec![false, true],
            rows: vec![
                vec!["alice, \"a\"".into(), "1.0 kB/s".into()],
                vec!["bö".into(), "".into()],
            ],
        };
        assert_eq!(
            render_table(&t),
            "USER            RATE\nalice, \"a\"  1.0 kB/s\nbö\n"
        );
        assert_eq!(
            render_csv(&t).unwrap(),
            "USER,RATE\n\"alice, \"\"a\"\"\",1.0 kB/s\nbö,\n"
        );
    }
}
