//! What each scheduled event does to the simulated server: a client arrives, its allocations
//! are allocated, refreshed, report traffic, change flow, end and are deleted, as coturn does.

use super::alloc::{Alloc, C_RCV, C_SENT, CONTROL_PPS, CONTROL_SIZE, Phase, integerize};
use super::plan::AllocPlan;
use super::plan::{EndKind, Flow, Profile, Transport, draw_flow, flow_change_mean, plan_client};
use super::scheduler::Ev;
use super::trouble::{HOG_FLOW, STUCK_FOR, Trouble};
use super::{Demo, INITIAL_LIFETIME, REFRESH_LIFETIME, REPORT_PACKETS};
use crate::coturn::{AllocationId, Counters, EventKind};

impl Demo {
    pub(super) fn arrival(&mut self, at: f64) {
        let plan = plan_client(&mut self.rng, &self.data, at);
        let realm = self.data.realms[plan.realm].name.clone();
        for ap in plan.allocs {
            self.open_alloc(
                at,
                realm.clone(),
                plan.user.clone(),
                (plan.local_ip, &plan.remote_ip),
                ap,
                Trouble::None,
            );
        }
        // Poisson arrivals, steered towards the target population.
        let target = self.target_at(at).max(1.0);
        let open = self.allocs.len() as f64;
        let steer = (target / open.max(1.0)).powi(2).clamp(0.25, 6.0);
        let rate = target / self.open_per_client * steer;
        let gap = self.rng.exp(1.0 / rate);
        self.schedule(at + gap, Ev::Arrival);
    }

    /// A client's allocation: planned now, allocated `ap.offset` later.
    pub(super) fn open_alloc(
        &mut self,
        at: f64,
        realm: Option<String>,
        user: String,
        (local_ip, remote_ip): (&str, &str),
        ap: AllocPlan,
        trouble: Trouble,
    ) -> u64 {
        let key = self.next_key;
        self.next_key += 1;
        let local_port = match ap.transport {
            Transport::Udp | Transport::Tcp => 3478,
            Transport::Tls | Transport::Dtls => 5349,
        };
        let kind = match ap.transport {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS/TCP",
            Transport::Dtls => "DTLS",
        };
        let status_fields = format!(
            "type={kind}, local={local_ip}:{local_port}, remote={remote_ip}:{}, ssl={}, cipher={}",
            ap.remote_port, ap.ssl, ap.cipher
        );
        let start = at + ap.offset;
        self.allocs.insert(
            key,
            Alloc {
                id: AllocationId(0), // taken when it is allocated, in id order
                realm,
                user,
                status_fields,
                plan: ap,
                phase: Phase::Allocated,
                started: start,
                lifetime: INITIAL_LIFETIME,
                last_refresh: start,
                flow: Flow::default(),
                rates: [0.0; 4],
                sizes: [0.0; 4],
                acc: [0.0; 4],
                acc_bytes: [0.0; 4],
                accrued_to: start,
                report_gen: 0,
                total: [Counters::default(); 2],
                trouble,
            },
        );
        self.schedule(start, Ev::Allocate(key));
        key
    }

    /// A flow for the profile, or the hog's.
    fn next_flow(&mut self, key: u64, profile: Profile) -> Flow {
        let hog = self
            .allocs
            .get(&key)
            .is_some_and(|a| a.trouble == Trouble::Hog);
        if hog {
            HOG_FLOW
        } else {
            draw_flow(&mut self.rng, profile)
        }
    }

