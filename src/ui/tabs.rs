//! The tab strip (one tab per top-level table) and the breadcrumbs of drilled levels.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::{App, Screen};
use crate::coturn::AllocationId;
use crate::model::Model;
use crate::table::{RowKey, Scope, TableKind};

fn scope_label(model: &Model, scope: Scope) -> Option<String> {
    match scope {
        Scope::All => None,
        Scope::Realm(slot) => model
            .realms()
            .find(|(s, _)| *s == slot)
            .map(|(_, r)| format!("realm {}", r.display)),
        Scope::User(slot) => model.user(slot).map(|u| {
            let realm = model.realm_of_user(u);
            format!(
                "user {} @ {}",
                if u.display.is_empty() {
                    "(none)"
                } else {
                    &u.display
                },
                realm.display
            )
        }),
    }
}

/// The breadcrumb of a drilled level: the realm or user it shows, or the allocation.
fn crumb(model: &Model, screen: Screen) -> Option<String> {
    match screen {
        Screen::Table { scope, .. } => scope_label(model, scope),
        Screen::Detail {
            key: RowKey::Allocation { id, .. },
        } => Some(format!("allocation {}", AllocationId(id).short())),
        Screen::Detail { .. } => None,
    }
}

pub(super) fn draw(f: &mut Frame, area: Rect, app: &App, model: &Model, theme: &Theme) {
    let top = app.top_kind();
    let mut spans = vec![Span::raw(" ")];
    for (i, kind) in TableKind::ALL.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", theme.dim));
        }
        let style = if *kind == top {
            theme.current_tab()
        } else {
            theme.base
        };
        spans.push(Span::styled(format!("{} {}", i + 1, kind.title()), style));
    }
    for level in app.stack.iter().skip(1) {
        if let Some(c) = crumb(model, level.screen) {
            spans.push(Span::styled(" › ", theme.dim));
            spans.push(Span::styled(c, theme.accent));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
