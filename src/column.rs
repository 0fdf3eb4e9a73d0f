//! The column vocabulary (pure): every column any table can show, and the names it answers to.
//!
//! One vocabulary for everything a person types: `--sort`, the `s` menu, filter fields
//! (`server=`, `last>30s`), the config file's `columns` and `sort`, and the man page. A column's
//! name is its title on screen in lower case with `-` for the space (`CLI RX` is `cli-rx`), so
//! what the screen shows works everywhere; the older long names (`endpoint`, `client-rx`,
//! `last-report`, ...) stay as aliases. Case, `_` and spaces do not matter (`"CLI RX"` works).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Col {
    User,
    Realm,
    Id,
    Endpoint,
    Type,
    Remote,
    Age,
    Left,
    State,
    ClientRx,
    ClientTx,
    PeerRx,
    PeerTx,
    Rate,
    Bytes,
    ClientHistory,
    PeerHistory,
    LastReport,
    Users,
    Live,
    Expired,
    Ended,
    /// Open allocations whose status key is gone and that were not heard from since.
    Unconfirmed,
    /// Servers: open allocations whose id another coturn on the same Redis used too.
    Collided,
    /// Problems: warning or critical.
    Severity,
    /// Problems: the kind (stuck, hog, ...).
    Problem,
    /// Problems: the allocation, user or endpoint it is about.
    Subject,
    /// Problems: the one-line explanation.
    Detail,
    /// Allocations: peer addresses coturn's CLI lists (shown while a CLI is up).
    Peers,
}

/// What a filter term on a column compares, and so how its value is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Text: names, addresses and ids (substrings), states and transports (words).
    Text,
    /// Bytes per second: `1MB`, `8Mbps`, `500kbit/s`, `2MiB/s`.
    Rate,
    /// A byte count: `10M`, `1GiB`.
    Bytes,
    /// Seconds: `90`, `5m`, `1h30m`.
    Duration,
    /// A count of allocations or users.
    Count,
}

impl Col {
    pub const ALL: [Col; 29] = [
        Col::User,
        Col::Realm,
        Col::Id,
        Col::Endpoint,
        Col::Type,
        Col::Remote,
        Col::Age,
        Col::Left,
        Col::State,
        Col::ClientRx,
        Col::ClientTx,
        Col::PeerRx,
        Col::PeerTx,
        Col::Rate,
        Col::Bytes,
        Col::ClientHistory,
        Col::PeerHistory,
        Col::LastReport,
        Col::Users,
        Col::Live,
        Col::Expired,
        Col::Ended,
        Col::Unconfirmed,
        Col::Collided,
        Col::Severity,
        Col::Problem,
        Col::Subject,
        Col::Detail,
        Col::Peers,
    ];

