//! The loop's side of the CLI pollers: starts one per endpoint that has a CLI, passes on the
//! user on screen (only when it changes) and confirmed cancels, and hands their events over.

use tokio::sync::mpsc;

use super::CliEndpoint;
use super::poller::{self, PollerHandle};
use super::view::{CliEvent, CliView, EndpointCli};
use crate::model::{EndpointId, Model, State, Time};

pub struct CliLink {
    handles: Vec<Option<PollerHandle>>,
    pub events: mpsc::UnboundedReceiver<(u16, CliEvent)>,
    want: Option<String>,
}

impl CliLink {
    /// Starts the pollers (inside a Tokio runtime) and fills `view`'s endpoints.
    pub fn start(endpoints: &[Option<CliEndpoint>], view: &mut CliView) -> CliLink {
        let (tx, events) = mpsc::unbounded_channel();
        let handles = endpoints
            .iter()
            .enumerate()
            .map(|(i, ep)| {
                ep.as_ref()
                    .map(|ep| poller::spawn(i as u16, ep.clone(), tx.clone()))
            })
            .collect();
        view.endpoints = endpoints
            .iter()
            .map(|ep| ep.as_ref().map(|ep| EndpointCli::new(&ep.addr)))
            .collect();
        CliLink {
            handles,
            events,
            want: None,
        }
    }

    /// The user whose sessions are on screen now; pollers hear of it when it changes.
    pub fn want(&mut self, user: Option<String>) {
        if user == self.want {
            return;
        }
        for h in self.handles.iter().flatten() {
            let _ = h.want.send(user.clone());
        }
        self.want = user;
    }

    /// Sends `cs <id>` to `endpoint`'s CLI. `false`: that endpoint has no CLI.
    pub fn cancel(&self, endpoint: u16, id: u64) -> bool {
        match self.handles.get(endpoint as usize) {
            Some(Some(h)) => h.cancel.send(id).is_ok(),
            _ => false,
        }
    }

    /// Applies one event to `view` at `now`, with turntop's live rows of its endpoint.
    pub fn apply(view: &mut CliView, model: &Model, endpoint: u16, event: CliEvent, now: Time) {
        // A pass over the allocations, only for the count check (every 10 s).
        let rows = match event {
            CliEvent::Count(_) => live_rows(model, EndpointId(endpoint), now),
            _ => 0,
        };
        view.apply(endpoint, event, now, rows);
    }
}

/// Passes each CLI's count verdict into the model (before its tick): a `count_mismatch`
/// problem while a difference persists, none once the counts agree or the CLI is down.
pub fn feed_counts(view: &CliView, model: &mut Model, now: Time) {
    for (i, ep) in view.endpoints.iter().enumerate() {
        let Ok(i) = u16::try_from(i) else { break };
        let verdict = ep.as_ref().and_then(|ep| ep.count_mismatch(now));
        model.set_coturn_count(EndpointId(i), verdict);
    }
}

/// turntop's open allocations of one endpoint (what coturn would count as its sessions): live,
/// released or unconfirmed.
pub fn live_rows(model: &Model, endpoint: EndpointId, now: Time) -> u64 {
    model
        .allocations()
        .filter(|a| a.endpoint == endpoint)
        .filter(|a| {
            matches!(
                a.state(now),
                Some(State::Live | State::Released | State::Unconfirmed)
            )
        })
        .count() as u64
}
