//! `K`: what a cancel would act on, or why it cannot (pure). Worked out each frame from the
//! selection, the model and the CLI's state, so the hint bar says the reason before the key is
//! pressed, and `K` acts on the row it was shown for.

use super::{App, Screen};
use crate::coturn::AllocationId;
use crate::coturn_cli::view::{CancelPolicy, CliState};
use crate::model::{Allocation, Model, State, Time};
use crate::table::{RowKey, TableKind};

/// The allocation a confirmed `K` cancels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelTarget {
    pub endpoint: u16,
    pub id: u64,
    /// `Cancel allocation 0.243 of alice @ meet.example.com on eu-1? y/N` (sanitized names).
    pub question: String,
}

/// The allocation selected on screen (allocations table or detail), if any.
pub fn selected_allocation<'m>(app: &App, model: &'m Model) -> Option<&'m Allocation> {
    let key = match app.screen() {
        Screen::Detail { key } => key,
        Screen::Table {
            kind: TableKind::Allocations,
            ..
        } => app.level().selected_key?,
        Screen::Table { .. } => return None,
    };
    let RowKey::Allocation { slot, id } = key else {
        return None;
    };
    model.allocation_at(slot).filter(|a| a.id.0 == id)
}

/// The user whose sessions are on screen: drilled into, or of the selected row. Its raw name
/// (what coturn's `ps` matches).
pub fn user_on_screen(app: &App, model: &Model) -> Option<String> {
    if let Some(a) = selected_allocation(app, model) {
        return Some(model.user_of(a).name.to_string());
    }
    let slot = match app.screen() {
        Screen::Table {
            scope: crate::table::Scope::User(slot),
            ..
        } => slot,
        Screen::Table {
            kind: TableKind::Users,
            ..
        } => match app.level().selected_key? {
            RowKey::User(slot) => slot,
            _ => return None,
        },
        _ => return None,
    };
    model.user(slot).map(|u| u.name.to_string())
}

/// What `K` would do now, or why it cannot (the hint bar's words).
pub fn target(app: &App, model: &Model, now: Time) -> Result<CancelTarget, &'static str> {
    if let CancelPolicy::Disabled(why) = app.cli.cancel {
        return Err(why);
    }
    let a = selected_allocation(app, model).ok_or("select an allocation")?;
    let endpoint = a.endpoint.0;
    let cli = app.cli.endpoint(endpoint).ok_or("no coturn CLI")?;
    if cli.state != CliState::Up {
        return Err("coturn CLI down");
    }
    if a.collision {
        return Err("id shared by two coturns");
    }
    match a.state(now) {
        Some(State::Live | State::Released | State::Unconfirmed | State::Expired) => {}
        _ => return Err("already ended"),
    }
    let user = model.user_of(a);
    let realm = model.realm_of(a);
    let server = model
        .endpoint(a.endpoint)
        .map_or_else(String::new, |e| e.label.clone());
    let at_realm = if realm.name.is_some() {
        format!(" @ {}", realm.display)
    } else {
        String::new()
    };
    Ok(CancelTarget {
        endpoint,
        id: a.id.0,
        question: format!(
            "Cancel allocation {} of {}{at_realm} on {server}? y/N",
            AllocationId(a.id.0).short(),
            user.display
        ),
    })
}
