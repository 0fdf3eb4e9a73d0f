//! Event sources. Each produces the same stream of [`SourceEvent`]s, stamped with the time the
//! message was received (live) or captured (replay), so the model cannot tell them apart.

pub mod redis;
pub mod replay;

use crate::model::{ConnectionState, EndpointId, Model, Time};

/// What a source tells the model.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceEvent {
    /// One published message, exactly as Redis delivered it.
    Message {
        endpoint: EndpointId,
        at: Time,
        channel: String,
        payload: Vec<u8>,
    },
    /// A (re)seed from the status keys starts.
    SeedBegin { endpoint: EndpointId, at: Time },
    /// A batch of status keys and their values (SCAN + MGET).
    SeedBatch {
        endpoint: EndpointId,
        at: Time,
        entries: Vec<(String, Vec<u8>)>,
    },
    /// The seed is complete: open allocations of this endpoint not seen in it have ended.
    SeedEnd { endpoint: EndpointId, at: Time },
    /// The connection changed state (connected, reconnecting, auth failed, ...).
    Connection {
        endpoint: EndpointId,
        at: Time,
        state: ConnectionState,
    },
    /// The subscription was down until `to`: whatever was published meanwhile is lost.
    Gap { endpoint: EndpointId, to: Time },
    /// The source has nothing more to say (end of a replay).
    Finished { endpoint: EndpointId, at: Time },
}

/// The reconciliation triggers of the live sources, by endpoint: after applying events, the loop
/// passes the model's requests on ([`Model::take_reconcile_requests`]). Replays and the demo
/// have none: their requests are dropped.
#[derive(Clone, Debug, Default)]
pub struct Reconcilers(Vec<(EndpointId, redis::ReconcileTrigger)>);

impl Reconcilers {
    /// A trigger for `endpoint`'s source (put it in that source's `RunOptions::reconcile`).
    pub fn trigger(&mut self, endpoint: EndpointId) -> redis::ReconcileTrigger {
        let trigger = redis::ReconcileTrigger::default();
        self.0.push((endpoint, trigger.clone()));
        trigger
    }

    pub fn forward(&self, model: &mut Model) {
        for endpoint in model.take_reconcile_requests() {
            if let Some((_, t)) = self.0.iter().find(|(e, _)| *e == endpoint) {
                t.request();
            }
        }
    }
}

/// Apply events in order. Runs of messages from one endpoint take the model's batched path
/// (lookups and prefetches for a window before applying it); the result is the same as
/// applying each event on its own.
pub fn apply_events(events: &[SourceEvent], model: &mut Model) {
    let mut i = 0;
    while i < events.len() {
        let SourceEvent::Message { endpoint, .. } = &events[i] else {
            events[i].apply_to(model);
            i += 1;
            continue;
        };
        let run_endpoint = *endpoint;
        let mut items: Vec<(Time, &str, &[u8])> = Vec::new();
        while let Some(SourceEvent::Message {
            endpoint,
            at,
            channel,
            payload,
        }) = events.get(i)
            && *endpoint == run_endpoint
        {
            items.push((*at, channel.as_str(), payload.as_slice()));
            i += 1;
        }
        model.apply_raw_batch(run_endpoint, &items);
    }
}

impl SourceEvent {
    pub fn at(&self) -> Time {
        match self {
            SourceEvent::Message { at, .. }
            | SourceEvent::SeedBegin { at, .. }
            | SourceEvent::SeedBatch { at, .. }
            | SourceEvent::SeedEnd { at, .. }
            | SourceEvent::Connection { at, .. }
            | SourceEvent::Finished { at, .. } => *at,
            SourceEvent::Gap { to, .. } => *to,
        }
    }

    /// Feed this event to the model.
    pub fn apply_to(&self, model: &mut Model) {
        match self {
            SourceEvent::Message {
                endpoint,
                at,
                channel,
                payload,
            } => model.apply_raw(*endpoint, *at, channel, payload),
            SourceEvent::SeedBegin { endpoint, at } => model.begin_seed(*endpoint, *at),
            SourceEvent::SeedBatch {
                endpoint,
                at,
                entries,
            } => {
                for (key, value) in entries {
                    model.seed_status(*endpoint, *at, key, value);
                }
            }
            SourceEvent::SeedEnd { endpoint, at } => model.end_seed(*endpoint, *at),
            SourceEvent::Connection {
                endpoint,
                at,
                state,
            } => model.set_connection(*endpoint, *at, state.clone()),
            SourceEvent::Gap { endpoint, to } => model.mark_gap(*endpoint, *to),
            SourceEvent::Finished { endpoint, at } => {
                model.set_connection(*endpoint, *at, ConnectionState::Finished)
            }
        }
    }
}
