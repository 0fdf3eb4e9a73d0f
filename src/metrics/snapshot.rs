//! One pass over the model's allocations (their compact hot copy) into the aggregates the
//! metrics need. Names are sanitized here (they become label values); the client library
//! escapes them for the text format.

use rustc_hash::FxHashMap;

use super::OTHER_USERS;
use crate::coturn::{Counters, Leg};
use crate::model::{ConnectionState, EndReason, Model, ProblemKind, Rate, State, Time};
use crate::sanitize::sanitize;

/// Allocations by state, in [`STATES`] order.
pub type StateCounts = [u64; 5];

/// The `state` label values, in [`StateCounts`] order.
pub const STATES: [&str; 5] = ["live", "released", "unconfirmed", "expired", "ended"];

fn state_index(s: State) -> usize {
    match s {
        State::Live => 0,
        State::Released => 1,
        State::Unconfirmed => 2,
        State::Expired => 3,
        State::Deleted => 4,
    }
}

/// One endpoint and realm: allocations, the traffic ever seen (evicted rows included) and the
/// current rates, as the TUI's realm rows compute them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupStats {
    pub endpoint: String,
    /// Sanitized; empty for a realm-less server.
    pub realm: String,
    pub states: StateCounts,
    /// Client leg, peer leg.
    pub traffic: [Counters; 2],
    pub rates: [Rate; 2],
}

/// One coturn listener (`local=`; empty when statuses carry none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListenerStats {
    pub endpoint: String,
    pub local: String,
    pub states: StateCounts,
    pub rates: [Rate; 2],
}

#[derive(Clone, Debug, PartialEq)]
pub struct EndpointStats {
    pub endpoint: String,
    pub up: bool,
    pub events: u64,
    pub malformed: u64,
    pub gaps: u64,
    pub reconnects: u64,
}

/// One user among the top N by rate, or [`OTHER_USERS`] (realm empty) for the rest.
#[derive(Clone, Debug, PartialEq)]
pub struct UserStats {
    pub realm: String,
    pub user: String,
    /// Open allocations (not ended).
    pub open: u64,
    /// Client + peer, received + sent, bytes per second.
    pub rate: f64,
}

/// Current problems by kind (in [`ProblemKind::ALL`] order) and severity (in
/// [`crate::model::Severity::ALL`] order).
pub type ProblemCounts = [[u64; 2]; ProblemKind::COUNT];

/// Everything a scrape encodes, taken at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub groups: Vec<GroupStats>,
    pub listeners: Vec<ListenerStats>,
    pub endpoints: Vec<EndpointStats>,
    /// Empty unless users were asked for.
    pub users: Vec<UserStats>,
    pub users_asked: bool,
    pub started: u64,
    pub ended: [(EndReason, u64); 3],
    pub totals_mismatch: u64,
    pub events: u64,
    pub malformed: u64,
    pub sessions_without_allocation: u64,
    pub ids_reused: u64,
    pub id_collisions: u64,
    /// As of the model's last tick (problems are found once a second, not per scrape).
    pub problems: ProblemCounts,
    /// How long the pass over the model took, in seconds (exported: a scrape's own cost).
    pub pass_seconds: f64,
}

/// Open allocations and rate of one user slot, filled during the pass.
#[derive(Clone, Copy, Default)]
struct UserSum {
    open: u32,
    rate: f64,
}

