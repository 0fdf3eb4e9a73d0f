//! The Prometheus exporter's data: a [`Snapshot`] of per-realm, per-endpoint, per-listener and
//! (on request) per-user aggregates, taken from the model in one pass by the loop that owns it,
//! then encoded by `prometheus-client` outside that loop (`families.rs`), so a scrape holds up
//! ingest only for the pass.

mod families;
mod snapshot;

pub use families::{Format, encode};
pub use snapshot::{EndpointStats, GroupStats, ListenerStats, Snapshot, UserStats};

use tokio::sync::{mpsc, oneshot};

/// The label value of the users that are not among the top N (`--metrics-users`).
pub const OTHER_USERS: &str = "_other";

/// What a scrape asks of the loop that owns the model.
#[derive(Debug)]
pub struct ScrapeRequest {
    /// How many users get their own series (0: none, no per-user family at all).
    pub users: usize,
    pub reply: oneshot::Sender<Snapshot>,
}

/// The receiving end a loop (`driver`, `tui`) answers scrapes from.
pub type ScrapeRequests = mpsc::Receiver<ScrapeRequest>;