    pub(super) fn preauth(&mut self, at: f64) {
        // Sessions that closed before authenticating: often two at once (RTP + RTCP).
        let sessions = if self.rng.chance(0.4) { 2 } else { 1 };
        let shares: Vec<f64> = self.data.realms.iter().map(|r| r.share.max(0.0)).collect();
        let realm = self.data.realms[self.rng.weighted(&shares)].name.clone();
        let tls = self.rng.chance(0.3);
        for _ in 0..sessions {
            let id = self.next_id();
            let client = if tls {
                Counters::default() // the TLS handshake never completed: nothing counted
            } else {
                Counters {
                    rcvp: 1,
                    rcvb: 96 + 4 * self.rng.below(12),
                    sentp: 0,
                    sentb: 0,
                }
            };
            self.emit_traffic(
                at,
                realm.as_deref(),
                "",
                id,
                [client, Counters::default()],
                false,
            );
        }
        let gap = self.rng.exp(60.0 / self.config.preauth_per_minute);
        self.schedule(at + gap, Ev::PreAuth);
    }

    pub(super) fn allocate(&mut self, at: f64, key: u64) {
        // A client reconnecting after a restart gets the id of its previous session.
        let reused = self.allocs.get(&key).map(|a| a.id).filter(|id| id.0 != 0);
        let id = match reused {
            Some(id) => {
                let thread = (id.relay_thread() as usize).min(self.counters.len() - 1);
                self.counters[thread] = self.counters[thread].max(id.counter());
                id
            }
            None => self.next_id(),
        };
        let Some(a) = self.allocs.get_mut(&key) else {
            return;
        };
        a.id = id;
        a.started = at;
        a.last_refresh = at;
        a.accrued_to = at;
        let plan = a.plan.clone();
        self.emit_status(at, key, "new", INITIAL_LIFETIME);
        self.emit_status(at, key, "refreshed", INITIAL_LIFETIME);
        match (plan.profile, plan.end) {
            (Profile::Probe, EndKind::Vanish) => {
                // A binding check, then never refreshed again: expires after 777 s, as
                // uclient's UDP probe does.
                if let Some(a) = self.allocs.get_mut(&key) {
                    a.acc = [3.0, 3.0, 0.0, 0.0];
                    a.acc_bytes = [300.0, 312.0, 0.0, 0.0];
                    a.phase = Phase::Vanished;
                }
                let grace = self.rng.range(0.002, 1.0);
                self.schedule(at + f64::from(INITIAL_LIFETIME) + grace, Ev::Delete(key));
            }
            (Profile::Probe, _) => {
                // A few request/response packets, then the connection closes.
                if let Some(a) = self.allocs.get_mut(&key) {
                    a.acc = [3.0, 3.0, 0.0, 0.0];
                    a.acc_bytes = [292.0, 312.0, 0.0, 0.0];
                    a.phase = Phase::Active;
                }
                self.schedule(at + plan.duration, Ev::Delete(key));
            }
            _ => {
                let starts = self.rng.range(0.001, 0.25);
                self.schedule(at + starts, Ev::Refresh(key));
                self.schedule(at + plan.duration.max(starts + 0.01), Ev::End(key));
            }
        }
    }

    pub(super) fn refresh(&mut self, at: f64, key: u64) {
        let Some(a) = self.allocs.get_mut(&key) else {
            return;
        };
        let first = match a.phase {
            Phase::Allocated => true,
            Phase::Active => false,
            Phase::Released | Phase::Vanished => return,
        };
        a.lifetime = REFRESH_LIFETIME;
        a.last_refresh = at;
        let profile = a.plan.profile;
        self.emit_status(at, key, "refreshed", REFRESH_LIFETIME);
        if first {
            let flow = self.next_flow(key, profile);
            if let Some(a) = self.allocs.get_mut(&key) {
                a.phase = Phase::Active;
                a.accrued_to = at;
                a.set_flow(flow);
                // Control messages flow even when the media does not.
                if a.rates.iter().sum::<f64>() <= 0.0 {
                    a.rates[C_RCV] = CONTROL_PPS;
                    a.rates[C_SENT] = CONTROL_PPS;
                    a.sizes[C_RCV] = CONTROL_SIZE;
                    a.sizes[C_SENT] = CONTROL_SIZE;
                }
            }
            self.schedule_report(at, key);
            if let Some(mean) = flow_change_mean(profile) {
                let gap = self.rng.exp(mean);
                self.schedule(at + gap, Ev::FlowChange(key));
            }
        }
        // Browsers refresh well before the lifetime runs out: about every 5 minutes.
        let every = self.rng.range(240.0, 300.0);
        self.schedule(at + every, Ev::Refresh(key));
    }

