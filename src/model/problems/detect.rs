//! Finding the problems: one pass over the compact hot copies (the ended rows' records are read
//! for their totals), then users and endpoints. Called from the once-a-second tick.

use super::{Problem, ProblemKind, Severity, Subject};
use crate::format;
use crate::model::{Allocation, ConnectionState, EndReason, Model, State, Time};
use crate::sanitize::sanitize;

/// What one endpoint's allocations add up to in the pass.
#[derive(Clone, Copy, Default)]
struct EndpointTally {
    collided: u32,
    replaced: u32,
    first_replaced: Option<Time>,
    /// Live allocations whose last report spanned less than `silent_after`: they should have
    /// reported again within it.
    reporting: u32,
}

impl Model {
    /// Recompute the problems at `now`. Cheap enough for the once-a-second tick at 100k
    /// allocations (see BENCHMARKS.md); never called per frame.
    pub fn update_problems(&mut self, now: Time) {
        let t = self.problems.thresholds.clone();
        let mut found: Vec<Problem> = Vec::new();
        let mut users = std::mem::take(&mut self.problems.scratch);
        users.clear();
        users.resize(self.users.len(), (0, 0.0));
        let mut tally = vec![EndpointTally::default(); self.endpoints.len()];

        for (slot, h) in self.hot.iter().enumerate() {
            let Some(state) = h.state(now) else { continue };
            let ep = usize::from(h.endpoint);
            if state == State::Deleted {
                let Some(a) = self.allocations[slot].as_ref() else {
                    continue;
                };
                if a.totals_mismatch() {
                    let detail = "reports were lost: coturn's total differs from the sum of \
                                  its reports (Σ≠)"
                        .to_owned();
                    let since = a.ended_at.unwrap_or(now);
                    found.push(self.allocation_problem(ProblemKind::Mismatch, a, since, detail));
                }
                if a.end_reason == Some(EndReason::Replaced)
                    && let Some(e) = a.ended_at
                    && now - e <= t.restart_within
                    && let Some(tl) = tally.get_mut(ep)
                {
                    tl.replaced += 1;
                    tl.first_replaced = Some(tl.first_replaced.map_or(e, |f: Time| f.min(e)));
                }
                continue;
            }
            if state == State::Expired
                && let Some(left) = h.lifetime_left(now)
                && -left >= t.stuck_after
                && let Some(a) = self.allocations[slot].as_ref()
            {
                let detail = format!(
                    "lifetime ran out {} ago and coturn has not deleted it: a dead client \
                     coturn did not notice, or a dead coturn",
                    format::duration(-left)
                );
                found.push(self.allocation_problem(ProblemKind::Stuck, a, now + left, detail));
            }
            let rate = [crate::coturn::Leg::Client, crate::coturn::Leg::Peer]
                .into_iter()
                .filter_map(|leg| h.rate(leg, now))
                .map(|r| r.total())
                .sum::<f64>();
            if rate > t.allocation_rate
                && let Some(a) = self.allocations[slot].as_ref()
            {
                let detail = format!(
                    "{} over the {} allowed to one allocation (allocation_rate)",
                    format::rate(rate, format::RateUnits::Bytes),
                    format::rate(t.allocation_rate, format::RateUnits::Bytes)
                );
                found.push(self.allocation_problem(ProblemKind::Hog, a, now, detail));
            }
            if let Some(u) = users.get_mut(h.user as usize) {
                if matches!(state, State::Live | State::Released) {
                    u.0 += 1;
                }
                u.1 += rate;
            }
            if let Some(tl) = tally.get_mut(ep) {
                tl.collided += u32::from(h.collision);
                if state == State::Live && h.report_span().is_some_and(|s| s < t.silent_after) {
                    tl.reporting += 1;
                }
            }
        }

        for (slot, &(live, rate)) in users.iter().enumerate() {
            let busy_count = live > t.user_allocations;
            if !busy_count && rate <= t.user_rate {
                continue;
            }
            let Some(user) = self.users[slot].as_ref() else {
                continue;
            };
            let detail = if busy_count {
                format!(
                    "{live} live allocations, over {} (user_allocations): a leaked credential \
                     or a client in a loop",
                    t.user_allocations
                )
            } else {
                format!(
                    "{} over the {} allowed to one user (user_rate)",
                    format::rate(rate, format::RateUnits::Bytes),
                    format::rate(t.user_rate, format::RateUnits::Bytes)
                )
            };
            found.push(Problem {
                kind: ProblemKind::BusyUser,
                severity: t.severity_of(ProblemKind::BusyUser),
                subject: Subject::User(slot as u32),
                since: now,
                detail,
                user: Some(user.display.clone()),
                realm: Some(self.realm_of_user(user).display.clone()),
                id: None,
                endpoint: None,
            });
        }

        for (i, (ep, tl)) in self.endpoints.iter().zip(&tally).enumerate() {
            let mut push = |kind: ProblemKind, since: Time, detail: String| {
                found.push(Problem {
                    kind,
                    severity: t.severity_of(kind),
                    subject: Subject::Endpoint {
                        endpoint: i as u16,
                        listener: self.first_listener(i),
                    },
                    since,
                    detail,
                    user: None,
                    realm: None,
                    id: None,
                    endpoint: Some(ep.label.clone()),
                });
            };
            let down = match &ep.connection {
                ConnectionState::Reconnecting { since, reason, .. } => Some((
                    *since,
                    format!("Redis unreachable, reconnecting: {}", sanitize(reason)),
                )),
                ConnectionState::AuthFailed { since, reason, .. } => Some((
                    *since,
                    format!("Redis refused our credentials: {}", sanitize(reason)),
                )),
                ConnectionState::Connecting => ep
                    .connection_since
                    .map(|s| (s, "connecting to Redis, no answer yet".to_owned())),
                _ => None,
            };
            let is_down = down.is_some();
            if let Some((since, detail)) = down
                && now - since >= t.endpoint_after
            {
                push(ProblemKind::Endpoint, since, detail);
            }
            // A replay's end is not a silence.
            let finished = ep.connection == ConnectionState::Finished;
            if !is_down
                && !finished
                && tl.reporting > 0
                && let Some(last) = ep.last_event
                && now - last >= t.silent_after
            {
                push(
                    ProblemKind::Silent,
                    last,
                    format!(
                        "no event for {} while {} allocations that report more often are live: \
                         a dropped statsdb connection (redis.conf needs timeout 0 and \
                         tcp-keepalive)",
                        format::duration(now - last),
                        tl.reporting
                    ),
                );
            }
            if tl.collided > 0 {
                push(
                    ProblemKind::Collision,
                    now,
                    format!(
                        "{} open allocations share their id with another coturn's: give each \
                         coturn its own Redis (or database)",
                        tl.collided
                    ),
                );
            }
            if let Some(first) = tl.first_replaced {
                push(
                    ProblemKind::Restart,
                    first,
                    format!(
                        "coturn restarted: {} allocations replaced by new ones with reused ids",
                        tl.replaced
                    ),
                );
            }
            if let Some(Some((coturn, ours))) = self.problems.coturn_counts.get(i) {
                push(
                    ProblemKind::CountMismatch,
                    now,
                    format!(
                        "coturn counts {coturn} sessions, turntop {ours}: missed new/deleted \
                         events, or several coturns share this Redis"
                    ),
                );
            }
        }
        self.problems.scratch = users;
        self.set_problems(found, now);
    }

