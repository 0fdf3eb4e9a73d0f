//! When a condition becomes a problem, and how severe each kind is: the `[problems]` table of
//! the config (see `config.example.toml`), with defaults that suit a real server.

use super::kind::{ProblemKind, Severity};

#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    /// Bytes/s of one allocation (both legs, both directions: the RATE column) above which it
    /// is a hog.
    pub allocation_rate: f64,
    /// Live allocations of one user above which it is busy (a leaked credential, a loop).
    pub user_allocations: u32,
    /// Bytes/s of one user above which it is busy.
    pub user_rate: f64,
    /// Seconds without any event from an endpoint, while allocations that report more often
    /// than that are live, after which it is silent.
    pub silent_after: f64,
    /// Seconds past the end of its lifetime after which an undeleted allocation is stuck
    /// (coturn deletes on its own timer, a moment after expiry).
    pub stuck_after: f64,
    /// Seconds of an endpoint not connected (reconnecting, refused) before it is a problem.
    pub endpoint_after: f64,
    /// Seconds a restart (allocations replaced by reused ids) stays a problem.
    pub restart_within: f64,
    pub severity: [Severity; ProblemKind::COUNT],
}

pub const DEFAULT_ALLOCATION_RATE: f64 = 10e6;
pub const DEFAULT_USER_ALLOCATIONS: u32 = 50;
pub const DEFAULT_USER_RATE: f64 = 50e6;
pub const DEFAULT_SILENT_AFTER: f64 = 120.0;
pub const DEFAULT_STUCK_AFTER: f64 = 10.0;
pub const DEFAULT_ENDPOINT_AFTER: f64 = 5.0;
pub const DEFAULT_RESTART_WITHIN: f64 = 300.0;

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            allocation_rate: DEFAULT_ALLOCATION_RATE,
            user_allocations: DEFAULT_USER_ALLOCATIONS,
            user_rate: DEFAULT_USER_RATE,
            silent_after: DEFAULT_SILENT_AFTER,
            stuck_after: DEFAULT_STUCK_AFTER,
            endpoint_after: DEFAULT_ENDPOINT_AFTER,
            restart_within: DEFAULT_RESTART_WITHIN,
            severity: ProblemKind::ALL.map(ProblemKind::default_severity),
        }
    }
}

impl Thresholds {
    pub fn severity_of(&self, kind: ProblemKind) -> Severity {
        self.severity[kind.index()]
    }
}
