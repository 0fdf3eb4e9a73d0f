//! Read-only views of the model at an instant: one row per allocation, user or realm, with the
//! aggregates computed from the allocations themselves, so they can never drift from them.

use super::{Allocation, Atom, EndpointId, Hot, Model, Rate, State, Time};
use crate::coturn::{Counters, Leg};

/// One allocation as a table shows it.
#[derive(Clone, Debug)]
pub struct AllocationRow<'a> {
    pub alloc: &'a Allocation,
    pub hot: &'a Hot,
    pub user_slot: u32,
    pub realm_slot: u32,
    pub realm: Option<&'a str>,
    pub realm_display: &'a str,
    pub user: &'a str,
    pub user_display: &'a str,
    pub state: State,
    pub client_rate: Option<Rate>,
    pub peer_rate: Option<Rate>,
    /// Seconds since the last traffic report (either leg).
    pub last_report_age: Option<f64>,
}

impl AllocationRow<'_> {
    pub fn rate(&self, leg: Leg) -> Option<Rate> {
        match leg {
            Leg::Client => self.client_rate,
            Leg::Peer => self.peer_rate,
        }
    }
}

/// Totals and rates over a group of allocations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Aggregate {
    /// Live or released: the status key exists and the lifetime has not run out.
    pub live: u32,
    /// Open, but the status key is gone from Redis and nothing was heard since.
    pub unconfirmed: u32,
    pub expired: u32,
    pub ended: u32,
    pub client: Counters,
    pub peer: Counters,
    pub client_rate: Rate,
    pub peer_rate: Rate,
    /// Newest traffic report of any allocation in the group (model time).
    pub last_report: Option<Time>,
    /// Open allocations whose rate of that leg is known: with none, the group's rate is not
    /// zero but unknown (no report is not zero traffic), see [`Aggregate::rate`].
    pub client_known: u32,
    pub peer_known: u32,
}

impl Aggregate {
    /// Count one allocation in its state at `now`, from its hot fields (no row).
    pub fn add(&mut self, h: &Hot, state: State, now: Time) {
        match state {
            State::Live | State::Released => self.live += 1,
            State::Unconfirmed => self.unconfirmed += 1,
            State::Expired => self.expired += 1,
            State::Deleted => self.ended += 1,
        }
        self.client.add(h.leg_sum(Leg::Client));
        self.peer.add(h.leg_sum(Leg::Peer));
        if state.is_open() {
            if let Some(r) = h.rate(Leg::Client, now) {
                self.client_rate.add(r);
                self.client_known += 1;
            }
            if let Some(r) = h.rate(Leg::Peer, now) {
                self.peer_rate.add(r);
                self.peer_known += 1;
            }
        }
        if let Some(t) = h.last_report() {
            self.last_report = Some(self.last_report.map_or(t, |l| l.max(t)));
        }
    }

    pub fn merge(&mut self, other: &Aggregate) {
        self.live += other.live;
        self.unconfirmed += other.unconfirmed;
        self.expired += other.expired;
        self.ended += other.ended;
        self.client.add(&other.client);
        self.peer.add(&other.peer);
        self.client_rate.add(other.client_rate);
        self.peer_rate.add(other.peer_rate);
        self.client_known += other.client_known;
        self.peer_known += other.peer_known;
        self.last_report = match (self.last_report, other.last_report) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// The group's current rate of one leg: `None` when no allocation in it has one (none
    /// reported yet, or none open), shown as `-` like an allocation's, never as zero.
    pub fn rate(&self, leg: Leg) -> Option<Rate> {
        match leg {
            Leg::Client => (self.client_known > 0).then_some(self.client_rate),
            Leg::Peer => (self.peer_known > 0).then_some(self.peer_rate),
        }
    }

    pub fn allocations(&self) -> u32 {
        self.live + self.unconfirmed + self.expired + self.ended
    }
}

#[derive(Clone, Debug)]
pub struct UserRow<'a> {
    pub slot: u32,
    pub realm_slot: u32,
    pub realm: Option<&'a str>,
    pub realm_display: &'a str,
    pub user: &'a str,
    pub user_display: &'a str,
    pub agg: Aggregate,
}

/// One coturn listener (an endpoint and the `local=` address its clients reached; statuses
/// without `local=` group under their endpoint alone).
#[derive(Clone, Debug)]
pub struct ServerRow {
    pub endpoint: EndpointId,
    pub local: Option<Atom>,
    pub agg: Aggregate,
    /// Its allocations flagged as sharing their id with another coturn's.
    pub collided: u32,
}

#[derive(Clone, Debug)]
pub struct RealmRow<'a> {
    pub slot: u32,
    pub realm: Option<&'a str>,
    pub realm_display: &'a str,
    pub users: u32,
    pub agg: Aggregate,
}

/// What the header shows about everything at once.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    pub agg: Aggregate,
    pub users: u32,
    pub realms: u32,
}

