//! Pure parser of coturn's admin-CLI answers (`ps`, `pu`), as coturn 4.6.1 prints them
//! (`print_session` in `turn_admin_server.c`; same format at 4.17.1). Input is the text between
//! a command and the next prompt, telnet already stripped. Network text (users, realms, origins,
//! addresses) is sanitized here, so nothing unsanitized leaves this module. Never panics; an
//! answer without its `Total sessions` line is reported as truncated.

use crate::sanitize::sanitize;

/// One session of a `ps` answer: what Redis does not carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CliSession {
    /// The allocation id of the Redis channels.
    #[serde(skip)]
    pub id: u64,
    #[serde(skip)]
    pub user: String,
    #[serde(skip)]
    pub realm: Option<String>,
    pub origin: Option<String>,
    pub client_protocol: Option<String>,
    pub relay_protocol: Option<String>,
    #[serde(skip)]
    pub client_addr: Option<String>,
    #[serde(skip)]
    pub server_addr: Option<String>,
    /// Relay addresses (an IPv4 and an IPv6 one when both were allocated).
    pub relay: Vec<String>,
    pub fingerprints: Option<bool>,
    pub mobile: Option<bool>,
    /// `Max throughput`, bytes per second.
    pub bps_cap: Option<u64>,
    pub tls_method: Option<String>,
    pub tls_cipher: Option<String>,
    /// Peer addresses (permissions and channels), as coturn lists them.
    pub peers: Vec<String>,
}

/// A `ps` answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PsAnswer {
    pub sessions: Vec<CliSession>,
    /// `Total sessions: N`: all matching sessions, also those not printed.
    pub total: u64,
    /// coturn printed only `cli-max-output-sessions` of them and asked to refine the request.
    pub capped: bool,
}

/// A `pu` answer: sessions per user and the total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PuAnswer {
    pub users: Vec<(String, u64)>,
    pub total: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// No `Total sessions` line: the answer was cut short.
    Truncated,
    /// A line this parser does not know where it must know it (sanitized, shortened).
    Unexpected(String),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Truncated => write!(f, "truncated answer (no `Total sessions` line)"),
            ParseError::Unexpected(l) => write!(f, "unexpected line `{l}`"),
        }
    }
}

fn unexpected(line: &str) -> ParseError {
    let short: String = line.chars().take(60).collect();
    ParseError::Unexpected(sanitize(&short))
}

/// `Total sessions: 7` → 7.
fn total_line(line: &str) -> Option<u64> {
    line.strip_prefix("Total sessions:")?.trim().parse().ok()
}

/// `2) id=000000000000000002, user <alice>:` → (2, "alice"). A user name may itself hold
/// `>` or `, user <`: the id is read from the left, the name up to the final `>:`.
fn session_head(line: &str) -> Option<(u64, String)> {
    let (n, rest) = line.split_once(") id=")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (id, rest) = rest.split_once(", user <")?;
    let id = id.parse().ok()?;
    let user = rest.strip_suffix(">:")?;
    Some((id, sanitize(user)))
}

fn on_off(v: &str) -> Option<bool> {
    match v.trim() {
        "ON" => Some(true),
        "OFF" => Some(false),
        _ => None,
    }
}

fn text(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| sanitize(v))
}

/// Parses a `ps` / `ps <user>` / `psp <str>` answer.
pub fn parse_ps(answer: &str) -> Result<PsAnswer, ParseError> {
    let mut out = PsAnswer::default();
    let mut total = None;
    let mut in_peers = false;
    for raw in answer.lines() {
        let line = raw.trim();
        if line.is_empty() {
            in_peers = false;
            continue;
        }
        if let Some((id, user)) = session_head(line) {
            in_peers = false;
            out.sessions.push(CliSession {
                id,
                user,
                ..CliSession::default()
            });
            continue;
        }
        if let Some(t) = total_line(line) {
            total = Some(t);
            continue;
        }
        if line == "..." || line.starts_with("Warning: too many output sessions") {
            out.capped = true;
            in_peers = false;
            continue;
        }
        let Some(s) = out.sessions.last_mut() else {
            // The rest of the refine warning, or a banner: only known lines matter before the
            // first session.
            continue;
        };
        if total.is_some() || out.capped {
            continue;
        }
        if in_peers {
            if let Some(p) = text(line) {
                s.peers.push(p);
            }
            continue;
        }
        session_line(s, line, &mut in_peers);
    }
    out.total = total.ok_or(ParseError::Truncated)?;
    let printed = out.sessions.len() as u64;
    if printed > out.total || (!out.capped && printed != out.total) {
        return Err(ParseError::Unexpected(format!(
            "{printed} sessions printed, `Total sessions: {}`",
            out.total
        )));
    }
    Ok(out)
}