    /// The title on screen.
    pub const fn title(self) -> &'static str {
        match self {
            Col::User => "USER",
            Col::Realm => "REALM",
            Col::Id => "ID",
            Col::Endpoint => "SERVER",
            Col::Type => "TYPE",
            Col::Remote => "REMOTE",
            Col::Age => "AGE",
            Col::Left => "LEFT",
            Col::State => "STATE",
            Col::ClientRx => "CLI RX",
            Col::ClientTx => "CLI TX",
            Col::PeerRx => "PEER RX",
            Col::PeerTx => "PEER TX",
            Col::Rate => "RATE",
            Col::Bytes => "BYTES",
            Col::ClientHistory => "CLIENT",
            Col::PeerHistory => "PEER",
            Col::LastReport => "LAST",
            Col::Users => "USERS",
            Col::Live => "LIVE",
            Col::Expired => "EXP",
            Col::Ended => "ENDED",
            Col::Unconfirmed => "UNCONF",
            Col::Collided => "SHARED",
            Col::Severity => "SEVERITY",
            Col::Problem => "PROBLEM",
            Col::Subject => "SUBJECT",
            Col::Detail => "DETAIL",
            Col::Peers => "PEERS",
        }
    }

    /// The name to type: the title in lower case, `-` for the space.
    pub const fn name(self) -> &'static str {
        match self {
            Col::User => "user",
            Col::Realm => "realm",
            Col::Id => "id",
            Col::Endpoint => "server",
            Col::Type => "type",
            Col::Remote => "remote",
            Col::Age => "age",
            Col::Left => "left",
            Col::State => "state",
            Col::ClientRx => "cli-rx",
            Col::ClientTx => "cli-tx",
            Col::PeerRx => "peer-rx",
            Col::PeerTx => "peer-tx",
            Col::Rate => "rate",
            Col::Bytes => "bytes",
            Col::ClientHistory => "client",
            Col::PeerHistory => "peer",
            Col::LastReport => "last",
            Col::Users => "users",
            Col::Live => "live",
            Col::Expired => "exp",
            Col::Ended => "ended",
            Col::Unconfirmed => "unconf",
            Col::Collided => "shared",
            Col::Severity => "severity",
            Col::Problem => "problem",
            Col::Subject => "subject",
            Col::Detail => "detail",
            Col::Peers => "peers",
        }
    }

    /// What the column shows, for the man page.
    pub const fn description(self) -> &'static str {
        match self {
            Col::User => {
                "the username ((none) without one); TURN REST names sort by name, then expiry"
            }
            Col::Realm => "the realm ((none) without one)",
            Col::Id => {
                "the allocation id: thread.counter on screen, 18 digits with --raw; both filter"
            }
            Col::Endpoint => "the Redis endpoint (coturn server) the allocation comes from",
            Col::Type => "the transport: UDP, TCP, TLS/TCP, DTLS",
            Col::Remote => "the client's address; sorts as an address (IPv4, then IPv6, then port)",
            Col::Age => "time since the allocation was created (? when seeded: unknown)",
            Col::Left => "lifetime left (<=m:ss when seeded: at most that)",
            Col::State => "live, released, expired (lifetime ran out, no delete) or deleted",
            Col::ClientRx => "client leg, bytes/s received from the client",
            Col::ClientTx => "client leg, bytes/s sent to the client",
            Col::PeerRx => "peer leg, bytes/s received from the peers",
            Col::PeerTx => "peer leg, bytes/s sent to the peers",
            Col::Rate => "bytes/s of both legs, both directions",
            Col::Bytes => "bytes of both legs, both directions, so far",
            Col::ClientHistory => {
                "sparkline of the client leg's rate (its current rate as a number)"
            }
            Col::PeerHistory => "sparkline of the peer leg's rate (its current rate as a number)",
            Col::LastReport => "time since the last traffic report",
            Col::Users => "users of the realm",
            Col::Live => "live allocations",
            Col::Expired => "expired allocations",
            Col::Ended => "deleted allocations still shown (--retention)",
            Col::Unconfirmed => {
                "open allocations whose status key is gone and that were not heard from since"
            }
            Col::Collided => "open allocations whose id another coturn on the same Redis uses too",
            Col::Severity => "problems: warning or critical (sorts critical first)",
            Col::Problem => {
                "problems: stuck, hog, busy_user, mismatch, endpoint, silent, collision, restart, \
                 count_mismatch"
            }
            Col::Subject => "problems: the allocation (user and id), user or Redis endpoint",
            Col::Detail => "problems: what is wrong, in one line",
            Col::Peers => {
                "peer addresses coturn's CLI lists for the allocation (with --coturn-cli, for the \
                 user on screen; not sorted or filtered on)"
            }
        }
    }

    /// Other names that mean the same column: the long names of earlier versions and short
    /// filter forms.
    pub const fn aliases(self) -> &'static [&'static str] {
        match self {
            Col::User => &["u"],
            Col::Realm => &["r"],
            Col::Id => &[],
            Col::Endpoint => &["endpoint", "ep"],
            Col::Type => &["transport", "t"],
            Col::Remote => &["addr", "address", "ip"],
            Col::Age => &[],
            Col::Left => &["lifetime"],
            Col::State => &["s"],
            Col::ClientRx => &["client-rx"],
            Col::ClientTx => &["client-tx"],
            Col::PeerRx => &[],
            Col::PeerTx => &[],
            Col::Rate => &[],
            Col::Bytes => &["total"],
            Col::ClientHistory => &["client-history"],
            Col::PeerHistory => &["peer-history"],
            Col::LastReport => &["last-report"],
            Col::Users => &[],
            Col::Live => &["allocs", "allocations"],
            Col::Expired => &["expired"],
            Col::Ended => &[],
            Col::Unconfirmed => &["unconfirmed"],
            Col::Collided => &["collided", "collisions"],
            Col::Severity => &["sev"],
            Col::Problem => &["kind"],
            Col::Subject => &[],
            Col::Detail => &[],
            Col::Peers => &[],
        }
    }

    /// What a filter compares on this column. Ids are matched as text (`id=1.175`, or the 18
    /// digits) although they sort as numbers.
    pub const fn value_kind(self) -> ValueKind {
        match self {
            Col::User | Col::Realm | Col::Id | Col::Endpoint | Col::Type | Col::Remote => {
                ValueKind::Text
            }
            Col::State | Col::Severity | Col::Problem | Col::Subject | Col::Detail => {
                ValueKind::Text
            }
            Col::ClientRx
            | Col::ClientTx
            | Col::PeerRx
            | Col::PeerTx
            | Col::Rate
            | Col::ClientHistory
            | Col::PeerHistory => ValueKind::Rate,
            Col::Bytes => ValueKind::Bytes,
            Col::Age | Col::Left | Col::LastReport => ValueKind::Duration,
            Col::Users
            | Col::Live
            | Col::Expired
            | Col::Ended
            | Col::Unconfirmed
            | Col::Collided
            | Col::Peers => ValueKind::Count,
        }
    }

    /// The column a name means: its name, its title or an alias, in any case, with `-`, `_` or
    /// a space between words.
    pub fn parse(name: &str) -> Option<Col> {
        let name: String = name
            .trim()
            .chars()
            .map(|c| match c {
                '_' | ' ' => '-',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        Col::ALL
            .into_iter()
            .find(|c| c.name() == name || c.aliases().contains(&name.as_str()))
    }
}

impl fmt::Display for Col {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `a b c` for an error message listing valid names.
pub fn names(cols: impl IntoIterator<Item = Col>) -> String {
    cols.into_iter()
        .map(Col::name)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_titles_and_every_name_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Col::ALL {
            assert_eq!(c.name().to_uppercase().replace('-', " "), c.title());
            assert_eq!(Col::parse(c.title()), Some(c));
            assert_eq!(Col::parse(c.name()), Some(c));
            for n in std::iter::once(c.name()).chain(c.aliases().iter().copied()) {
                assert!(seen.insert(n), "{n} names two columns");
                assert_eq!(Col::parse(n), Some(c));
            }
        }
        assert_eq!(Col::parse(" Cli_Rx "), Some(Col::ClientRx));
        assert_eq!(Col::parse("colour"), None);
    }
}
