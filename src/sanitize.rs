//! Strings from Redis (users, realms, addresses) come from the network. Before they can reach a
//! terminal, every control character and every bidirectional-text override is replaced by a
//! visible, inert escape, so a username can neither move the cursor nor reorder what is drawn.

use std::borrow::Cow;
use std::fmt::Write;

fn is_dangerous(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2060}'..='\u{2069}' // word joiner .. isolates
            | '\u{061C}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// What a user or realm without a name (coturn `--no-auth`, realm-less servers) is called on
/// screen, in table and CSV output and in the filter (`user=(none)`): one word, so a filter
/// can select it. JSON keeps the data itself (`""`, `null`).
pub const UNNAMED: &str = "(none)";

/// A user or realm name as it may reach a terminal: sanitized, or [`UNNAMED`] when it has none.
pub fn display_name(name: Option<&str>) -> String {
    match name {
        Some(n) if !n.is_empty() => sanitize(n),
        _ => UNNAMED.to_owned(),
    }
}

/// The text the filter matches for a name: the raw name, or [`UNNAMED`] when it has none.
pub fn filter_name(name: Option<&str>) -> &str {
    match name {
        Some(n) if !n.is_empty() => n,
        _ => UNNAMED,
    }
}

/// Replace dangerous characters with `\xNN` / `\u{NNNN}` escapes.
pub fn sanitize(s: &str) -> String {
    sanitize_cow(s).into_owned()
}

pub fn sanitize_cow(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_dangerous(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(sanitize("alice"), "alice");
        assert_eq!(sanitize("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(sanitize("x\u{202E}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(sanitize("tab\there\r\n"), "tab\\x09here\\x0d\\x0a");
        assert_eq!(sanitize("\u{9b}2J"), "\\x9b2J");
        assert_eq!(sanitize("ünïcødé 名前"), "ünïcødé 名前");
    }

    #[test]
    fn output_never_contains_dangerous_chars() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!sanitize(&all).chars().any(is_dangerous));
    }
}
