//! What coturn's CLI adds to the screen (pure): its state and count check in the header, the
//! PEERS cell, and the detail screen's lines marked as coming from the CLI. Names and addresses
//! were sanitized by the parser.

use ratatui::text::{Line, Span};

use super::Theme;
use crate::coturn_cli::view::{CliState, CliView, EndpointCli};
use crate::format;
use crate::model::{Allocation, Time};

/// After an endpoint's connection: `CLI ●`, `CLI ◌`, `CLI ✗ <why>`, then coturn's count against
/// turntop's when they have differed for longer than events in flight.
pub(super) fn header_spans(
    spans: &mut Vec<Span<'_>>,
    cli: Option<&EndpointCli>,
    now: Time,
    theme: &Theme,
) {
    let Some(cli) = cli else { return };
    match &cli.state {
        CliState::Up => spans.push(Span::styled(" CLI ●", theme.good)),
        CliState::Connecting => spans.push(Span::styled(" CLI ◌", theme.warn)),
        CliState::Down(why) => spans.push(Span::styled(format!(" CLI ✗ {why}"), theme.bad)),
    }
    if let Some((coturn, ours)) = cli.count_mismatch(now) {
        spans.push(Span::styled(
            format!(" coturn {coturn} ≠ turntop {ours} sessions"),
            theme.bad,
        ));
    }
    if let Some(p) = &cli.problem {
        spans.push(Span::styled(format!(" CLI: {p}"), theme.warn));
    }
    if let Some(c) = &cli.capped {
        spans.push(Span::styled(format!(" CLI capped ({c})"), theme.dim));
    }
}

/// The PEERS cell: the count of peers coturn lists, empty when the CLI has not told.
pub(super) fn peers_cell(view: &CliView, a: &Allocation) -> String {
    view.session(a.endpoint.0, a.id.0)
        .map_or_else(String::new, |s| s.peers.len().to_string())
}

fn field(name: &str, value: String, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:>12} "), theme.dim),
        Span::raw(value),
    ])
}

/// The detail screen's lines from the CLI, under a heading that says so; nothing when the
/// endpoint has no CLI.
pub(super) fn detail_lines(view: &CliView, a: &Allocation, theme: &Theme) -> Vec<Line<'static>> {
    let Some(ep) = view.endpoint(a.endpoint.0) else {
        return Vec::new();
    };
    let mut lines = vec![Line::styled(
        format!("── from coturn's CLI {} ──", ep.addr),
        theme.dim,
    )];
    let Some(s) = ep.sessions.get(&a.id.0) else {
        let why = match &ep.state {
            CliState::Up if a.ended_at.is_some() => "ended: coturn lists it no more".to_owned(),
            CliState::Up => "not listed (yet) by coturn's ps".to_owned(),
            CliState::Connecting => "connecting".to_owned(),
            CliState::Down(why) => why.clone(),
        };
        lines.push(field("", why, theme));
        return lines;
    };
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    let on_off = |b: Option<bool>| match b {
        Some(true) => "on",
        Some(false) => "off",
        None => "?",
    };
    lines.push(field("peers", list(&s.peers), theme));
    lines.push(field("relay", list(&s.relay), theme));
    lines.push(field(
        "protocols",
        format!(
            "client {}, relay {}",
            s.client_protocol.as_deref().unwrap_or("?"),
            s.relay_protocol.as_deref().unwrap_or("?")
        ),
        theme,
    ));
    if let Some(o) = &s.origin {
        lines.push(field("origin", o.clone(), theme));
    }
    if let Some(cap) = s.bps_cap {
        lines.push(field("bps cap", format!("{}/s", format::bytes(cap)), theme));
    }
    lines.push(field(
        "flags",
        format!(
            "fingerprints {}, mobile {}",
            on_off(s.fingerprints),
            on_off(s.mobile)
        ),
        theme,
    ));
    lines
}
