//! The Redis endpoints events come from, and the state of each one's connection.

use super::{Model, Time};

/// Which Redis endpoint an event came from. Allocation ids are only unique per coturn process,
/// so the endpoint is part of an allocation's identity.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct EndpointId(pub u16);

/// The state of a source's connection, for the header.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum ConnectionState {
    /// A replay, the demo, or a source that has not started.
    #[default]
    Offline,
    Connecting,
    /// Connected and subscribed.
    Connected,
    /// Lost; the next attempt is due at `retry_at`.
    Reconnecting {
        since: Time,
        retry_at: Time,
        reason: String,
    },
    /// The server refused our credentials; retrying anyway (it may be fixed server-side).
    AuthFailed {
        since: Time,
        retry_at: Time,
        reason: String,
    },
    /// A replay reached its end.
    Finished,
}

#[derive(Clone, Debug)]
pub struct Endpoint {
    pub label: String,
    pub connection: ConnectionState,
    pub connection_since: Option<Time>,
    /// How many times the connection was established after the first.
    pub reconnects: u64,
    /// Reports whose previous report is older than this instant span a gap in the subscription:
    /// no rate is computed across it.
    pub(super) gap_until: Time,
    pub gaps: u64,
    pub events: u64,
    pub last_event: Option<Time>,
    /// Messages from this endpoint that did not parse.
    pub malformed: u64,
    /// Set once the first connection is made: `reconnects` counts the ones after it.
    pub(super) was_connected: bool,
    pub(super) seed_generation: u32,
}

impl Model {
    pub fn add_endpoint(&mut self, label: impl Into<String>) -> EndpointId {
        let id = EndpointId(self.endpoints.len() as u16);
        self.endpoints.push(Endpoint {
            label: label.into(),
            connection: ConnectionState::Offline,
            connection_since: None,
            reconnects: 0,
            gap_until: f64::NEG_INFINITY,
            gaps: 0,
            events: 0,
            last_event: None,
            malformed: 0,
            was_connected: false,
            seed_generation: 0,
        });
        id
    }

    /// The subscription of `endpoint` was down from `from` to `to`: pub/sub has no replay, so
    /// no rate may be computed across this interval.
    pub fn mark_gap(&mut self, endpoint: EndpointId, to: Time) {
        self.counters.gaps += 1;
        if let Some(ep) = self.endpoints.get_mut(usize::from(endpoint.0)) {
            ep.gap_until = to;
            ep.gaps += 1;
        }
    }

    pub fn set_connection(&mut self, endpoint: EndpointId, at: Time, state: ConnectionState) {
        let Some(ep) = self.endpoints.get_mut(usize::from(endpoint.0)) else {
            return;
        };
        if state == ConnectionState::Connected && ep.connection != ConnectionState::Connected {
            if ep.was_connected {
                ep.reconnects += 1;
            }
            ep.was_connected = true;
        }
        if std::mem::discriminant(&ep.connection) != std::mem::discriminant(&state) {
            ep.connection_since = Some(at);
        }
        ep.connection = state;
    }
}
