//! The filter language of `/` and `--filter` (pure). [`LANGUAGE`] is its documentation, as the
//! man page prints it; the README says the same.
//!
//! A field is any column name of [`crate::column`] (`server=`, `cli-rx>1MB`, `last>30s`); the
//! value is read as the column's [`ValueKind`] says.

use std::borrow::Cow;
use std::fmt;

use crate::addr::Net;
use crate::column::{self, Col, ValueKind};
use crate::format::{Amount, parse_bytes, parse_count, parse_duration_amount, parse_rate};

/// The filter language, for the man page and `--help`.
pub const LANGUAGE: &str = "\
Whitespace-separated terms; a row is shown when every term matches.
  alice            user, realm, remote address or id contains it (case-insensitive)
  alice|bob        either: any term, and any field value, takes alternatives
  user=alice       one field contains it: user realm id server remote (and the other text
                   columns); every column name on screen works as a field name
  state=live       whole words: live unconfirmed released expired deleted
  type=udp         the transport a row runs over: type=udp matches UDP and DTLS, type=tcp
                   TCP and TLS/TCP; type=dtls and type=tls only the secure ones
  remote=192.0.2.0/24, remote=2001:db8::/32, 192.0.2.0/24
                   addresses in a range (IPv4 or IPv6)
  rate>1MB         numbers: > < >= <= =, on rate bytes age left last live users exp ended
                   and the rate columns cli-rx cli-tx peer-rx peer-tx client peer
  rate>8Mbps       units: B (bytes) or b/bit (bits), SI k M G T (1000) or IEC Ki Mi Gi Ti
                   (1024), /s or ps optional on rates: 1.5MB, 10KB/s, 8Mbps, 500kbit, 1GiB;
                   a bare number is bytes (per second for rates)
  age>5m           durations: 90, 90s, 5m, 1h30m, 2d
  rate=1.2MB       = matches what rounds to the number typed (1.15MB to 1.25MB); rate=0 the
                   rates shown as 0
  !state=deleted   a leading ! inverts a term
  user=(none)      allocations without a user (coturn --no-auth); realm=(none) the same";

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

/// One value a text term looks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Needle {
    /// Lower-cased: a substring of names, addresses and ids; a whole word of states and
    /// transports.
    Text(String),
    /// An address range: the remote address is inside it.
    Net(Net),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// `alice`, `10.0.3`, `192.0.2.0/24`: any needle in the user, realm, remote address or id.
    Any(Vec<Needle>),
    /// `user=alice|bob`, `remote=10.0.0.0/8`, `state=live`, `type=udp`: any needle in one
    /// text column.
    Text(Col, Vec<Needle>),
    /// `rate>1MB`, `live=3|4`: a number column against any of the amounts.
    Num(Col, Cmp, Vec<Amount>),
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

/// What a row offers to the filter: the text or the number of a column.
pub trait Filterable {
    fn text(&self, col: Col) -> Option<Cow<'_, str>>;
    fn number(&self, col: Col) -> Option<f64>;
}

/// What an unnamed user or realm is called everywhere, the filter included.
pub use crate::sanitize::UNNAMED;

const STATES: [&str; 5] = ["live", "unconfirmed", "released", "expired", "deleted"];

/// Transport words `type=` takes (any `a/b` transport as coturn writes it works too).
const TRANSPORTS: [&str; 5] = ["udp", "tcp", "tls", "dtls", "sctp"];