    fn first_listener(&self, endpoint: usize) -> u16 {
        self.listeners
            .iter()
            .find(|(e, _)| usize::from(e.0) == endpoint)
            .map_or(0, |(_, l)| u16::try_from(l.index()).unwrap_or(0))
    }

    fn allocation_problem(
        &self,
        kind: ProblemKind,
        a: &Allocation,
        since: Time,
        detail: String,
    ) -> Problem {
        Problem {
            kind,
            severity: self.problems.thresholds.severity_of(kind),
            subject: Subject::Allocation {
                slot: a.slot,
                id: a.id.0,
            },
            since,
            detail,
            user: Some(self.user_of(a).display.clone()),
            realm: Some(self.realm_of(a).display.clone()),
            id: Some(a.id.to_string()),
            endpoint: self.endpoint(a.endpoint).map(|e| e.label.clone()),
        }
    }

    /// Keep first sightings, order (critical first, newest first), count, and note whether a
    /// critical one is new.
    fn set_problems(&mut self, mut found: Vec<Problem>, now: Time) {
        let p = &mut self.problems;
        let mut first_seen = rustc_hash::FxHashMap::default();
        first_seen.reserve(found.len());
        for problem in &mut found {
            let key = (problem.kind, problem.subject);
            let seen = p.first_seen.get(&key).copied();
            if seen.is_none() && problem.severity == Severity::Critical {
                p.new_critical = true;
            }
            // Kinds without a time of their own date from their first sighting.
            if matches!(
                problem.kind,
                ProblemKind::Hog
                    | ProblemKind::BusyUser
                    | ProblemKind::Collision
                    | ProblemKind::CountMismatch
            ) {
                problem.since = seen.unwrap_or(now);
            }
            first_seen.insert(key, seen.unwrap_or(problem.since));
        }
        found.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.since.total_cmp(&a.since))
                .then(a.kind.cmp(&b.kind))
                .then(a.subject.cmp(&b.subject))
        });
        p.by_severity = [0; 2];
        p.by_kind = [0; ProblemKind::COUNT];
        for problem in &found {
            p.by_severity[problem.severity.index()] += 1;
            p.by_kind[problem.kind.index()] += 1;
        }
        p.first_seen = first_seen;
        p.list = found;
    }
}