impl Snapshot {
    /// Aggregate the model at `now`; `users` > 0 adds the top `users` users by rate and one
    /// [`OTHER_USERS`] series for the rest, so the series stay bounded whatever Redis sends.
    pub fn take(model: &Model, now: Time, users: usize) -> Snapshot {
        let started_at = std::time::Instant::now();
        // Dense tables instead of hashing per allocation: the pass touches each hot entry once
        // plus a 4-byte realm slot of its user (a table small enough to stay in cache).
        let realm_of_user: Vec<u32> = {
            let mut v = vec![u32::MAX; model.user_slots()];
            for (slot, user) in model.users() {
                v[slot as usize] = model.user_realm_slot(user);
            }
            v
        };
        // [endpoint][realm slot] -> group index + 1 (0: none yet).
        let mut group_of: Vec<Vec<u32>> = Vec::new();
        let mut groups: Vec<GroupStats> = Vec::new();
        // [endpoint][listener atom index] -> listener index + 1.
        let mut listener_of: Vec<Vec<u32>> = Vec::new();
        let mut listeners: Vec<ListenerStats> = Vec::new();
        let mut user_sums: Vec<UserSum> = if users > 0 {
            vec![UserSum::default(); model.user_slots()]
        } else {
            Vec::new()
        };
        let endpoint_label = |e: u16| {
            model
                .endpoint(crate::model::EndpointId(e))
                .map_or_else(String::new, |ep| sanitize(&ep.label))
        };
        for (_, h) in model.hot_slots() {
            // Free slots have no user; traffic-only sessions (no state) still carry traffic.
            let Some(&realm_slot) = realm_of_user.get(h.user as usize) else {
                continue;
            };
            let state = h.state(now);
            if realm_slot == u32::MAX || (state.is_none() && h.sum == [Counters::default(); 2]) {
                continue;
            }
            let e = usize::from(h.endpoint);
            if group_of.len() <= e {
                group_of.resize_with(e + 1, Vec::new);
                listener_of.resize_with(e + 1, Vec::new);
            }
            let by_realm = &mut group_of[e];
            if by_realm.len() <= realm_slot as usize {
                by_realm.resize(realm_slot as usize + 1, 0);
            }
            if by_realm[realm_slot as usize] == 0 {
                let realm = model
                    .realm(realm_slot)
                    .and_then(|r| r.name.as_deref())
                    .map(sanitize)
                    .unwrap_or_default();
                groups.push(GroupStats {
                    endpoint: endpoint_label(h.endpoint),
                    realm,
                    ..GroupStats::default()
                });
                by_realm[realm_slot as usize] = groups.len() as u32;
            }
            let group = &mut groups[by_realm[realm_slot as usize] as usize - 1];
            group.traffic[0].add(h.leg_sum(Leg::Client));
            group.traffic[1].add(h.leg_sum(Leg::Peer));
            let Some(state) = state else { continue };
            group.states[state_index(state)] += 1;
            let mut rate = [Rate::default(); 2];
            if state.is_open() {
                rate = [
                    h.rate(Leg::Client, now).unwrap_or_default(),
                    h.rate(Leg::Peer, now).unwrap_or_default(),
                ];
                group.rates[0].add(rate[0]);
                group.rates[1].add(rate[1]);
            }
            let by_local = &mut listener_of[e];
            let l = usize::from(h.local_index());
            if by_local.len() <= l {
                by_local.resize(l + 1, 0);
            }
            if by_local[l] == 0 {
                listeners.push(ListenerStats {
                    endpoint: endpoint_label(h.endpoint),
                    local: model.atom(h.local()).map(sanitize).unwrap_or_default(),
                    ..ListenerStats::default()
                });
                by_local[l] = listeners.len() as u32;
            }
            let listener = &mut listeners[by_local[l] as usize - 1];
            listener.states[state_index(state)] += 1;
            listener.rates[0].add(rate[0]);
            listener.rates[1].add(rate[1]);
            if let Some(u) = user_sums.get_mut(h.user as usize)
                && state.is_open()
            {
                u.open += 1;
                u.rate += rate[0].total() + rate[1].total();
            }
        }
        // What ended and was evicted still counts (an index: deployments with a realm per
        // tenant have thousands).
        let mut by_name: FxHashMap<(String, String), usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| ((g.endpoint.clone(), g.realm.clone()), i))
            .collect();
        for ((endpoint, realm), sums) in &model.cumulative().evicted {
            let key = (
                endpoint_label(endpoint.0),
                realm.as_deref().map(sanitize).unwrap_or_default(),
            );
            let i = *by_name.entry(key).or_insert_with_key(|(endpoint, realm)| {
                groups.push(GroupStats {
                    endpoint: endpoint.clone(),
                    realm: realm.clone(),
                    ..GroupStats::default()
                });
                groups.len() - 1
            });
            groups[i].traffic[0].add(&sums[0]);
            groups[i].traffic[1].add(&sums[1]);
        }
        // Sanitizing can make two raw names one label value: merge them.
        let groups = merge_groups(groups);
        let endpoints = model
            .endpoints()
            .iter()
            .map(|ep| EndpointStats {
                endpoint: sanitize(&ep.label),
                up: ep.connection == ConnectionState::Connected,
                events: ep.events,
                malformed: ep.malformed,
                gaps: ep.gaps,
                reconnects: ep.reconnects,
            })
            .collect();
        let cumulative = model.cumulative();
        let mut snapshot = Snapshot {
            groups,
            listeners: merge_listeners(listeners),
            endpoints,
            users: if users > 0 {
                top_users(model, &user_sums, users)
            } else {
                Vec::new()
            },
            users_asked: users > 0,
            started: cumulative.started,
            ended: EndReason::ALL.map(|r| (r, cumulative.ended_by(r))),
            totals_mismatch: cumulative.totals_mismatch,
            events: model.counters.events,
            malformed: model.counters.malformed,
            sessions_without_allocation: model.counters.sessions_without_allocation,
            ids_reused: model.counters.ids_reused,
            id_collisions: model.counters.id_collisions,
            problems: problem_counts(model),
            pass_seconds: 0.0,
        };
        snapshot.pass_seconds = started_at.elapsed().as_secs_f64();
        snapshot
    }
}

