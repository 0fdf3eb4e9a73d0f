//! The one list of commands a screen offers: the hint bar shows the main ones, the help shows
//! all of them, and both take the keys from the [`KeyMap`](crate::app::KeyMap).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::popup::sort_menu;
use super::{Theme, fit_line};
use crate::app::{App, Command, Mode, Screen, ZOOM_LEVELS};
use crate::format;
use crate::table::TableKind;

/// One command as the hint bar and the help show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Hint {
    pub cmd: Command,
    /// Its place in the hint bar (lowest first: the bar leads with what is used most, the help
    /// groups by topic) and its label there; `None`: not in the bar.
    pub bar: Option<(u8, &'static str)>,
    /// Its line in the help; `None`: not in the help (another line tells its key).
    pub help_text: Option<String>,
}

fn hint(cmd: Command, bar: Option<(u8, &'static str)>, help_text: Option<String>) -> Hint {
    Hint {
        cmd,
        bar,
        help_text,
    }
}

/// The commands of the current screen in the help's order (the mode does not matter: the help
/// and the bar of a popup are about the screen below it).
pub fn commands(app: &App) -> Vec<Hint> {
    let key = |cmd| app.keys.key_for(cmd);
    let table = match app.screen() {
        Screen::Table { kind, .. } => Some(kind),
        Screen::Detail { .. } => None,
    };
    // A place in the bar on a table, or on the detail screen.
    let place = |on_table: Option<u8>, on_detail: Option<u8>, text| {
        if table.is_some() { on_table } else { on_detail }.map(|p| (p, text))
    };
    let drill = match table {
        Some(TableKind::Realms) => "users",
        Some(TableKind::Users | TableKind::Servers) => "allocations",
        Some(TableKind::Allocations) | None => "detail",
        Some(TableKind::Problems) => "subject",
    };
    let drilled = app.stack.len() > 1;
    let freeze = if app.frozen { "unfreeze" } else { "freeze" };
    let follow = if app.follow {
        "follow on"
    } else {
        "follow off"
    };
    let zoom_range = format!(
        "{} … {}",
        format::duration(ZOOM_LEVELS[0]),
        format::duration(ZOOM_LEVELS[ZOOM_LEVELS.len() - 1])
    );
    let text = |s: &str| Some(s.to_owned());
    let mut list = vec![
        hint(
            Command::Up,
            None,
            Some(format!(
                "move down / up (also {} {}, {} {}, {} {})",
                key(Command::PageUp),
                key(Command::PageDown),
                key(Command::HalfPageUp),
                key(Command::HalfPageDown),
                key(Command::Top),
                key(Command::Bottom)
            )),
        ),
        hint(Command::Down, place(None, Some(2), "scroll log"), None),
        hint(
            Command::Enter,
            place(Some(6), None, drill),
            text("open: realm → users → allocations → detail; problem → subject"),
        ),
        hint(
            Command::Back,
            place(drilled.then_some(7), Some(1), "back"),
            text("back up one level"),
        ),
        hint(
            Command::NextView,
            place(Some(8), None, "view"),
            Some(format!(
                "next view ({} alloc. {} users {} realms {} problems {} servers)",
                key(Command::Allocations),
                key(Command::Users),
                key(Command::Realms),
                key(Command::Problems),
                key(Command::Servers)
            )),
        ),
        hint(
            Command::Filter,
            place(Some(3), None, "filter"),
            Some(format!(
                "filter (kept after Esc; {} clears)",
                key(Command::ClearFilter)
            )),
        ),
        hint(
            Command::SortNext,
            place(Some(4), None, "sort"),
            Some(format!(
                "sort by the next column ({} previous)",
                key(Command::SortPrev)
            )),
        ),
        hint(
            Command::SortReverse,
            place(Some(5), None, "reverse"),
            text("reverse the sort"),
        ),
        hint(
            Command::SortMenu,
            None,
            text("choose the sort column from a menu"),
        ),
        hint(
            Command::Freeze,
            place(Some(9), Some(4), freeze),
            text("freeze the screen (data keeps arriving)"),
        ),
        hint(
            Command::ZoomIn,
            place(Some(10), Some(3), "zoom"),
            Some(format!(
                "zoom the history window in ({} out): {zoom_range}",
                key(Command::ZoomOut)
            )),
        ),
        hint(Command::Units, None, text("rates in bytes/s or bits/s")),
        hint(
            Command::Suspend,
            None,
            text("suspend to the shell (fg resumes)"),
        ),
        hint(
            Command::Follow,
            place(Some(10), None, follow),
            text("follow: a moved selection stays on its row (off: on its line)"),
        ),
        hint(Command::Quit, place(Some(1), Some(6), "quit"), text("quit")),
        hint(Command::Help, place(Some(2), Some(5), "help"), None),
    ];
    let on_allocations = matches!(table, Some(TableKind::Allocations) | None);
    if on_allocations && app.cli.endpoints.iter().any(Option::is_some) {
        list.push(hint(
            Command::Cancel,
            // Early in the bar: the reason it cannot cancel must show on narrow terminals too.
            place(Some(3), Some(2), cancel_label(&app.cancel)),
            text("cancel the selected allocation through coturn's CLI (asks first)"),
        ));
    }
    if app.replay {
        let pause = if app.paused { "resume" } else { "pause" };
        list.extend([
            hint(
                Command::Pause,
                place(Some(11), None, pause),
                text("pause / resume the replay (and its clock)"),
            ),
            hint(
                Command::Step,
                place(Some(12), None, "step"),
                text("step: deliver the next message (pauses first)"),
            ),
        ]);
    }
    list
}

/// `K`'s label: what it does, or why it cannot now.
fn cancel_label(cancel: &Result<crate::app::CancelTarget, &'static str>) -> &'static str {
    match cancel {
        Ok(_) => "cancel",
        Err("read-only") => "cancel: read-only",
        Err("replay") => "cancel: replay",
        Err("demo") => "cancel: demo",
        Err("select an allocation") => "cancel: select one",
        Err("no coturn CLI") => "cancel: no CLI",
        Err("coturn CLI down") => "cancel: CLI down",
        Err("id shared by two coturns") => "cancel: id shared",
        Err("already ended") => "cancel: ended",
        Err(_) => "cancel: unavailable",
    }
}

/// The bar's (key, label) pairs in the bar's order.
fn bar_items(app: &App) -> Vec<(String, &'static str)> {
    let mut items: Vec<(u8, Command, &'static str)> = commands(app)
        .into_iter()
        .filter_map(|h| h.bar.map(|(place, text)| (place, h.cmd, text)))
        .collect();
    items.sort_by_key(|(place, ..)| *place);
    items
        .into_iter()
        .map(|(_, cmd, text)| (app.keys.key_for(cmd), text))
        .collect()
}

/// The filter editor takes its keys as typed (they are text), so they are not in the KeyMap.
const FILTER_HINT: &str = " type a filter: text, user=, realm=, type=tcp, state=expired, rate>1MB, !term   Enter/Esc done   ^U clear";

pub(super) fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let spans = match &app.mode {
        Mode::Filter { .. } => vec![Span::raw(FILTER_HINT)],
        Mode::SortMenu(_) => vec![Span::raw(sort_menu::hint(&app.keys))],
        Mode::Help => vec![Span::raw(
            " j k PgDn PgUp scroll the help · any other key closes it",
        )],
        Mode::Normal => {
            // Whole items, by their place in the bar: never `f fre`. coturn's CLI's message
            // (why `K` cannot cancel, what `cs` answered) comes first.
            let message =
                app.cli.message.iter().map(|m| {
                    fit_line::Item::new(0, vec![Span::styled(format!(" {m} "), theme.warn)])
                });
            let items = message
                .chain(
                    bar_items(app)
                        .into_iter()
                        .enumerate()
                        .map(|(i, (key, text))| {
                            let spans = vec![
                                Span::styled(format!(" {key}"), theme.key),
                                Span::raw(format!(" {text} ")),
                            ];
                            fit_line::Item::new(if i < 2 { 0 } else { i as u8 }, spans)
                        }),
                )
                .collect();
            let line = fit_line::fit(items, area.width);
            f.render_widget(Paragraph::new(line).style(theme.base), area);
            return;
        }
    };
    f.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::table::{RowKey, Scope};

    fn bar(app: &App) -> String {
        bar_items(app)
            .iter()
            .map(|(k, t)| format!("{k} {t}"))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    #[test]
    fn the_bar_leads_with_quit_and_help_and_names_the_drill_target() {
        let mut app = App::new(TableKind::Realms);
        assert_eq!(
            bar(&app),
            "q quit · ? help · / filter · s sort · r reverse · Enter users · Tab view · f freeze · + zoom · F follow on"
        );
        app.frozen = true;
        app.replay = true;
        assert!(bar(&app).ends_with("f unfreeze · + zoom · F follow on · p pause · n step"));
    }

    #[test]
    fn drilled_tables_offer_back_and_the_detail_screen_its_own_bar() {
        let mut app = App::new(TableKind::Users);
        app.stack.push(app.stack[0].clone());
        app.stack[1].screen = Screen::Table {
            kind: TableKind::Allocations,
            scope: Scope::User(0),
        };
        assert!(bar(&app).contains("Enter detail · Esc back · Tab view"));
        app.stack[1].screen = Screen::Detail {
            key: RowKey::Allocation { slot: 0, id: 1 },
        };
        assert_eq!(
            bar(&app),
            "Esc back · j scroll log · + zoom · f freeze · ? help · q quit"
        );
    }

    #[test]
    fn keys_come_from_the_keymap() {
        let mut app = App::new(TableKind::Allocations);
        app.keys.rebind(Command::Quit, &["x".into()]).unwrap();
        app.keys.rebind(Command::SortPrev, &["F9".into()]).unwrap();
        assert!(bar(&app).starts_with("x quit · "));
        let help: Vec<String> = commands(&app)
            .into_iter()
            .filter_map(|h| h.help_text)
            .collect();
        assert!(help.contains(&"sort by the next column (F9 previous)".to_owned()));
        // And the remapped key does what the bar says.
        let x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(app.on_key(x), crate::app::Action::Quit);
    }

    #[test]
    fn the_help_explains_every_command_of_the_bar() {
        let mut app = App::new(TableKind::Allocations);
        app.replay = true;
        let list = commands(&app);
        for h in &list {
            // Down is told in Up's line; Help is how one got there.
            if h.bar.is_some() && !matches!(h.cmd, Command::Down | Command::Help) {
                assert!(h.help_text.is_some(), "{:?} has no help", h.cmd);
            }
        }
        let unique: std::collections::HashSet<Command> = list.iter().map(|h| h.cmd).collect();
        assert_eq!(unique.len(), list.len(), "each command once");
    }
}
