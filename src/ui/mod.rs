//! Drawing (no I/O, no clock reads: `now` is passed in). `draw` lays out the screen and hands
//! each part to its module: `header`, `tabs`, the body (`table` or `detail`), `hints`, then the
//! popup of the mode (`popup`). The body goes first: drawing a table reconciles the selection
//! with this frame's rows, and its pass over the allocations yields the header's totals.

mod coturn_cli;
mod detail;
mod fit_line;
mod header;
pub mod hints;
mod popup;
mod problems_badge;
mod scope_chart;
mod sparkline;
mod table;
mod tabs;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{App, Command, Mode, Screen};
use crate::model::{Model, Time};
use crate::table::Ctx;
pub use header::{HeaderInfo, SourceInfo};
pub use sparkline::sparkline_spans;
pub use table::{HitMap, fit_columns};
pub use theme::{Theme, ThemeName};

/// The smallest screen turntop draws into.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub fn draw(
    f: &mut Frame,
    app: &mut App,
    model: &Model,
    now: Time,
    info: &HeaderInfo,
    theme: &Theme,
) -> HitMap {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area, app, theme);
        return HitMap::default();
    }
    let [header, tabs, body, hints] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let ctx = Ctx {
        model,
        now,
        units: app.units,
    };
    let (hit, totals) = match app.screen() {
        Screen::Table { kind, scope } => {
            let window = app.history_window();
            let body = scope_chart::draw(f, body, &ctx, scope, window, theme);
            table::draw(f, body, app, &ctx, kind, scope, theme)
        }
        Screen::Detail { key } => {
            detail::draw(f, body, app, &ctx, key, theme);
            (HitMap::default(), None)
        }
    };
    let totals = totals.unwrap_or_else(|| model.totals(now));
    app.cancel = crate::app::cancel_target(app, model, now);
    header::draw(f, header, &ctx, info, app, &totals, theme);
    tabs::draw(f, tabs, app, model, theme);
    hints::draw(f, hints, app, theme);
    match &app.mode {
        Mode::Help => popup::help::draw(f, area, app, theme),
        Mode::SortMenu(menu) => {
            let kind = app.current_table_kind();
            popup::sort_menu::draw(f, body, menu, kind, app.sort(kind), theme);
        }
        Mode::Normal | Mode::Filter { .. } => {}
    }
    popup::confirm::draw(f, body, &app.confirm, theme);
    hit
}

fn too_small(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let msg = format!(
        "Terminal too small: {}×{}\nturntop needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n\n{} quits",
        area.width,
        area.height,
        app.keys.key_for(Command::Quit)
    );
    f.render_widget(
        Paragraph::new(msg)
            .style(theme.warn)
            .wrap(Wrap { trim: true }),
        area,
    );
}