impl Model {
    pub fn allocation_row<'a>(&'a self, a: &'a Allocation, now: Time) -> Option<AllocationRow<'a>> {
        let state = a.state(now)?;
        let hot = self.hot_at(a.slot)?;
        let user = self.user_of(a);
        let realm = self.realm_of_user(user);
        let last = last_report_time(a);
        // An ended allocation moves nothing: it has no current rate (its past is in the history).
        let (client_rate, peer_rate) = if state.is_open() {
            (a.client.rate_at(now), a.peer.rate_at(now))
        } else {
            (None, None)
        };
        Some(AllocationRow {
            alloc: a,
            hot,
            user_slot: self.allocation_user_slot(a),
            realm_slot: self.user_realm_slot(user),
            realm: realm.name.as_deref(),
            realm_display: &realm.display,
            user: &user.name,
            user_display: &user.display,
            state,
            client_rate,
            peer_rate,
            last_report_age: last.map(|l| (now - l).max(0.0)),
        })
    }

    pub fn allocation_rows(&self, now: Time) -> Vec<AllocationRow<'_>> {
        self.allocations()
            .filter_map(|a| self.allocation_row(a, now))
            .collect()
    }

    /// One row per user that has at least one allocation: one pass over the allocations,
    /// grouped by user slot (no hashing).
    pub fn user_rows(&self, now: Time) -> Vec<UserRow<'_>> {
        self.user_aggregates(now)
            .into_iter()
            .enumerate()
            .filter_map(|(slot, agg)| self.user_row(slot as u32, agg?))
            .collect()
    }

    /// Each user slot's aggregate (`None`: no user there, or no allocation): one pass over the
    /// allocations' hot copy.
    pub fn user_aggregates(&self, now: Time) -> Vec<Option<Aggregate>> {
        let mut aggs: Vec<Option<Aggregate>> = vec![None; self.user_slots()];
        for (_, h) in self.hot_slots() {
            if let Some(state) = h.state(now)
                && let Some(agg) = aggs.get_mut(h.user as usize)
            {
                agg.get_or_insert_with(Aggregate::default)
                    .add(h, state, now);
            }
        }
        aggs
    }

    pub fn user_row(&self, slot: u32, agg: Aggregate) -> Option<UserRow<'_>> {
        let user = self.user(slot)?;
        let realm = self.realm_of_user(user);
        Some(UserRow {
            slot,
            realm_slot: self.user_realm_slot(user),
            realm: realm.name.as_deref(),
            realm_display: &realm.display,
            user: &user.name,
            user_display: &user.display,
            agg,
        })
    }

    /// One row per realm, from the user rows.
    pub fn realm_rows(&self, now: Time) -> Vec<RealmRow<'_>> {
        let mut rows: Vec<RealmRow<'_>> = Vec::new();
        // Realm slot -> its row: rows in the order their first user comes.
        let mut row_of: Vec<Option<usize>> = Vec::new();
        for (slot, agg) in self.user_aggregates(now).iter().enumerate() {
            let (Some(agg), Some(user)) = (agg, self.user(slot as u32)) else {
                continue;
            };
            let realm_slot = self.user_realm_slot(user);
            let r = realm_slot as usize;
            if r >= row_of.len() {
                row_of.resize(r + 1, None);
            }
            let i = *row_of[r].get_or_insert_with(|| {
                let realm = self.realm_of_user(user);
                rows.push(RealmRow {
                    slot: realm_slot,
                    realm: realm.name.as_deref(),
                    realm_display: &realm.display,
                    users: 0,
                    agg: Aggregate::default(),
                });
                rows.len() - 1
            });
            rows[i].users += 1;
            rows[i].agg.merge(agg);
        }
        rows
    }

    /// One row per coturn listener, in one pass over the allocations' hot copy, ordered by
    /// endpoint and first appearance.
    pub fn server_rows(&self, now: Time) -> Vec<ServerRow> {
        let mut rows: Vec<ServerRow> = Vec::new();
        // [endpoint][local atom index] -> its row.
        let mut row_of: Vec<Vec<Option<usize>>> = Vec::new();
        for (_, h) in self.hot_slots() {
            let Some(state) = h.state(now) else { continue };
            let (e, l) = (usize::from(h.endpoint), usize::from(h.local_index()));
            if row_of.len() <= e {
                row_of.resize_with(e + 1, Vec::new);
            }
            if row_of[e].len() <= l {
                row_of[e].resize(l + 1, None);
            }
            let i = *row_of[e][l].get_or_insert_with(|| {
                rows.push(ServerRow {
                    endpoint: EndpointId(h.endpoint),
                    local: h.local(),
                    agg: Aggregate::default(),
                    collided: 0,
                });
                rows.len() - 1
            });
            rows[i].agg.add(h, state, now);
            if h.collision && state.is_open() {
                rows[i].collided += 1;
            }
        }
        rows.sort_by_key(|r| r.endpoint);
        rows
    }

    /// A coturn listener's bytes per second, as [`Model::realm_history`].
    pub fn server_history(
        &self,
        endpoint: EndpointId,
        local: Option<Atom>,
        leg: Leg,
        now: Time,
        buckets: usize,
        bucket_secs: f64,
    ) -> Vec<Option<f64>> {
        let ring = self
            .server_history
            .get(usize::from(endpoint.0))
            .and_then(|by_local| by_local.get(local.map_or(0, |l| l.index())))
            .and_then(Option::as_ref);
        match ring {
            Some(rings) => rings[usize::from(leg == Leg::Peer)].buckets(now, buckets, bucket_secs),
            None => vec![None; buckets],
        }
    }

    /// How a coturn listener is named on screen: its `local=` address, after its endpoint's
    /// label when several endpoints are followed; the label alone without a `local=`.
    pub fn server_label(&self, endpoint: EndpointId, local: Option<Atom>) -> String {
        let label = self.endpoint(endpoint).map_or("?", |e| e.label.as_str());
        match self.atom(local) {
            Some(l) if self.endpoints().len() > 1 => format!("{label} {l}"),
            Some(l) => l.to_owned(),
            None => label.to_owned(),
        }
    }

    /// What the header shows, in one light pass over the allocations (no rows built).
    pub fn totals(&self, now: Time) -> Totals {
        let mut t = TotalsBuilder::new(self);
        for (_, h) in self.hot_slots() {
            if let Some(state) = h.state(now) {
                t.add(h, state, now);
            }
        }
        t.finish()
    }

    /// Bytes per second of one allocation in `buckets` buckets of `bucket_secs`, ending at `now`.
    pub fn allocation_history(
        &self,
        a: &Allocation,
        leg: Leg,
        now: Time,
        buckets: usize,
        bucket_secs: f64,
    ) -> Vec<Option<f64>> {
        let mut out = vec![None; buckets];
        a.leg(leg)
            .series
            .add_into(&mut out, self.ds_at(now), bucket_ds(bucket_secs));
        out
    }

    /// The same, summed over a user's allocations.
    pub fn user_history(
        &self,
        user_slot: u32,
        leg: Leg,
        now: Time,
        buckets: usize,
        bucket_secs: f64,
    ) -> Vec<Option<f64>> {
        let mut out = vec![None; buckets];
        if let Some(u) = self.user(user_slot) {
            for a in self.user_allocations(u) {
                a.leg(leg)
                    .series
                    .add_into(&mut out, self.ds_at(now), bucket_ds(bucket_secs));
            }
        }
        out
    }

    /// The same for a realm, from its per-second history ring (one pass over 1800 seconds,
    /// however many allocations it has); a realm too small for a ring sums its allocations'.
    pub fn realm_history(
        &self,
        realm_slot: u32,
        leg: Leg,
        now: Time,
        buckets: usize,
        bucket_secs: f64,
    ) -> Vec<Option<f64>> {
        let Some(realm) = self.realm(realm_slot) else {
            return vec![None; buckets];
        };
        if let Some(rings) = realm.history.as_ref() {
            return rings[usize::from(leg == Leg::Peer)].buckets(now, buckets, bucket_secs);
        }
        let mut out = vec![None; buckets];
        for (user_slot, _) in self.realm_users(realm) {
            let sum = self.user_history(user_slot, leg, now, buckets, bucket_secs);
            for (o, v) in out.iter_mut().zip(sum) {
                if let Some(v) = v {
                    *o = Some(o.unwrap_or(0.0) + v);
                }
            }
        }
        out
    }
}