/// Every kind × severity pair, 0 where there is none: a severity is configurable per kind
/// (`[problems] severity.KIND`), so any pair can occur, and series that come and go would
/// break `rate()` and alerts on absence.
fn problem_counts(model: &Model) -> ProblemCounts {
    let mut counts = [[0; 2]; ProblemKind::COUNT];
    for p in model.problems().list() {
        counts[p.kind.index()][p.severity.index()] += 1;
    }
    counts
}

fn merge_groups(groups: Vec<GroupStats>) -> Vec<GroupStats> {
    let mut out: Vec<GroupStats> = Vec::with_capacity(groups.len());
    let mut index: FxHashMap<(String, String), usize> = FxHashMap::default();
    for g in groups {
        match index.get(&(g.endpoint.clone(), g.realm.clone())) {
            Some(&i) => {
                let o = &mut out[i];
                for (a, b) in o.states.iter_mut().zip(g.states) {
                    *a += b;
                }
                for leg in 0..2 {
                    o.traffic[leg].add(&g.traffic[leg]);
                    o.rates[leg].add(g.rates[leg]);
                }
            }
            None => {
                index.insert((g.endpoint.clone(), g.realm.clone()), out.len());
                out.push(g);
            }
        }
    }
    out
}

/// The `n` users with the highest rate (then the most open allocations) and one
/// [`OTHER_USERS`] row summing the rest: at most `n + 1` rows whatever the number of users.
fn top_users(model: &Model, sums: &[UserSum], n: usize) -> Vec<UserStats> {
    let mut active: Vec<(u32, UserSum)> = sums
        .iter()
        .enumerate()
        .filter(|(_, s)| s.open > 0 || s.rate > 0.0)
        .map(|(slot, s)| (slot as u32, *s))
        .collect();
    let order = |a: &(u32, UserSum), b: &(u32, UserSum)| {
        b.1.rate
            .total_cmp(&a.1.rate)
            .then(b.1.open.cmp(&a.1.open))
            .then(a.0.cmp(&b.0))
    };
    if active.len() > n {
        active.select_nth_unstable_by(n, order);
    }
    let rest = active.split_off(active.len().min(n));
    active.sort_by(order);
    let mut top: Vec<UserStats> = active
        .iter()
        .filter_map(|&(slot, s)| {
            let user = model.user(slot)?;
            let realm = model.realm_of_user(user);
            Some(UserStats {
                realm: realm.name.as_deref().map(sanitize).unwrap_or_default(),
                user: sanitize(&user.name),
                open: u64::from(s.open),
                rate: s.rate,
            })
        })
        .collect();
    let mut other = UserStats {
        realm: String::new(),
        user: OTHER_USERS.to_owned(),
        open: 0,
        rate: 0.0,
    };
    for (_, s) in rest {
        other.open += u64::from(s.open);
        other.rate += s.rate;
    }
    // Two raw names can sanitize to one label value, and a user may call itself `_other`:
    // one series per label set, whatever the names.
    let mut out: Vec<UserStats> = Vec::with_capacity(top.len() + 1);
    let mut index: FxHashMap<(String, String), usize> = FxHashMap::default();
    for u in top.drain(..) {
        if u.realm == other.realm && u.user == other.user {
            other.open += u.open;
            other.rate += u.rate;
            continue;
        }
        match index.get(&(u.realm.clone(), u.user.clone())) {
            Some(&i) => {
                out[i].open += u.open;
                out[i].rate += u.rate;
            }
            None => {
                index.insert((u.realm.clone(), u.user.clone()), out.len());
                out.push(u);
            }
        }
    }
    out.push(other);
    out
}

/// Listeners whose sanitized names coincide become one series.
fn merge_listeners(listeners: Vec<ListenerStats>) -> Vec<ListenerStats> {
    let mut out: Vec<ListenerStats> = Vec::with_capacity(listeners.len());
    for l in listeners {
        match out
            .iter_mut()
            .find(|o| o.endpoint == l.endpoint && o.local == l.local)
        {
            Some(o) => {
                for (a, b) in o.states.iter_mut().zip(l.states) {
                    *a += b;
                }
                for leg in 0..2 {
                    o.rates[leg].add(l.rates[leg]);
                }
            }
            None => out.push(l),
        }
    }
    out
}
