//! What can be wrong (kinds), how bad it is (severity) and what it is about (subject).

/// A kind of problem. The order is the order of the perfdata and of the config's keys.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The lifetime ran out and coturn has not deleted the allocation.
    Stuck,
    /// One allocation moves more than `allocation_rate`.
    Hog,
    /// A user holds more than `user_allocations` live allocations or moves more than
    /// `user_rate`.
    BusyUser,
    /// An ended allocation whose deltas do not add up to coturn's total: reports were lost.
    Mismatch,
    /// Redis unreachable, refusing our credentials, or reconnecting.
    Endpoint,
    /// Nothing heard from an endpoint while allocations that report often are live.
    Silent,
    /// Two coturns publish the same allocation ids into one Redis.
    Collision,
    /// A coturn restarted and reused ids (allocations replaced).
    Restart,
    /// coturn's CLI counts other sessions than turntop's open rows, for longer than events in
    /// flight (the loop passes the CLI's verdict in: `Model::set_coturn_count`).
    CountMismatch,
}

impl ProblemKind {
    pub const COUNT: usize = 9;
    pub const ALL: [ProblemKind; ProblemKind::COUNT] = [
        ProblemKind::Stuck,
        ProblemKind::Hog,
        ProblemKind::BusyUser,
        ProblemKind::Mismatch,
        ProblemKind::Endpoint,
        ProblemKind::Silent,
        ProblemKind::Collision,
        ProblemKind::Restart,
        ProblemKind::CountMismatch,
    ];

    /// As the config, JSON and perfdata spell it.
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::Stuck => "stuck",
            ProblemKind::Hog => "hog",
            ProblemKind::BusyUser => "busy_user",
            ProblemKind::Mismatch => "mismatch",
            ProblemKind::Endpoint => "endpoint",
            ProblemKind::Silent => "silent",
            ProblemKind::Collision => "collision",
            ProblemKind::Restart => "restart",
            ProblemKind::CountMismatch => "count_mismatch",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn parse(s: &str) -> Option<ProblemKind> {
        ProblemKind::ALL.into_iter().find(|k| k.name() == s.trim())
    }

    /// Out of the box: what wakes someone up is critical (no data at all, or numbers that
    /// cannot be trusted); what deserves a look is a warning.
    pub fn default_severity(self) -> Severity {
        match self {
            ProblemKind::Endpoint | ProblemKind::Silent | ProblemKind::Collision => {
                Severity::Critical
            }
            _ => Severity::Warning,
        }
    }
}

/// How bad a problem is: the monitoring-plugins states WARNING and CRITICAL.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 2] = [Severity::Warning, Severity::Critical];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What a problem is about: where Enter takes the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// Slab slot and id (the id guards against a reused slot).
    Allocation { slot: u32, id: u64 },
    /// User slot.
    User(u32),
    /// Endpoint index, and the atom index of its first coturn listener (0: none known): where
    /// Enter lands in the Servers view.
    Endpoint { endpoint: u16, listener: u16 },
}