/// The newest traffic report of either leg.
pub fn last_report_time(a: &Allocation) -> Option<Time> {
    match (a.client.last_report, a.peer.last_report) {
        (Some(c), Some(p)) => Some(c.max(p)),
        (c, p) => c.or(p),
    }
}

/// Header totals accumulated during a pass that visits every allocation anyway (the table's),
/// so a frame does not walk 100k allocations twice.
pub struct TotalsBuilder<'a> {
    model: &'a Model,
    agg: Aggregate,
    users: Vec<bool>,
}

impl<'a> TotalsBuilder<'a> {
    pub fn new(model: &'a Model) -> Self {
        TotalsBuilder {
            model,
            agg: Aggregate::default(),
            users: vec![false; model.user_slots()],
        }
    }

    pub fn add(&mut self, h: &Hot, state: State, now: Time) {
        self.agg.add(h, state, now);
        if let Some(seen) = self.users.get_mut(h.user as usize) {
            *seen = true;
        }
    }

    pub fn finish(self) -> Totals {
        let mut realms = SlotSet::default();
        let mut users = 0;
        for (slot, seen) in self.users.iter().enumerate() {
            if *seen && let Some(u) = self.model.user(slot as u32) {
                users += 1;
                realms.insert(self.model.user_realm_slot(u));
            }
        }
        Totals {
            agg: self.agg,
            users,
            realms: realms.len(),
        }
    }
}

/// Distinct slots (of realms, users), counted without hashing: slots are small and dense.
#[derive(Default)]
pub struct SlotSet {
    seen: Vec<bool>,
    len: u32,
}

impl SlotSet {
    pub fn insert(&mut self, slot: u32) {
        let i = slot as usize;
        if i >= self.seen.len() {
            self.seen.resize(i + 1, false);
        }
        if !self.seen[i] {
            self.seen[i] = true;
            self.len += 1;
        }
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn bucket_ds(secs: f64) -> u32 {
    ((secs * 10.0).round() as u32).max(1)
}
