//! Pure parsing of what coturn publishes to Redis (`--redis-statsdb`).
//!
//! Channel: `turn/realm/<realm>/user/<user>/allocation/<18 digits>/<event>` or, without a realm,
//! `turn/user/<user>/allocation/<18 digits>/<event>`. The user comes from the network and may
//! contain `/`, so the channel is read from the right (event, id) and from the left (realm),
//! and whatever is left in the middle is the user.
//!
//! Nothing here allocates on the hot path: parsed values borrow from the input.

use std::fmt;

/// The Redis glob patterns that catch every event of both channel shapes.
pub const SUBSCRIBE_PATTERNS: [&str; 2] = [
    "turn/realm/*/user/*/allocation/*",
    "turn/user/*/allocation/*",
];
/// The SCAN pattern of the status keys coturn keeps in Redis.
pub const STATUS_KEY_PATTERN: &str = "turn/*/allocation/*/status";

const ID_DIGITS: usize = 18;

/// An allocation id: `relay_thread_id * 10^15 + per-thread counter`, printed with 18 digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct AllocationId(pub u64);

impl AllocationId {
    /// The relay thread that owns the allocation.
    pub fn relay_thread(self) -> u64 {
        self.0 / 1_000_000_000_000_000
    }
    /// The per-thread counter: the short form shown in narrow tables.
    pub fn counter(self) -> u64 {
        self.0 % 1_000_000_000_000_000
    }
    /// `<thread>.<counter>`, e.g. `1.12` for `001000000000000012`.
    pub fn short(self) -> String {
        format!("{}.{}", self.relay_thread(), self.counter())
    }
}

impl fmt::Display for AllocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:018}", self.0)
    }
}

/// Which side of the relay a traffic report is about.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Leg {
    /// client <-> relay (`traffic`, `total_traffic`)
    Client,
    /// relay <-> all peers together (`traffic/peer`, `total_traffic/peer`)
    Peer,
}

/// The last segment(s) of the channel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EventKind {
    Status,
    /// A delta since the previous report of this allocation.
    Traffic(Leg),
    /// Cumulative for the whole allocation, sent once after `deleted`.
    TotalTraffic(Leg),
}

impl EventKind {
    pub fn suffix(self) -> &'static str {
        match self {
            EventKind::Status => "status",
            EventKind::Traffic(Leg::Client) => "traffic",
            EventKind::Traffic(Leg::Peer) => "traffic/peer",
            EventKind::TotalTraffic(Leg::Client) => "total_traffic",
            EventKind::TotalTraffic(Leg::Peer) => "total_traffic/peer",
        }
    }
}

#[cfg(test)]
// Longest first where one suffix ends another (`/total_traffic/peer` is not a `/traffic/peer`
// because of the `_`, but keep the order explicit anyway).
const KINDS: [EventKind; 5] = [
    EventKind::TotalTraffic(Leg::Peer),
    EventKind::Traffic(Leg::Peer),
    EventKind::TotalTraffic(Leg::Client),
    EventKind::Traffic(Leg::Client),
    EventKind::Status,
];

/// A parsed channel name (or status key name, which has the same shape).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Channel<'a> {
    /// `None` for realm-less servers (`--no-auth`); `Some("")` is a realm that is empty.
    pub realm: Option<&'a str>,
    /// May be empty (sessions closed before authentication, `--no-auth`).
    pub user: &'a str,
    pub id: AllocationId,
    pub kind: EventKind,
}