    fn schedule_report(&mut self, at: f64, key: u64) {
        let Some(a) = self.allocs.get(&key) else {
            return;
        };
        if let Some(due) = a.next_report(at) {
            let generation = a.report_gen;
            self.schedule(due, Ev::Report(key, generation));
        }
    }

    pub(super) fn report(&mut self, at: f64, key: u64, generation: u32) {
        let Some(a) = self.allocs.get_mut(&key) else {
            return;
        };
        if a.report_gen != generation || a.phase != Phase::Active {
            return;
        }
        a.accrue(at);
        let packets = integerize(&a.acc, REPORT_PACKETS);
        let legs = a.take(packets);
        let (realm, user, id) = (a.realm.clone(), a.user.clone(), a.id);
        if a.trouble == Trouble::LosesAReport {
            // Counted in its totals, never published: the report is lost.
            a.trouble = Trouble::None;
        } else {
            self.emit_traffic(at, realm.as_deref(), &user, id, legs, false);
        }
        self.schedule_report(at, key);
    }

    pub(super) fn flow_change(&mut self, at: f64, key: u64) {
        let Some(a) = self.allocs.get_mut(&key) else {
            return;
        };
        if a.phase != Phase::Active {
            return;
        }
        let profile = a.plan.profile;
        a.accrue(at);
        let flow = self.next_flow(key, profile);
        if let Some(a) = self.allocs.get_mut(&key) {
            a.set_flow(flow);
        }
        self.schedule_report(at, key);
        if let Some(mean) = flow_change_mean(profile) {
            let gap = self.rng.exp(mean);
            self.schedule(at + gap, Ev::FlowChange(key));
        }
    }

    pub(super) fn end(&mut self, at: f64, key: u64) {
        let Some(a) = self.allocs.get_mut(&key) else {
            return;
        };
        if matches!(a.phase, Phase::Released | Phase::Vanished) {
            return;
        }
        a.accrue(at);
        a.stop_flow();
        let transport = a.plan.transport;
        match a.plan.end {
            EndKind::Release => {
                a.phase = Phase::Released;
                self.emit_status(at, key, "refreshed", 0);
                let delay = if transport.is_stream() || transport == Transport::Dtls {
                    self.rng.range(0.0, 0.001)
                } else {
                    self.rng.range(0.995, 1.005)
                };
                self.schedule(at + delay, Ev::Delete(key));
            }
            EndKind::Vanish => {
                a.phase = Phase::Vanished;
                let expiry = a.last_refresh + f64::from(a.lifetime);
                let grace = self.rng.range(0.002, 1.0)
                    + if a.trouble == Trouble::Stuck {
                        STUCK_FOR
                    } else {
                        0.0
                    };
                self.schedule(expiry.max(at) + grace, Ev::Delete(key));
            }
            EndKind::Drop => self.delete(at, key),
        }
    }

    pub(super) fn delete(&mut self, at: f64, key: u64) {
        let Some(mut a) = self.allocs.remove(&key) else {
            return;
        };
        a.accrue(at);
        let packets = a.acc.map(|p| p.round() as u64);
        let last = a.take(packets);
        let realm = a.realm.as_deref();
        self.emit_traffic(at, realm, &a.user, a.id, last, false);
        self.emit(
            at,
            realm,
            &a.user,
            a.id,
            EventKind::Status,
            "deleted".into(),
        );
        self.emit_traffic(at, realm, &a.user, a.id, a.total, true);
    }
}