impl Filter {
    pub fn parse(input: &str) -> Result<Filter, FilterError> {
        let mut terms = Vec::new();
        for word in input.split_whitespace() {
            let (negate, rest) = match word.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, word),
            };
            if rest.is_empty() {
                return Err(FilterError(
                    "'!' needs a term after it (!state=deleted)".into(),
                ));
            }
            if rest.starts_with('!') {
                return Err(FilterError(format!(
                    "'{word}': one ! inverts a term; two would cancel out"
                )));
            }
            terms.push(Term {
                negate,
                test: parse_test(rest)?,
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

    /// A note for a filter with a term about a column a view lacks (`live>3` on allocations):
    /// such a term never matches there, so the filter shows nothing (or, inverted, excludes
    /// nothing). `has` says which columns the view has.
    pub fn inapplicable(&self, view: &str, has: impl Fn(Col) -> bool) -> Option<String> {
        let term = self.terms.iter().find(|t| match &t.test {
            Test::Any(_) => false,
            Test::Text(col, _) | Test::Num(col, _, _) => !has(*col),
        })?;
        let (Test::Text(col, _) | Test::Num(col, _, _)) = &term.test else {
            return None;
        };
        Some(if term.negate {
            format!(
                "{view} have no {}: !{} excludes nothing",
                col.title(),
                col.name()
            )
        } else {
            format!(
                "{view} have no {}: {} never matches",
                col.title(),
                col.name()
            )
        })
    }
}

impl Term {
    pub fn matches(&self, row: &impl Filterable) -> bool {
        self.test.matches(row) != self.negate
    }
}

fn parse_test(word: &str) -> Result<Test, FilterError> {
    let Some(op_at) = word.find(['=', '>', '<']) else {
        return Ok(Test::Any(needles(word, None)?));
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
    let Some(col) = Col::parse(name) else {
        return Err(FilterError(format!(
            "unknown field '{name}': fields are {}",
            column::names(Col::ALL)
        )));
    };
    let name = col.name();
    if col == Col::Peers {
        // Known only for the user on screen (coturn's CLI is asked about one user at a time).
        return Err(FilterError(
            "peers comes from coturn's CLI, for the user on screen only: it cannot be filtered on"
                .into(),
        ));
    }
    if value.is_empty() {
        let hint = match col {
            Col::User | Col::Realm => format!(" ({name}=(none) selects those without one)"),
            _ => String::new(),
        };
        return Err(FilterError(format!(
            "{name}{} needs a value{hint}",
            &rest[..1]
        )));
    }
    let kind = col.value_kind();
    if kind == ValueKind::Text {
        if cmp != Cmp::Eq {
            return Err(FilterError(format!("{name} is text: use {name}=...")));
        }
        return Ok(Test::Text(col, needles(value, Some(col))?));
    }
    let amounts = value
        .split('|')
        .map(|v| {
            if v.is_empty() {
                return Err(FilterError(format!(
                    "'{value}': an empty alternative (write a|b, not a||b or a|)"
                )));
            }
            let (parsed, example) = match kind {
                ValueKind::Rate => (parse_rate(v), "1.5MB, 10KB/s, 8Mbps or 500kbit"),
                ValueKind::Bytes => (parse_bytes(v), "10MB, 1GiB or 500k (no /s)"),
                ValueKind::Duration => (parse_duration_amount(v), "90, 90s, 5m or 1h30m"),
                ValueKind::Count | ValueKind::Text => (parse_count(v), "a whole number, e.g. 3"),
            };
            parsed.ok_or_else(|| {
                FilterError(format!(
                    "'{v}' is not a valid {name} value: write {example}"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Test::Num(col, cmp, amounts))
}

/// The alternatives of a text value (`alice|bob`), checked for what the column can hold.
fn needles(value: &str, col: Option<Col>) -> Result<Vec<Needle>, FilterError> {
    value
        .split('|')
        .map(|v| {
            if v.is_empty() {
                return Err(FilterError(format!(
                    "'{value}': an empty alternative (write a|b, not a||b or a|)"
                )));
            }
            let lower = v.to_lowercase();
            match col {
                Some(Col::State) if !STATES.contains(&lower.as_str()) => Err(FilterError(format!(
                    "'{v}' is not a state: states are {}",
                    STATES.join(" ")
                ))),
                Some(Col::Type) if !(TRANSPORTS.contains(&lower.as_str()) || v.contains('/')) => {
                    Err(FilterError(format!(
                        "'{v}' is not a transport: write {} (or tls/tcp)",
                        TRANSPORTS.join(" ")
                    )))
                }
                None | Some(Col::Remote) if v.contains('/') => match Net::parse(v) {
                    Some(net) => Ok(Needle::Net(net)),
                    // A name may hold a `/`: a bare term that is no range stays a substring.
                    None if col.is_none() => Ok(Needle::Text(lower)),
                    None => Err(FilterError(format!(
                        "'{v}' is not an address range: write 192.0.2.0/24 or 2001:db8::/32"
                    ))),
                },
                _ => Ok(Needle::Text(lower)),
            }
        })
        .collect()
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

pub fn contains_ci(haystack: &str, needle: &str) -> bool {
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

/// Whether a transport as coturn writes it (`UDP`, `TCP`, `TLS/TCP`, `DTLS`) runs over or is
/// `word`: `udp` is UDP and DTLS (DTLS runs over UDP), `tcp` is TCP and TLS/TCP, `tls` and
/// `dtls` only the secure ones, `tls/tcp` exactly that.
pub fn transport_is(transport: &str, word: &str) -> bool {
    transport.eq_ignore_ascii_case(word)
        || transport.split('/').any(|p| p.eq_ignore_ascii_case(word))
        || (word == "udp" && transport.eq_ignore_ascii_case("dtls"))
}

impl Needle {
    /// Whether a text of `col` holds this needle.
    fn found_in(&self, col: Col, text: &str) -> bool {
        match (self, col) {
            (Needle::Text(word), Col::State) => text.eq_ignore_ascii_case(word),
            (Needle::Text(word), Col::Type) => transport_is(text, word),
            (Needle::Text(needle), _) => contains_ci(text, needle),
            (Needle::Net(net), Col::Remote) => net.contains_text(text),
            (Needle::Net(_), _) => false,
        }
    }
}

impl Test {
    pub fn matches(&self, row: &impl Filterable) -> bool {
        match self {
            Test::Any(needles) => needles.iter().any(|n| {
                let cols: &[Col] = match n {
                    Needle::Text(t) if any_searches_id(t) => {
                        &[Col::User, Col::Realm, Col::Remote, Col::Id]
                    }
                    Needle::Text(_) => &[Col::User, Col::Realm, Col::Remote],
                    Needle::Net(_) => &[Col::Remote],
                };
                cols.iter()
                    .any(|&c| row.text(c).is_some_and(|v| n.found_in(c, &v)))
            }),
            Test::Text(col, needles) => row
                .text(*col)
                .is_some_and(|v| needles.iter().any(|n| n.found_in(*col, &v))),
            Test::Num(col, cmp, amounts) => row.number(*col).is_some_and(|v| {
                amounts.iter().any(|a| match cmp {
                    Cmp::Gt => v > a.value,
                    Cmp::Ge => v >= a.value,
                    Cmp::Lt => v < a.value,
                    Cmp::Le => v <= a.value,
                    Cmp::Eq => v >= a.value - a.step / 2.0 && v < a.value + a.step / 2.0,
                })
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
        remote: &'static str,
        rate: Option<f64>,
    }

    impl Filterable for Row {
        fn text(&self, c: Col) -> Option<Cow<'_, str>> {
            match c {
                Col::User => Some(self.user.into()),
                Col::State => Some(self.state.into()),
                Col::Type => Some(self.transport.into()),
                Col::Remote => Some(self.remote.into()),
                Col::Realm => Some("lab.example".into()),
                _ => None,
            }
        }
        fn number(&self, c: Col) -> Option<f64> {
            match c {
                Col::Rate => self.rate,
                _ => None,
            }
        }
    }

    const ALICE: Row = Row {
        user: "Alice",
        state: "live",
        transport: "TLS/TCP",
        remote: "192.0.2.10:2220",
        rate: Some(2e6),
    };
    const BOB: Row = Row {
        user: "bob",
        state: "released",
        transport: "UDP",
        remote: "[2001:db8::7]:3478",
        rate: None,
    };
    const DTLS: Row = Row {
        user: "",
        state: "live",
        transport: "DTLS",
        remote: "198.51.100.1:9",
        rate: Some(0.3),
    };

    fn m(f: &str, r: &Row) -> bool {
        Filter::parse(f).unwrap().matches(r)
    }

    fn err(f: &str) -> String {
        Filter::parse(f).unwrap_err().0
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
        assert!(
            m("rate>1MB", &ALICE) && !m("rate>1MB", &BOB),
            "no report is not a match"
        );
        assert!(m("rate>=16Mb", &ALICE) && !m("rate>17Mb", &ALICE));
        assert!(m("ali state=live rate<3M", &ALICE));
        assert_eq!(Filter::parse("  a  b ").unwrap().terms.len(), 2);
    }

    #[test]
    fn units_si_iec_bits_and_bytes() {
        assert!(m("rate>8Mbps", &ALICE) && !m("rate>16Mbps", &ALICE));
        assert!(m("rate>500kbit", &ALICE) && m("rate<2MiB/s", &ALICE));
        assert!(m("rate>1.8MiB", &ALICE) && !m("rate>1.91MiB", &ALICE));
        assert!(Filter::parse("bytes>1GiB").is_ok());
        assert!(
            err("bytes>1GB/s").contains("no /s"),
            "a rate is no byte count"
        );
        assert!(err("rate>fast").contains("'fast'") && err("rate>fast").contains("8Mbps"));
    }

    #[test]
    fn equality_is_to_the_precision_typed() {
        assert!(m("rate=0", &DTLS), "0.3 B/s shows as 0B/s");
        assert!(m("rate=2MB", &ALICE) && m("rate=2.0MB", &ALICE));
        assert!(!m("rate=2.1MB", &ALICE) && !m("rate=0", &BOB));
    }

    #[test]
    fn transports_match_what_they_run_over() {
        assert!(m("type=tcp", &ALICE), "TLS/TCP runs over TCP");
        assert!(m("type=tls", &ALICE) && m("type=tls/tcp", &ALICE));
        assert!(m("type=udp", &BOB) && !m("type=udp", &ALICE));
        assert!(m("type=udp", &DTLS), "DTLS runs over UDP");
        assert!(m("type=dtls", &DTLS) && !m("type=dtls", &BOB));
        assert!(!m("type=tls", &DTLS), "tls is not dtls");
        assert!(err("type=tc").contains("not a transport"));
        assert!(err("state=alive").contains("live unconfirmed released expired deleted"));
    }

    #[test]
    fn alternatives_and_address_ranges() {
        assert!(m("user=alice|bob", &ALICE) && m("user=alice|bob", &BOB));
        assert!(!m("user=alice|bob", &DTLS));
        assert!(m("ali|bo", &BOB) && m("state=live|released", &BOB));
        assert!(m("rate=2MB|3MB", &ALICE) && !m("rate=1MB|3MB", &ALICE));
        assert!(m("remote=192.0.2.0/24", &ALICE) && !m("remote=192.0.2.0/24", &BOB));
        assert!(m("remote=2001:db8::/32", &BOB) && !m("remote=2001:db8::/32", &ALICE));
        assert!(m("192.0.2.0/24", &ALICE) && m("192.0.2.0/24|2001:db8::/32", &BOB));
        assert!(m("!remote=10.0.0.0/8", &ALICE));
        assert!(err("remote=192.0.2/24").contains("not an address range"));
        assert!(err("user=alice|").contains("empty alternative"));
    }

    #[test]
    fn unnamed_users_and_screen_names() {
        struct Unnamed;
        impl Filterable for Unnamed {
            fn text(&self, c: Col) -> Option<Cow<'_, str>> {
                matches!(c, Col::User | Col::Realm).then_some(UNNAMED.into())
            }
            fn number(&self, c: Col) -> Option<f64> {
                (c == Col::LastReport).then_some(42.0)
            }
        }
        assert!(m_any("user=(none) realm=(none)", &Unnamed));
        assert!(m_any("last>30s last<1m LAST=42", &Unnamed));
        assert!(!m_any("server=x", &Unnamed));
    }

    fn m_any(f: &str, r: &impl Filterable) -> bool {
        Filter::parse(f).unwrap().matches(r)
    }

    #[test]
    fn errors_name_the_problem_and_the_fix() {
        let e = err("colour=red");
        assert!(
            e.starts_with("unknown field 'colour': fields are user realm id server"),
            "{e}"
        );
        assert!(err("user>3").contains("text"));
        assert!(err("!").contains("needs a term"));
        assert!(
            err("!!alice").contains("one !"),
            "!! is not a double negation"
        );
        assert!(err("user=").contains("needs a value"));
        assert!(Filter::parse("cli-rx>1MB peer>1k exp>0 ended=1 users>2").is_ok());
    }

    #[test]
    fn inapplicable_terms_are_named() {
        let f = Filter::parse("live>3").unwrap();
        let allocations = |c: Col| c != Col::Live;
        assert_eq!(
            f.inapplicable("allocations", allocations).as_deref(),
            Some("allocations have no LIVE: live never matches")
        );
        let f = Filter::parse("!type=udp").unwrap();
        assert!(
            f.inapplicable("users", |c| c == Col::User)
                .unwrap()
                .contains("excludes nothing")
        );
        assert_eq!(
            Filter::parse("alice")
                .unwrap()
                .inapplicable("users", |_| false),
            None
        );
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
}