/// One line inside a session block; unknown lines are ignored (a later coturn may add some).
fn session_line(s: &mut CliSession, line: &str, in_peers: &mut bool) {
    if line == "peers:" {
        *in_peers = true;
    } else if let Some(v) = line.strip_prefix("realm:") {
        s.realm = text(v);
    } else if let Some(v) = line.strip_prefix("origin:") {
        s.origin = text(v);
    } else if let Some(v) = line.strip_prefix("client protocol ") {
        let (client, relay) = match v.split_once(", relay protocol ") {
            Some((c, r)) => (text(c), text(r)),
            None => (text(v), None),
        };
        s.client_protocol = client;
        s.relay_protocol = relay;
    } else if let Some(v) = line.strip_prefix("client addr ") {
        let (client, server) = match v.split_once(", server addr ") {
            Some((c, r)) => (text(c), text(r)),
            None => (text(v), None),
        };
        s.client_addr = client;
        s.server_addr = server;
    } else if let Some(v) = line.strip_prefix("relay addr ") {
        s.relay.extend(text(v));
    } else if let Some(v) = line.strip_prefix("fingerprints enforced:") {
        s.fingerprints = on_off(v);
    } else if let Some(v) = line.strip_prefix("mobile:") {
        s.mobile = on_off(v);
    } else if let Some(v) = line.strip_prefix("Max throughput:") {
        s.bps_cap = v
            .trim()
            .strip_suffix("bytes per second")
            .and_then(|n| n.trim().parse().ok());
    } else if let Some(v) = line.strip_prefix("TLS method:") {
        s.tls_method = text(v);
    } else if let Some(v) = line.strip_prefix("TLS cipher:") {
        s.tls_cipher = text(v);
    }
}

/// Parses a `pu` answer (`user: <alice>, 6 sessions` lines and the total).
pub fn parse_pu(answer: &str) -> Result<PuAnswer, ParseError> {
    let mut out = PuAnswer::default();
    let mut total = None;
    for raw in answer.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(t) = total_line(line) {
            total = Some(t);
        } else if let Some(rest) = line.strip_prefix("user: <") {
            let (user, n) = rest.rsplit_once(">, ").ok_or_else(|| unexpected(line))?;
            let n = n
                .strip_suffix(" sessions")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| unexpected(line))?;
            out.users.push((sanitize(user), n));
        } else {
            return Err(unexpected(line));
        }
    }
    out.total = total.ok_or(ParseError::Truncated)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_with_every_optional_line() {
        let text = "\r\n    1) id=001000000000000012, user <bob>:\r\n      realm: r.example\r\n      \
                    origin: https://meet.example.com\r\n      started: undefined time\r\n      \
                    expired\r\n      client protocol TLS/TCP, relay protocol UDP\r\n      \
                    client addr 192.0.2.1:5000, server addr 192.0.2.2:5349\r\n      \
                    relay addr 192.0.2.2:50000\r\n      relay addr [2001:db8::1]:50001\r\n      \
                    TLS method: TLSv1.3\r\n      TLS cipher: TLS_AES_256_GCM_SHA384\r\n      \
                    fingerprints enforced: OFF\r\n      mobile: ON\r\n      \
                    Max throughput: 1000 bytes per second\r\n      usage: rp=1, rb=2, sp=3, sb=4\r\n\
                    \x20      rate: r=0, s=0, total=0 (bytes per sec)\r\n      peers:\r\n          \
                    198.51.100.7:4000\r\n\r\n  Total sessions: 1\r\n\r\n";
        let a = parse_ps(text).unwrap();
        assert!(!a.capped);
        assert_eq!(a.total, 1);
        let s = &a.sessions[0];
        assert_eq!((s.id, s.user.as_str()), (1_000_000_000_000_012, "bob"));
        assert_eq!(s.origin.as_deref(), Some("https://meet.example.com"));
        assert_eq!(s.client_protocol.as_deref(), Some("TLS/TCP"));
        assert_eq!(s.relay_protocol.as_deref(), Some("UDP"));
        assert_eq!(s.relay, ["192.0.2.2:50000", "[2001:db8::1]:50001"]);
        assert_eq!(s.tls_method.as_deref(), Some("TLSv1.3"));
        assert_eq!(
            (s.fingerprints, s.mobile, s.bps_cap),
            (Some(false), Some(true), Some(1000))
        );
        assert_eq!(s.peers, ["198.51.100.7:4000"]);
    }

    #[test]
    fn control_characters_in_names_are_sanitized() {
        let text =
            "    1) id=1, user <a\x1b[2Jb>:\r\n      origin: x\x07y\r\n\r\n  Total sessions: 1\r\n";
        let a = parse_ps(text).unwrap();
        assert!(!a.sessions[0].user.contains('\x1b'));
        assert!(
            !a.sessions[0]
                .origin
                .as_deref()
                .unwrap_or("")
                .contains('\x07')
        );
    }

    #[test]
    fn truncated_and_inconsistent_answers_are_errors() {
        let head = "    1) id=1, user <a>:\r\n      realm: r\r\n";
        assert_eq!(parse_ps(head), Err(ParseError::Truncated));
        assert!(matches!(
            parse_ps(&format!("{head}\r\n  Total sessions: 2\r\n")),
            Err(ParseError::Unexpected(_))
        ));
        assert_eq!(
            parse_pu("    user: <a>, 1 sessions\r\n"),
            Err(ParseError::Truncated)
        );
        assert!(matches!(
            parse_pu("garbage\r\n  Total sessions: 0\r\n"),
            Err(ParseError::Unexpected(_))
        ));
    }

    #[test]
    fn user_names_with_angle_brackets() {
        let a =
            parse_ps("  1) id=5, user <x>:y, user <z>:\r\n\r\n  Total sessions: 1\r\n").unwrap();
        assert_eq!(a.sessions[0].user, "x>:y, user <z");
        let p = parse_pu("    user: <a>, b>, 2 sessions\r\n  Total sessions: 2\r\n").unwrap();
        assert_eq!(p.users, [("a>, b".to_string(), 2)]);
    }
}
