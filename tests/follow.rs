//! The selection and the window when rows arrive above the selection (issue 14, item 2): until
//! the user moves it, the selection stays on the first row and the window at the top (a new
//! heavy hitter comes into view); once moved it follows its row (htop's follow), and `F`
//! toggles that off (it stays on its line) and on again; `g` pins it to the top again.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use turntop::app::{Action, App};
use turntop::table::{RowKey, TableKind};

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// One frame: `rows` (newest first) on a screen of `page` rows; returns (selected, offset).
fn frame(app: &mut App, rows: &[u32], page: usize) -> (usize, usize) {
    let keys: Vec<RowKey> = rows.iter().map(|u| RowKey::User(*u)).collect();
    let selected_at = app
        .level()
        .selected_key
        .and_then(|k| keys.iter().position(|r| *r == k));
    let shown = app.reconcile(keys.len(), page, selected_at);
    app.set_row_keys(0, keys);
    (app.level().selected, shown.start)
}

#[test]
fn new_top_rows_stay_in_view_until_the_user_moves() {
    let mut app = App::new(TableKind::Users);
    // Rows arrive one by one, each sorting above the others (sort -user: probe0040x first).
    let mut rows: Vec<u32> = Vec::new();
    for id in 10..=40 {
        rows.insert(0, id);
        let (selected, offset) = frame(&mut app, &rows, 16);
        assert_eq!(
            (selected, offset),
            (0, 0),
            "after {id}: the top stays in view"
        );
        assert_eq!(app.level().selected_key, Some(RowKey::User(id)));
    }
}

#[test]
fn a_moved_selection_follows_its_row_and_f_toggles_that() {
    let mut app = App::new(TableKind::Users);
    let mut rows: Vec<u32> = (0..10).rev().collect();
    frame(&mut app, &rows, 5);
    app.on_key(key('j'));
    app.on_key(key('j'));
    let (selected, _) = frame(&mut app, &rows, 5);
    assert_eq!(selected, 2);
    let followed = app.level().selected_key;
    assert_eq!(followed, Some(RowKey::User(7)));

    // Follow (the default): a row arrives above, the selection stays on row 7.
    rows.insert(0, 100);
    let (selected, _) = frame(&mut app, &rows, 5);
    assert_eq!((selected, app.level().selected_key), (3, followed));

    // F: follow off, the selection keeps its line while rows move under it.
    assert_eq!(app.on_key(key('F')), Action::None);
    assert!(!app.follow);
    rows.insert(0, 101);
    let (selected, _) = frame(&mut app, &rows, 5);
    assert_eq!(selected, 3);
    assert_eq!(app.level().selected_key, Some(RowKey::User(8)));

    // F again: it follows the row it is on now.
    app.on_key(key('F'));
    rows.insert(0, 102);
    let (selected, _) = frame(&mut app, &rows, 5);
    assert_eq!(
        (selected, app.level().selected_key),
        (4, Some(RowKey::User(8)))
    );

    // g: back to the top, pinned there again.
    app.on_key(key('g'));
    rows.insert(0, 103);
    let (selected, offset) = frame(&mut app, &rows, 5);
    assert_eq!((selected, offset), (0, 0));
    assert_eq!(app.level().selected_key, Some(RowKey::User(103)));
}

#[test]
fn follow_is_in_the_hint_bar_and_the_help() {
    let app = App::new(TableKind::Allocations);
    let hints = turntop::ui::hints::commands(&app);
    let follow = hints
        .iter()
        .find(|h| h.cmd == turntop::app::Command::Follow)
        .expect("follow");
    assert!(follow.bar.is_some() && follow.help_text.is_some());
    assert_eq!(app.keys.key_for(turntop::app::Command::Follow), "F");
}
