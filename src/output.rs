//! Headless output: the model's state at an instant as JSON (the contract scripts rely on).

use serde::{Deserialize, Serialize};

use crate::coturn::{Counters, Leg};
use crate::model::view::{Aggregate, AllocationRow, RealmRow, ServerRow, UserRow};
use crate::model::{EndReason, EventCounters, Model, Rate, State, Time};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The instant this state is true at (seconds since the Unix epoch).
    pub at: Time,
    pub allocations: Vec<AllocationOut>,
    pub users: Vec<UserOut>,
    pub realms: Vec<RealmOut>,
    /// One per coturn listener (endpoint and `local=`), see [`ServerOut`].
    #[serde(default)]
    pub servers: Vec<ServerOut>,
    /// What is wrong, critical first, newest first (see `model::problems`).
    #[serde(default)]
    pub problems: Vec<crate::problem_out::ProblemOut>,
    pub counters: EventCounters,
    pub endpoints: Vec<EndpointOut>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LegTotals {
    pub client: Option<Counters>,
    pub peer: Option<Counters>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatesOut {
    pub client_rx: Option<f64>,
    pub client_tx: Option<f64>,
    pub peer_rx: Option<f64>,
    pub peer_tx: Option<f64>,
}

impl RatesOut {
    fn new(client: Option<Rate>, peer: Option<Rate>) -> Self {
        RatesOut {
            client_rx: client.map(|r| round2(r.rx)),
            client_tx: client.map(|r| round2(r.tx)),
            peer_rx: peer.map(|r| round2(r.rx)),
            peer_tx: peer.map(|r| round2(r.tx)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AllocationOut {
    pub endpoint: String,
    pub realm: Option<String>,
    pub user: String,
    pub id: String,
    pub state: State,
    pub transport: Option<String>,
    pub local: Option<String>,
    pub remote: Option<String>,
    pub ssl: Option<String>,
    pub cipher: Option<String>,
    pub lifetime_s: Option<u32>,
    /// Seconds left before the lifetime runs out (negative when expired); null when unknown.
    pub lifetime_left_s: Option<f64>,
    /// True for seeded rows: the expiry is at most this, not exactly this.
    pub expiry_is_upper_bound: bool,
    pub seeded: bool,
    pub first_seen: Option<Time>,
    pub ended_at: Option<Time>,
    /// Why it ended: `deleted` (coturn said so), `replaced` (its server restarted and gave the
    /// id to a new allocation), `gone_from_redis` (key missing, lifetime over, nothing heard).
    #[serde(default)]
    pub end_reason: Option<EndReason>,
    /// Another coturn on the same Redis used the same id at the same time: this row's traffic,
    /// totals and end cannot be attributed with certainty.
    #[serde(default)]
    pub collision: bool,
    /// When a reconciliation pass found its status key missing (null: the key is there, or it
    /// was heard from since).
    #[serde(default)]
    pub key_missing_since: Option<Time>,
    pub client: Counters,
    pub peer: Counters,
    pub total: Option<LegTotals>,
    /// `total_traffic` arrived and differs from the sum of the deltas seen.
    pub totals_mismatch: bool,
    /// Bytes per second, rx/tx from the server's point of view; null before a usable report.
    pub rates: RatesOut,
    pub last_report_age_s: Option<f64>,
    /// What coturn's admin CLI (`--coturn-cli`) says of it: peers, relay, origin, bps_cap,
    /// client_protocol, relay_protocol, fingerprints, mobile (absent without a CLI, or when
    /// the CLI did not list it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coturn_cli: Option<crate::coturn_cli::CliSession>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserOut {
    pub realm: Option<String>,
    pub user: String,
    pub allocations_live: u32,
    #[serde(default)]
    pub allocations_unconfirmed: u32,
    pub allocations_expired: u32,
    pub allocations_ended: u32,
    pub client: Counters,
    pub peer: Counters,
    pub rates: RatesOut,
    /// Seconds since the newest traffic report of any of its allocations; null before one.
    pub last_report_age_s: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RealmOut {
    pub realm: Option<String>,
    pub users: u32,
    pub allocations_live: u32,
    #[serde(default)]
    pub allocations_unconfirmed: u32,
    pub allocations_expired: u32,
    pub allocations_ended: u32,
    pub client: Counters,
    pub peer: Counters,
    pub rates: RatesOut,
    /// Seconds since the newest traffic report of any of its allocations; null before one.
    pub last_report_age_s: Option<f64>,
}

/// A coturn listener: the Redis endpoint its statuses came from and the `local=` address its
/// clients reached (null for statuses without one: older coturn).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerOut {
    pub endpoint: String,
    pub local: Option<String>,
    pub allocations_live: u32,
    pub allocations_unconfirmed: u32,
    pub allocations_expired: u32,
    pub allocations_ended: u32,
    /// Open allocations whose id another coturn on the same Redis used at the same time.
    pub allocations_collided: u32,
    pub client: Counters,
    pub peer: Counters,
    pub rates: RatesOut,
    pub last_report_age_s: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointOut {
    pub label: String,
    pub events: u64,
    pub gaps: u64,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn agg_rates(a: &Aggregate) -> RatesOut {
    RatesOut::new(a.rate(Leg::Client), a.rate(Leg::Peer))
}

/// One allocation row as the JSON snapshot shows it.
pub fn allocation_out(model: &Model, row: &AllocationRow<'_>, now: Time) -> AllocationOut {
    let a = row.alloc;
    let atom = |x| model.atom(x).map(str::to_owned);
    AllocationOut {
        endpoint: model
            .endpoint(a.endpoint)
            .map_or_else(String::new, |e| e.label.clone()),
        realm: row.realm.map(str::to_owned),
        user: row.user.to_owned(),
        id: a.id.to_string(),
        state: row.state,
        transport: atom(a.transport),
        local: atom(a.local),
        remote: a.remote.as_deref().map(str::to_owned),
        ssl: atom(a.ssl),
        cipher: atom(a.cipher),
        lifetime_s: a.lifetime,
        lifetime_left_s: a.lifetime_left(now).map(round2),
        expiry_is_upper_bound: a.expiry_is_upper_bound,
        seeded: a.seeded_at.is_some(),
        first_seen: a.first_seen,
        ended_at: a.ended_at,
        end_reason: a.end_reason,
        collision: a.collision,
        key_missing_since: a.key_missing_at(),
        client: a.client.sum,
        peer: a.peer.sum,
        total: a.total.as_ref().map(|_| LegTotals {
            client: a.total_of(Leg::Client),
            peer: a.total_of(Leg::Peer),
        }),
        totals_mismatch: a.totals_mismatch(),
        rates: RatesOut::new(row.client_rate, row.peer_rate),
        last_report_age_s: row.last_report_age,
        coturn_cli: None,
    }
}

fn report_age(a: &Aggregate, now: Time) -> Option<f64> {
    a.last_report.map(|t| (now - t).max(0.0))
}

/// One user row as the JSON snapshot shows it.
pub fn user_out(u: &UserRow<'_>, now: Time) -> UserOut {
    UserOut {
        realm: u.realm.map(str::to_owned),
        user: u.user.to_owned(),
        allocations_live: u.agg.live,
        allocations_unconfirmed: u.agg.unconfirmed,
        allocations_expired: u.agg.expired,
        allocations_ended: u.agg.ended,
        client: u.agg.client,
        peer: u.agg.peer,
        rates: agg_rates(&u.agg),
        last_report_age_s: report_age(&u.agg, now),
    }
}

/// One realm row as the JSON snapshot shows it.
pub fn realm_out(r: &RealmRow<'_>, now: Time) -> RealmOut {
    RealmOut {
        realm: r.realm.map(str::to_owned),
        users: r.users,
        allocations_live: r.agg.live,
        allocations_unconfirmed: r.agg.unconfirmed,
        allocations_expired: r.agg.expired,
        allocations_ended: r.agg.ended,
        client: r.agg.client,
        peer: r.agg.peer,
        rates: agg_rates(&r.agg),
        last_report_age_s: report_age(&r.agg, now),
    }
}

/// One coturn listener as the JSON snapshot shows it.
pub fn server_out(model: &Model, s: &ServerRow, now: Time) -> ServerOut {
    ServerOut {
        endpoint: model
            .endpoint(s.endpoint)
            .map_or_else(String::new, |e| e.label.clone()),
        local: model.atom(s.local).map(str::to_owned),
        allocations_live: s.agg.live,
        allocations_unconfirmed: s.agg.unconfirmed,
        allocations_expired: s.agg.expired,
        allocations_ended: s.agg.ended,
        allocations_collided: s.collided,
        client: s.agg.client,
        peer: s.agg.peer,
        rates: agg_rates(&s.agg),
        last_report_age_s: s.agg.last_report.map(|t| round2((now - t).max(0.0))),
    }
}

/// The model's state at `now`, sorted so that equal states give equal output.
pub fn snapshot(model: &Model, now: Time) -> Snapshot {
    let mut allocations: Vec<AllocationOut> = model
        .allocation_rows(now)
        .iter()
        .map(|row| allocation_out(model, row, now))
        .collect();
    allocations.sort_by(|a, b| {
        (&a.endpoint, &a.realm, &a.user, &a.id).cmp(&(&b.endpoint, &b.realm, &b.user, &b.id))
    });

    let mut users: Vec<UserOut> = model
        .user_rows(now)
        .iter()
        .map(|u| user_out(u, now))
        .collect();
    users.sort_by(|a, b| (&a.realm, &a.user).cmp(&(&b.realm, &b.user)));

    let mut realms: Vec<RealmOut> = model
        .realm_rows(now)
        .iter()
        .map(|r| realm_out(r, now))
        .collect();
    realms.sort_by(|a, b| a.realm.cmp(&b.realm));

    let mut servers: Vec<ServerOut> = model
        .server_rows(now)
        .iter()
        .map(|s| server_out(model, s, now))
        .collect();
    servers.sort_by(|a, b| (&a.endpoint, &a.local).cmp(&(&b.endpoint, &b.local)));

    let endpoints = model
        .endpoints()
        .iter()
        .map(|e| EndpointOut {
            label: e.label.clone(),
            events: e.events,
            gaps: e.gaps,
        })
        .collect();
    Snapshot {
        at: now,
        allocations,
        users,
        realms,
        servers,
        problems: model
            .problems()
            .list()
            .iter()
            .map(|p| crate::problem_out::problem_out(p, now))
            .collect(),
        counters: model.counters.clone(),
        endpoints,
    }
}
