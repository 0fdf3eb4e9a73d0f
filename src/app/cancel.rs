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

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::app::Action;
    use crate::coturn::{EventKind, channel_name};
    use crate::coturn_cli::view::{CliEvent, EndpointCli};

    const NEW: &[u8] =
        b"new lifetime=600, type=UDP, local=10.0.0.1:3478, remote=10.0.0.9:4000, ssl=NONE, cipher=NONE";

    /// alice's allocation 0.243 @ meet.example.com on eu-1, live at 100 s.
    fn model() -> Model {
        let mut m = Model::default();
        let ep = m.add_endpoint("eu-1");
        let status = channel_name(
            Some("meet.example.com"),
            "alice",
            AllocationId(243),
            EventKind::Status,
        );
        m.apply_raw(ep, 100.0, &status, NEW);
        m
    }

    fn app_on_it(m: &Model, cli: Option<CliState>) -> App {
        let a = m.allocations().next().expect("one allocation");
        let mut app = App::new(TableKind::Allocations);
        app.stack.push(super::super::Level::new(Screen::Detail {
            key: RowKey::Allocation {
                slot: a.slot,
                id: a.id.0,
            },
        }));
        if let Some(state) = cli {
            app.cli.endpoints = vec![Some(EndpointCli::new("127.0.0.1:5766"))];
            app.cli.apply(0, CliEvent::State(state), 100.0, 1);
        }
        app
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn k_asks_naming_the_allocation_and_y_cancels_it() {
        let m = model();
        let mut app = app_on_it(&m, Some(CliState::Up));
        app.cancel = target(&app, &m, 101.0);
        assert_eq!(app.on_key(key('K')), Action::None);
        assert_eq!(
            app.confirm.message(),
            Some("Cancel allocation 0.243 of alice @ meet.example.com on eu-1? y/N")
        );
        assert_eq!(
            app.on_key(key('y')),
            Action::Cancel {
                endpoint: 0,
                id: 243
            }
        );
        // Any other key: nothing is cancelled.
        app.on_key(key('K'));
        assert_eq!(app.on_key(key('n')), Action::None);
        assert!(!app.confirm.is_visible());
    }

    #[test]
    fn k_is_refused_with_the_reason() {
        let m = model();
        let cases: [(Option<CliState>, CancelPolicy, &str); 5] = [
            (None, CancelPolicy::Allowed, "no coturn CLI"),
            (
                Some(CliState::Connecting),
                CancelPolicy::Allowed,
                "coturn CLI down",
            ),
            (
                Some(CliState::Down("authentication failed".into())),
                CancelPolicy::Allowed,
                "coturn CLI down",
            ),
            (
                Some(CliState::Up),
                CancelPolicy::Disabled("read-only"),
                "read-only",
            ),
            (None, CancelPolicy::Disabled("replay"), "replay"),
        ];
        for (state, policy, why) in cases {
            let mut app = app_on_it(&m, state);
            app.cli.cancel = policy;
            app.cancel = target(&app, &m, 101.0);
            assert_eq!(app.cancel, Err(why));
            assert_eq!(app.on_key(key('K')), Action::None);
            assert!(!app.confirm.is_visible(), "{why}");
            assert_eq!(
                app.cli.message.as_deref(),
                Some(format!("cannot cancel: {why}").as_str())
            );
        }
    }

    #[test]
    fn a_collided_id_is_not_cancelled() {
        let mut m = model();
        // Another coturn (another listener) publishes a `new` for the same id: both rows are
        // flagged, and `cs` could end the other coturn's session.
        let status = channel_name(
            Some("meet.example.com"),
            "alice",
            AllocationId(243),
            EventKind::Status,
        );
        m.apply_raw(
            crate::model::EndpointId(0),
            101.0,
            &status,
            b"new lifetime=600, type=UDP, local=10.0.0.2:3478, remote=10.0.0.8:4000",
        );
        assert!(m.allocations().all(|a| a.collision));
        let app = app_on_it(&m, Some(CliState::Up));
        assert_eq!(target(&app, &m, 102.0), Err("id shared by two coturns"));
    }

    #[test]
    fn the_user_on_screen_is_the_selected_allocations() {
        let m = model();
        let app = app_on_it(&m, None);
        assert_eq!(user_on_screen(&app, &m).as_deref(), Some("alice"));
        let top = App::new(TableKind::Realms);
        assert_eq!(user_on_screen(&top, &m), None);
    }
}
