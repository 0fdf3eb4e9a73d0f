//! The filter language of `/` and `--filter` (pure).
//!
//! Whitespace-separated terms, all of which must match:
//! - `text`: substring (case-insensitive) of user, realm, id or remote address;
//! - `field=text`: substring of one field (`user`, `realm`, `id`, `remote`, `type`, `endpoint`);
//!   `state=` and `type=` compare whole words (`state=live` does not match `released`);
//! - `field>N`, `field<N`, `field>=N`, `field<=N` for numbers: `rate` (bytes/s, client + peer,
//!   both directions; `1MB`, `500k`, `8Mb` = bits), `bytes`, `age` and `left` (seconds or `5m`),
//!   `live` (allocation count);
//! - a leading `!` inverts a term.

use std::borrow::Cow;
use std::fmt;

use crate::format::{parse_duration, parse_quantity};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextField {
    Any,
    User,
    Realm,
    Id,
    Remote,
    Transport,
    State,
    Endpoint,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumField {
    Rate,
    Bytes,
    Age,
    Left,
    Live,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    Text(TextField, String),
    Num(NumField, Cmp, f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub negate: bool,
    pub test: Test,
}

/// A parsed filter. The empty filter matches everything.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Filter {
    pub terms: Vec<Term>,
    source: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FilterError(pub String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FilterError {}

/// What a row offers to the filter.
pub trait Filterable {
    /// The value of a text field (lower-cased comparison is done by the filter).
    fn text(&self, field: TextField) -> Option<Cow<'_, str>>;
    fn number(&self, field: NumField) -> Option<f64>;
}

impl Filter {
    pub fn parse(input: &str) -> Result<Filter, FilterError> {
        let mut terms = Vec::new();
        for word in input.split_whitespace() {
            let (negate, word) = match word.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, word),
            };
            if word.is_empty() {
                return Err(FilterError("'!' needs a term after it".into()));
            }
            terms.push(Term {
                negate,
                test: parse_test(word)?,
            });
        }
        Ok(Filter {
            terms,
            source: input.trim().to_owned(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn matches(&self, row: &impl Filterable) -> bool {
        self.terms.iter().all(|t| t.matches(row))
    }
}

impl Term {
    pub fn matches(&self, row: &impl Filterable) -> bool {
        self.test.matches(row) != self.negate
    }
}

fn text_field(name: &str) -> Option<TextField> {
    Some(match name {
        "user" | "u" => TextField::User,
        "realm" | "r" => TextField::Realm,
        "id" => TextField::Id,
        "remote" | "addr" | "ip" => TextField::Remote,
        "type" | "transport" | "t" => TextField::Transport,
        "state" | "s" => TextField::State,
        "endpoint" | "ep" | "server" => TextField::Endpoint,
        _ => return None,
    })
}

fn num_field(name: &str) -> Option<NumField> {
    Some(match name {
        "rate" => NumField::Rate,
        "bytes" | "total" => NumField::Bytes,
        "age" => NumField::Age,
        "left" | "lifetime" => NumField::Left,
        "live" | "allocs" | "allocations" => NumField::Live,
        _ => return None,
    })
}

fn parse_test(word: &str) -> Result<Test, FilterError> {
    let Some(op_at) = word.find(['=', '>', '<']) else {
        return Ok(Test::Text(TextField::Any, word.to_lowercase()));
    };
    let (name, rest) = word.split_at(op_at);
    let (cmp, value) = if let Some(v) = rest.strip_prefix(">=") {
        (Cmp::Ge, v)
    } else if let Some(v) = rest.strip_prefix("<=") {
        (Cmp::Le, v)
    } else if let Some(v) = rest.strip_prefix('>') {
        (Cmp::Gt, v)
    } else if let Some(v) = rest.strip_prefix('<') {
        (Cmp::Lt, v)
    } else {
        (Cmp::Eq, &rest[1..])
    };
    let name = name.to_lowercase();
    if let Some(field) = num_field(&name) {
        let n = match field {
            NumField::Age | NumField::Left => parse_duration(value),
            NumField::Live => value.parse::<f64>().ok(),
            NumField::Rate | NumField::Bytes => parse_quantity(value),
        }
        .ok_or_else(|| FilterError(format!("'{value}' is not a valid {name} value")))?;
        return Ok(Test::Num(field, cmp, n));
    }
    match text_field(&name) {
        Some(field) if cmp == Cmp::Eq => Ok(Test::Text(field, value.to_lowercase())),
        Some(_) => Err(FilterError(format!("'{name}' is text: use {name}=..."))),
        None => Err(FilterError(format!(
            "unknown field '{name}' (user, realm, id, remote, type, state, endpoint, rate, bytes, age, left, live)"
        ))),
    }
}

/// Which classes of characters a text holds, one bit per class: a text can only contain a
/// needle (case-insensitively) if it holds every class of [`needle_classes`]. Kept with an
/// allocation's address, it lets a filter skip reading most addresses at all.
pub fn char_classes(text: &str) -> u32 {
    if text.is_ascii() {
        text.bytes().fold(0, |m, b| m | class_bit(b))
    } else {
        // Unicode lower-casing can map anything to anything: claim every class.
        u32::MAX
    }
}

pub fn needle_classes(needle: &str) -> u32 {
    needle.bytes().fold(0, |m, b| m | class_bit(b))
}

/// Digits, hex letters and the punctuation of addresses get a class each; other letters
/// share ten; everything else (non-ASCII bytes included) one.
fn class_bit(b: u8) -> u32 {
    let b = b.to_ascii_lowercase();
    1 << match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => 10 + b - b'a',
        b'.' => 16,
        b':' => 17,
        b'[' => 18,
        b']' => 19,
        b'%' => 20,
        b'g'..=b'z' => 21 + (b - b'g') % 10,
        _ => 31,
    }
}

/// Whether a plain substring term looks at ids: they are digits and dots, so only a needle
/// made of those can match one (and no id is formatted for the others).
pub fn any_searches_id(needle: &str) -> bool {
    needle.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    // `needle` is already lower-case; most names are ASCII, so avoid allocating for them.
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        let Some(&first) = n.first() else {
            return true;
        };
        let first = first.to_ascii_lowercase();
        // Cheap first-byte test before comparing a window: filters scan 100k texts a frame.
        (0..(h.len() + 1).saturating_sub(n.len())).any(|i| {
            h[i].to_ascii_lowercase() == first && h[i..i + n.len()].eq_ignore_ascii_case(n)
        })
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

impl Test {
    pub fn matches(&self, row: &impl Filterable) -> bool {
        match self {
            Test::Text(TextField::Any, needle) => {
                [TextField::User, TextField::Realm, TextField::Remote]
                    .into_iter()
                    .chain(any_searches_id(needle).then_some(TextField::Id))
                    .any(|f| row.text(f).is_some_and(|v| contains_ci(&v, needle)))
            }
            // States are whole words; a transport matches by word too, but `tcp` also finds
            // `TLS/TCP` (it is a TCP transport).
            Test::Text(TextField::State, word) => row
                .text(TextField::State)
                .is_some_and(|v| v.eq_ignore_ascii_case(word)),
            Test::Text(TextField::Transport, word) => {
                row.text(TextField::Transport).is_some_and(|v| {
                    v.eq_ignore_ascii_case(word)
                        || v.split('/').any(|p| p.eq_ignore_ascii_case(word))
                })
            }
            Test::Text(field, needle) => row.text(*field).is_some_and(|v| contains_ci(&v, needle)),
            Test::Num(field, cmp, n) => row.number(*field).is_some_and(|v| match cmp {
                Cmp::Gt => v > *n,
                Cmp::Ge => v >= *n,
                Cmp::Lt => v < *n,
                Cmp::Le => v <= *n,
                Cmp::Eq => (v - n).abs() < 1e-9,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        user: &'static str,
        state: &'static str,
        transport: &'static str,
        rate: Option<f64>,
    }

    impl Filterable for Row {
        fn text(&self, f: TextField) -> Option<Cow<'_, str>> {
            match f {
                TextField::User => Some(self.user.into()),
                TextField::State => Some(self.state.into()),
                TextField::Transport => Some(self.transport.into()),
                TextField::Realm => Some("lab.example".into()),
                _ => None,
            }
        }
        fn number(&self, f: NumField) -> Option<f64> {
            match f {
                NumField::Rate => self.rate,
                _ => None,
            }
        }
    }

    const ALICE: Row = Row {
        user: "Alice",
        state: "live",
        transport: "TLS/TCP",
        rate: Some(2e6),
    };
    const BOB: Row = Row {
        user: "bob",
        state: "released",
        transport: "UDP",
        rate: None,
    };

    fn m(f: &str, r: &Row) -> bool {
        Filter::parse(f).unwrap().matches(r)
    }

    #[test]
    fn grammar() {
        assert!(m("", &ALICE));
        assert!(m("ali", &ALICE) && !m("ali", &BOB));
        assert!(m("LAB", &BOB), "realm substring, case-insensitive");
        assert!(m("user=bob", &BOB) && !m("user=bob", &ALICE));
        assert!(m("!user=bob", &ALICE) && !m("!user=bob", &BOB));
        assert!(
            m("state=live", &ALICE) && !m("state=live", &BOB),
            "whole word"
        );
        assert!(m("type=tcp", &ALICE), "TLS/TCP is a TCP transport");
        assert!(m("type=udp", &BOB) && !m("type=udp", &ALICE));
        assert!(!m("type=tc", &ALICE), "transport words are whole");
        assert!(
            m("rate>1MB", &ALICE) && !m("rate>1MB", &BOB),
            "no report is not a match"
        );
        assert!(m("rate>=16Mb", &ALICE) && !m("rate>17Mb", &ALICE));
        assert!(m("ali state=live rate<3M", &ALICE));
        assert_eq!(Filter::parse("  a  b ").unwrap().terms.len(), 2);
    }

    #[test]
    fn char_classes_never_rule_out_a_match() {
        let texts = [
            "192.168.1.5:40000",
            "[2001:db8::1%eth0]:3478",
            "Émile:1",
            "",
            "x",
        ];
        let needles = ["", "168", "db8", "ETH", "user1", "é", "1%e", ":", "z"];
        for t in texts {
            for n in needles {
                let n = n.to_lowercase();
                if contains_ci(t, &n) {
                    assert_eq!(needle_classes(&n) & !char_classes(t), 0, "{t} {n}");
                }
            }
        }
        assert_ne!(
            needle_classes("user1") & !char_classes("192.168.1.5:40000"),
            0,
            "a name is ruled out of an address"
        );
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            Filter::parse("colour=red")
                .unwrap_err()
                .0
                .split(' ')
                .take(3)
                .collect::<Vec<_>>(),
            ["unknown", "field", "'colour'"]
        );
        assert!(Filter::parse("rate>fast").unwrap_err().0.contains("'fast'"));
        assert!(Filter::parse("user>3").unwrap_err().0.contains("text"));
        assert!(Filter::parse("!").is_err());
    }
}
