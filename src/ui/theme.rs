//! Colours. Every state is also visible without colour (glyphs, bold, dim, reverse), so
//! `NO_COLOR`, 16-colour and light terminals all work.

use ratatui::style::{Color, Modifier, Style};

use crate::coturn::Leg;
use crate::model::State;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
    serde::Deserialize,
    serde::Serialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    /// No colour at all (what `NO_COLOR` / `--no-color` select).
    None,
}

/// A word in the header drawn reversed, so it is seen at a glance: what kind of data this is,
/// or that the screen is frozen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Badge {
    Demo,
    Replay,
    Frozen,
}

#[derive(Clone, Debug)]
pub struct Theme {
    pub base: Style,
    pub title: Style,
    pub header: Style,
    pub table_header: Style,
    pub selected: Style,
    pub dim: Style,
    pub live: Style,
    pub released: Style,
    pub expired: Style,
    pub deleted: Style,
    pub good: Style,
    pub warn: Style,
    pub bad: Style,
    pub accent: Style,
    pub key: Style,
    pub client: Style,
    pub peer: Style,
    pub no_data: Style,
}

impl Theme {
    pub fn new(name: ThemeName) -> Theme {
        let plain = Style::default();
        let bold = plain.add_modifier(Modifier::BOLD);
        match name {
            ThemeName::None => Theme {
                base: plain,
                title: bold,
                header: plain,
                table_header: bold.add_modifier(Modifier::UNDERLINED),
                selected: plain.add_modifier(Modifier::REVERSED),
                dim: plain.add_modifier(Modifier::DIM),
                live: plain,
                released: plain.add_modifier(Modifier::ITALIC),
                expired: bold,
                deleted: plain.add_modifier(Modifier::DIM),
                good: plain,
                warn: bold,
                bad: bold.add_modifier(Modifier::REVERSED),
                accent: bold,
                key: bold,
                client: plain,
                peer: plain,
                no_data: plain.add_modifier(Modifier::DIM),
            },
            ThemeName::Dark | ThemeName::Light => {
                let dark = name == ThemeName::Dark;
                // Named ANSI colours only, so 16-colour terminals and the user's palette decide
                // the actual shades; the light theme avoids yellow/cyan on white.
                let (accent, client, peer, warn) = if dark {
                    (Color::Cyan, Color::Green, Color::Magenta, Color::Yellow)
                } else {
                    (Color::Blue, Color::Green, Color::Magenta, Color::Red)
                };
                Theme {
                    base: plain,
                    title: bold.fg(accent),
                    header: plain,
                    table_header: bold.add_modifier(Modifier::UNDERLINED),
                    selected: plain.add_modifier(Modifier::REVERSED),
                    dim: plain.add_modifier(Modifier::DIM),
                    live: plain.fg(Color::Green),
                    released: plain.fg(accent),
                    expired: bold.fg(warn),
                    deleted: plain.add_modifier(Modifier::DIM),
                    good: plain.fg(Color::Green),
                    warn: bold.fg(warn),
                    bad: bold.fg(Color::Red),
                    accent: plain.fg(accent),
                    key: bold.fg(accent),
                    client: plain.fg(client),
                    peer: plain.fg(peer),
                    no_data: plain.add_modifier(Modifier::DIM),
                }
            }
        }
    }
}

impl Theme {
    /// The client or the peer side of an allocation (its rates, sparklines, chart lines).
    pub fn leg(&self, leg: Leg) -> Style {
        match leg {
            Leg::Client => self.client,
            Leg::Peer => self.peer,
        }
    }

    /// An allocation's state (its glyph and word, and the LEFT of an expired one).
    pub fn state(&self, state: State) -> Style {
        match state {
            State::Live => self.live,
            State::Released => self.released,
            State::Expired => self.expired,
            State::Deleted => self.deleted,
        }
    }

    pub fn badge(&self, badge: Badge) -> Style {
        let base = match badge {
            Badge::Demo | Badge::Frozen => self.warn,
            Badge::Replay => self.accent,
        };
        base.add_modifier(Modifier::REVERSED)
    }

    /// The tab of the table on screen.
    pub fn current_tab(&self) -> Style {
        self.title.add_modifier(Modifier::REVERSED)
    }
}