/// Why a message could not be understood.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ParseError {
    /// The channel is not a `turn/.../allocation/<id>/...` channel at all.
    NotTurnChannel,
    /// It looks like an allocation channel but the last segment is no event we know.
    UnknownEvent,
    /// The allocation id is not 18 decimal digits.
    BadId,
    /// The payload is not valid UTF-8.
    NotUtf8,
    /// A status payload whose first word is not `new`, `refreshed` or `deleted`.
    UnknownStatus,
    /// A traffic payload missing one of `rcvp`, `rcvb`, `sentp`, `sentb`.
    MissingCounter(&'static str),
    /// A field whose value is not a number that fits.
    BadNumber(&'static str),
}

impl ParseError {
    /// Unknown-but-well-formed input is counted apart from garbage: a newer coturn may add
    /// event kinds, and an operator should be able to tell that from corruption.
    pub fn is_unknown(&self) -> bool {
        matches!(self, ParseError::UnknownEvent | ParseError::UnknownStatus)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::NotTurnChannel => f.write_str("not a coturn allocation channel"),
            ParseError::UnknownEvent => f.write_str("unknown event kind"),
            ParseError::BadId => f.write_str("allocation id is not 18 digits"),
            ParseError::NotUtf8 => f.write_str("payload is not UTF-8"),
            ParseError::UnknownStatus => f.write_str("unknown status word"),
            ParseError::MissingCounter(k) => write!(f, "traffic payload lacks {k}="),
            ParseError::BadNumber(k) => write!(f, "{k}= is not a valid number"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parse a channel name or a status key name.
pub fn parse_channel(channel: &str) -> Result<Channel<'_>, ParseError> {
    let (rest, kind) = split_event(channel)?;
    // rest = <prefix>/allocation/<18 digits>
    if rest.len() < ID_DIGITS {
        return Err(ParseError::NotTurnChannel);
    }
    let (before_id, id_str) = rest.split_at(rest.len() - ID_DIGITS);
    let prefix = before_id.strip_suffix("/allocation/").ok_or_else(|| {
        if before_id.contains("/allocation/") {
            ParseError::BadId
        } else {
            ParseError::NotTurnChannel
        }
    })?;
    let id = parse_id(id_str)?;
    let (realm, user) = if let Some(after) = prefix.strip_prefix("turn/realm/") {
        // The realm is server configuration; the user is the untrusted part that may hold
        // `/user/`, so the realm ends at the first `/user/`.
        let at = find_user_separator(after).ok_or(ParseError::NotTurnChannel)?;
        (Some(&after[..at]), &after[at + "/user/".len()..])
    } else if let Some(user) = prefix.strip_prefix("turn/user/") {
        (None, user)
    } else {
        return Err(ParseError::NotTurnChannel);
    };
    Ok(Channel {
        realm,
        user,
        id,
        kind,
    })
}

fn split_event(channel: &str) -> Result<(&str, EventKind), ParseError> {
    // Dispatch on the last byte so a message costs one suffix comparison, not five.
    let candidates: &[EventKind] = match channel.as_bytes().last() {
        Some(b's') => &[EventKind::Status],
        Some(b'c') => &[
            EventKind::TotalTraffic(Leg::Client),
            EventKind::Traffic(Leg::Client),
        ],
        Some(b'r') => &[
            EventKind::TotalTraffic(Leg::Peer),
            EventKind::Traffic(Leg::Peer),
        ],
        _ => &[],
    };
    for &kind in candidates {
        if let Some(rest) = channel.strip_suffix(kind.suffix())
            && let Some(rest) = rest.strip_suffix('/')
            && ends_with_id(rest)
        {
            return Ok((rest, kind));
        }
    }
    // Tell "a newer event kind on a real allocation channel" from "not ours at all".
    match channel.rfind("/allocation/") {
        Some(at) if channel.starts_with("turn/") => {
            let tail = &channel[at + "/allocation/".len()..];
            let id_part = tail.split('/').next().unwrap_or("");
            if id_part.len() == ID_DIGITS && id_part.bytes().all(|b| b.is_ascii_digit()) {
                Err(ParseError::UnknownEvent)
            } else {
                Err(ParseError::BadId)
            }
        }
        _ => Err(ParseError::NotTurnChannel),
    }
}

/// Position of the first `/user/` (a plain scan: building a substring searcher per message
/// costs more than the search).
fn find_user_separator(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'/') {
        let at = i + off;
        if b[at..].starts_with(b"/user/") {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

fn ends_with_id(s: &str) -> bool {
    s.len() > ID_DIGITS + "/allocation/".len()
        && s.as_bytes()[s.len() - ID_DIGITS..]
            .iter()
            .all(u8::is_ascii_digit)
        && s[..s.len() - ID_DIGITS].ends_with("/allocation/")
}

fn parse_id(s: &str) -> Result<AllocationId, ParseError> {
    if s.len() != ID_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadId);
    }
    s.parse().map(AllocationId).map_err(|_| ParseError::BadId)
}

/// The four counters of one traffic report, from the server's point of view.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    pub rcvp: u64,
    pub rcvb: u64,
    pub sentp: u64,
    pub sentb: u64,
}

impl Counters {
    /// Saturating: a hostile publisher must not be able to make us panic or wrap.
    pub fn add(&mut self, other: &Counters) {
        self.rcvp = self.rcvp.saturating_add(other.rcvp);
        self.rcvb = self.rcvb.saturating_add(other.rcvb);
        self.sentp = self.sentp.saturating_add(other.sentp);
        self.sentb = self.sentb.saturating_add(other.sentb);
    }
    pub fn sub(&mut self, other: &Counters) {
        self.rcvp = self.rcvp.saturating_sub(other.rcvp);
        self.rcvb = self.rcvb.saturating_sub(other.rcvb);
        self.sentp = self.sentp.saturating_sub(other.sentp);
        self.sentb = self.sentb.saturating_sub(other.sentb);
    }
    pub fn bytes(&self) -> u64 {
        self.rcvb.saturating_add(self.sentb)
    }
    pub fn packets(&self) -> u64 {
        self.rcvp.saturating_add(self.sentp)
    }
}

/// The fields of a `new` / `refreshed` status. Every field is optional: servers before
/// Oct 2021 send only `lifetime`, and later ones may add keys we do not know.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StatusFields<'a> {
    pub lifetime: Option<u32>,
    pub transport: Option<&'a str>,
    pub local: Option<&'a str>,
    pub remote: Option<&'a str>,
    pub ssl: Option<&'a str>,
    pub cipher: Option<&'a str>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status<'a> {
    New(StatusFields<'a>),
    /// `lifetime=0` means the client released the allocation; `deleted` follows.
    Refreshed(StatusFields<'a>),
    Deleted,
}

/// A fully parsed message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Payload<'a> {
    Status(Status<'a>),
    Traffic(Leg, Counters),
    TotalTraffic(Leg, Counters),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Message<'a> {
    pub channel: Channel<'a>,
    pub payload: Payload<'a>,
}

/// Parse one published message (channel + payload bytes).
pub fn parse_message<'a>(channel: &'a str, payload: &'a [u8]) -> Result<Message<'a>, ParseError> {
    let channel = parse_channel(channel)?;
    let text = std::str::from_utf8(payload).map_err(|_| ParseError::NotUtf8)?;
    let payload = parse_payload(channel.kind, text)?;
    Ok(Message { channel, payload })
}

pub fn parse_payload(kind: EventKind, text: &str) -> Result<Payload<'_>, ParseError> {
    match kind {
        EventKind::Status => parse_status(text).map(Payload::Status),
        EventKind::Traffic(leg) => parse_counters(text).map(|c| Payload::Traffic(leg, c)),
        EventKind::TotalTraffic(leg) => parse_counters(text).map(|c| Payload::TotalTraffic(leg, c)),
    }
}

pub fn parse_status(text: &str) -> Result<Status<'_>, ParseError> {
    let text = text.trim();
    let (word, rest) = match text.split_once(' ') {
        Some((w, r)) => (w, r),
        None => (text, ""),
    };
    match word {
        "deleted" => Ok(Status::Deleted),
        "new" => parse_status_fields(rest).map(Status::New),
        "refreshed" => parse_status_fields(rest).map(Status::Refreshed),
        _ => Err(ParseError::UnknownStatus),
    }
}

fn fields(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.split(',').filter_map(|f| f.trim().split_once('='))
}

fn parse_status_fields(text: &str) -> Result<StatusFields<'_>, ParseError> {
    let mut out = StatusFields::default();
    for (key, value) in fields(text) {
        match key {
            "lifetime" => {
                out.lifetime = Some(
                    value
                        .parse()
                        .map_err(|_| ParseError::BadNumber("lifetime"))?,
                )
            }
            "type" => out.transport = Some(value),
            "local" => out.local = Some(value),
            "remote" => out.remote = Some(value),
            "ssl" => out.ssl = Some(value),
            "cipher" => out.cipher = Some(value),
            _ => {}
        }
    }
    Ok(out)
}

pub fn parse_counters(text: &str) -> Result<Counters, ParseError> {
    if let Some(c) = parse_counters_exact(text.as_bytes()) {
        return Ok(c);
    }
    parse_counters_general(text)
}

/// The exact shape coturn writes (`rcvp=N, rcvb=N, sentp=N, sentb=N`), parsed in one pass over
/// the bytes. Anything else (other order, spaces, unknown keys, overflow) falls back to the
/// general parser, which also produces the error.
fn parse_counters_exact(b: &[u8]) -> Option<Counters> {
    fn field(b: &[u8], pos: &mut usize, key: &[u8], last: bool) -> Option<u64> {
        let rest = b.get(*pos..)?;
        if !rest.starts_with(key) {
            return None;
        }
        *pos += key.len();
        let start = *pos;
        let mut v: u64 = 0;
        while let Some(&d) = b.get(*pos).filter(|d| d.is_ascii_digit()) {
            v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            *pos += 1;
        }
        if *pos == start {
            return None;
        }
        if last {
            (*pos == b.len()).then_some(v)
        } else {
            b.get(*pos..*pos + 2).filter(|sep| *sep == b", ")?;
            *pos += 2;
            Some(v)
        }
    }
    let mut pos = 0;
    Some(Counters {
        rcvp: field(b, &mut pos, b"rcvp=", false)?,
        rcvb: field(b, &mut pos, b"rcvb=", false)?,
        sentp: field(b, &mut pos, b"sentp=", false)?,
        sentb: field(b, &mut pos, b"sentb=", true)?,
    })
}

fn parse_counters_general(text: &str) -> Result<Counters, ParseError> {
    let (mut rcvp, mut rcvb, mut sentp, mut sentb) = (None, None, None, None);
    for (key, value) in fields(text) {
        let (slot, name) = match key {
            "rcvp" => (&mut rcvp, "rcvp"),
            "rcvb" => (&mut rcvb, "rcvb"),
            "sentp" => (&mut sentp, "sentp"),
            "sentb" => (&mut sentb, "sentb"),
            _ => continue,
        };
        *slot = Some(
            value
                .parse::<u64>()
                .map_err(|_| ParseError::BadNumber(name))?,
        );
    }
    Ok(Counters {
        rcvp: rcvp.ok_or(ParseError::MissingCounter("rcvp"))?,
        rcvb: rcvb.ok_or(ParseError::MissingCounter("rcvb"))?,
        sentp: sentp.ok_or(ParseError::MissingCounter("sentp"))?,
        sentb: sentb.ok_or(ParseError::MissingCounter("sentb"))?,
    })
}

/// Build the channel coturn would publish on: the inverse of [`parse_channel`], used by the demo
/// generator and tests so that everything goes through the real parser.
pub fn channel_name(realm: Option<&str>, user: &str, id: AllocationId, kind: EventKind) -> String {
    match realm {
        Some(r) => format!(
            "turn/realm/{r}/user/{user}/allocation/{id}/{}",
            kind.suffix()
        ),
        None => format!("turn/user/{user}/allocation/{id}/{}", kind.suffix()),
    }
}

/// Format a traffic payload exactly as coturn does.
pub fn counters_payload(c: &Counters) -> String {
    format!(
        "rcvp={}, rcvb={}, sentp={}, sentb={}",
        c.rcvp, c.rcvb, c.sentp, c.sentb
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_channel() {
        let c =
            parse_channel("turn/realm/lab.example/user/alice/allocation/001000000000000012/status")
                .unwrap();
        assert_eq!(c.realm, Some("lab.example"));
        assert_eq!(c.user, "alice");
        assert_eq!(c.id, AllocationId(1_000_000_000_000_012));
        assert_eq!(c.id.short(), "1.12");
        assert_eq!(c.id.to_string(), "001000000000000012");
        assert_eq!(c.kind, EventKind::Status);
    }

    #[test]
    fn realmless_empty_user_and_peer_kinds() {
        let c = parse_channel("turn/user//allocation/000000000000000004/traffic/peer").unwrap();
        assert_eq!(
            (c.realm, c.user, c.kind),
            (None, "", EventKind::Traffic(Leg::Peer))
        );
        let c =
            parse_channel("turn/user//allocation/000000000000000004/total_traffic/peer").unwrap();
        assert_eq!(c.kind, EventKind::TotalTraffic(Leg::Peer));
        let c = parse_channel("turn/user//allocation/000000000000000004/total_traffic").unwrap();
        assert_eq!(c.kind, EventKind::TotalTraffic(Leg::Client));
    }

    #[test]
    fn users_with_slashes_colons_and_allocation_lookalikes() {
        let ch = "turn/realm/r/user/1795641736:carol/allocation/000000000000000001/x/allocation/000000000000000002/traffic";
        let c = parse_channel(ch).unwrap();
        assert_eq!(c.user, "1795641736:carol/allocation/000000000000000001/x");
        assert_eq!(c.id, AllocationId(2));
        let c = parse_channel("turn/user/a/user/b/allocation/000000000000000003/status").unwrap();
        assert_eq!((c.realm, c.user), (None, "a/user/b"));
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(parse_channel("__XXX__"), Err(ParseError::NotTurnChannel));
        assert_eq!(
            parse_channel("turn/realm/r/user/u/allocation/12/status"),
            Err(ParseError::BadId)
        );
        assert_eq!(
            parse_channel("turn/realm/r/user/u/allocation/000000000000000001/quota"),
            Err(ParseError::UnknownEvent)
        );
        assert_eq!(
            parse_channel("turn/realm/r/allocation/000000000000000001/status"),
            Err(ParseError::NotTurnChannel)
        );
    }

    #[test]
    fn status_both_formats() {
        let s = parse_status("new lifetime=777, type=UDP, local=127.0.0.1:13478, remote=127.0.0.1:38940, ssl=NONE, cipher=NONE").unwrap();
        let Status::New(f) = s else { panic!("{s:?}") };
        assert_eq!(f.lifetime, Some(777));
        assert_eq!(f.transport, Some("UDP"));
        assert_eq!(f.remote, Some("127.0.0.1:38940"));
        assert_eq!(f.cipher, Some("NONE"));
        let s = parse_status("refreshed lifetime=600").unwrap();
        assert_eq!(
            s,
            Status::Refreshed(StatusFields {
                lifetime: Some(600),
                ..Default::default()
            })
        );
        assert_eq!(parse_status("deleted").unwrap(), Status::Deleted);
        assert_eq!(
            parse_status("exploded").unwrap_err(),
            ParseError::UnknownStatus
        );
        assert_eq!(
            parse_status("new lifetime=-1").unwrap_err(),
            ParseError::BadNumber("lifetime")
        );
        let Status::New(f) = parse_status("new lifetime=5, future=thing, type=TLS/TCP").unwrap()
        else {
            panic!()
        };
        assert_eq!(f.transport, Some("TLS/TCP"));
    }

    #[test]
    fn counters() {
        let c = parse_counters("rcvp=3, rcvb=292, sentp=3, sentb=312").unwrap();
        assert_eq!(
            c,
            Counters {
                rcvp: 3,
                rcvb: 292,
                sentp: 3,
                sentb: 312
            }
        );
        assert_eq!(
            parse_counters("rcvp=3, rcvb=292, sentp=3"),
            Err(ParseError::MissingCounter("sentb"))
        );
        assert_eq!(
            parse_counters("rcvp=99999999999999999999, rcvb=1, sentp=1, sentb=1"),
            Err(ParseError::BadNumber("rcvp"))
        );
        assert_eq!(counters_payload(&c), "rcvp=3, rcvb=292, sentp=3, sentb=312");
        // Other orders and spacing still parse (general path); the fast path agrees with it.
        let c2 = parse_counters("sentb=312,rcvp=3 ,  rcvb=292, sentp=3, extra=1").unwrap();
        assert_eq!(c2, c);
        assert_eq!(
            parse_counters("rcvp=3, rcvb=292, sentp=3, sentb=312x"),
            Err(ParseError::BadNumber("sentb"))
        );
        assert_eq!(
            parse_counters("rcvp=, rcvb=292, sentp=3, sentb=312"),
            Err(ParseError::BadNumber("rcvp"))
        );
        let max = u64::MAX;
        assert_eq!(
            parse_counters(&format!("rcvp={max}, rcvb=0, sentp=0, sentb=0"))
                .unwrap()
                .rcvp,
            max
        );
    }

    #[test]
    fn channel_name_round_trips() {
        for kind in KINDS {
            for realm in [Some("r.example"), None] {
                let name = channel_name(realm, "1:x/y", AllocationId(7), kind);
                let c = parse_channel(&name).unwrap();
                assert_eq!(
                    (c.realm, c.user, c.id, c.kind),
                    (realm, "1:x/y", AllocationId(7), kind)
                );
            }
        }
    }
}
