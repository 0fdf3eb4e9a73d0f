//! The metric families (their names are a contract: dashboards and alerts use them) and their
//! encoding by `prometheus-client`, in the Prometheus text format or OpenMetrics.

use std::fmt::Error;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use super::Snapshot;
use super::snapshot::STATES;
use crate::coturn::Counters;
use crate::model::{ProblemKind, Rate, Severity};

/// The exposition format a scraper asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4 (the default).
    Prometheus,
    /// OpenMetrics 1.0 text, when the `Accept` header names it.
    OpenMetrics,
}

impl Format {
    /// From an HTTP `Accept` header.
    pub fn from_accept(accept: Option<&str>) -> Format {
        match accept {
            Some(a) if a.contains("application/openmetrics-text") => Format::OpenMetrics,
            _ => Format::Prometheus,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// The snapshot as exposition text.
pub fn encode(snapshot: Snapshot, format: Format) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Families(snapshot)));
    let mut out = String::new();
    let result = match format {
        Format::Prometheus => {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
        }
        Format::OpenMetrics => prometheus_client::encoding::text::encode(&mut out, &registry),
    };
    // Writing into a String cannot fail; a formatting error would be a bug in the families.
    if result.is_err() {
        tracing::error!("metrics encoding failed");
    }
    out
}

#[derive(Debug)]
struct Families(Snapshot);

const LEGS: [&str; 2] = ["client", "peer"];

fn bytes(c: &Counters) -> [(&'static str, u64); 2] {
    [("rx", c.rcvb), ("tx", c.sentb)]
}

fn packets(c: &Counters) -> [(&'static str, u64); 2] {
    [("rx", c.rcvp), ("tx", c.sentp)]
}

fn rates(r: &Rate) -> [(&'static str, f64); 2] {
    [("rx", r.rx), ("tx", r.tx)]
}

/// One family: its descriptor, then each labelled value.
fn family<L, M>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    metric_type: MetricType,
    series: impl IntoIterator<Item = (L, M)>,
) -> Result<(), Error>
where
    L: prometheus_client::encoding::EncodeLabelSet,
    M: EncodeMetric,
{
    let mut metric = encoder.encode_descriptor(name, help, None, metric_type)?;
    for (labels, value) in series {
        value.encode(metric.encode_family(&labels)?)?;
    }
    Ok(())
}

fn counter(v: u64) -> ConstCounter<u64> {
    ConstCounter::new(v)
}

fn gauge(v: f64) -> ConstGauge<f64> {
    ConstGauge::new(v)
}

fn igauge(v: u64) -> ConstGauge<i64> {
    ConstGauge::new(i64::try_from(v).unwrap_or(i64::MAX))
}

impl Collector for Families {
    fn encode(&self, mut e: DescriptorEncoder<'_>) -> Result<(), Error> {
        let s = &self.0;
        let g = &s.groups;
        family(
            &mut e,
            "turntop_allocations",
            "Allocations by state (ended: retained after their end, see --retention).",
            MetricType::Gauge,
            g.iter().flat_map(|g| {
                STATES.iter().zip(g.states).map(|(state, n)| {
                    (
                        [
                            ("endpoint", g.endpoint.as_str()),
                            ("realm", g.realm.as_str()),
                            ("state", state),
                        ],
                        igauge(n),
                    )
                })
            }),
        )?;
        for (name, help, pick) in [
            (
                "turntop_traffic_bytes",
                "Bytes coturn reported (the sum of its deltas), ended and evicted allocations included.",
                bytes as fn(&Counters) -> [(&'static str, u64); 2],
            ),
            (
                "turntop_traffic_packets",
                "Packets coturn reported (the sum of its deltas), ended and evicted allocations included.",
                packets,
            ),
        ] {
            family(
                &mut e,
                name,
                help,
                MetricType::Counter,
                g.iter().flat_map(|g| {
                    LEGS.iter().zip(&g.traffic).flat_map(move |(leg, c)| {
                        pick(c).map(|(direction, v)| {
                            (
                                [
                                    ("endpoint", g.endpoint.as_str()),
                                    ("realm", g.realm.as_str()),
                                    ("leg", leg),
                                    ("direction", direction),
                                ],
                                counter(v),
                            )
                        })
                    })
                }),
            )?;
        }
        family(
            &mut e,
            "turntop_traffic_rate_bytes_per_second",
            "Current rate of open allocations, as the TUI shows it.",
            MetricType::Gauge,
            g.iter().flat_map(|g| {
                LEGS.iter().zip(&g.rates).flat_map(move |(leg, r)| {
                    rates(r).map(|(direction, v)| {
                        (
                            [
                                ("endpoint", g.endpoint.as_str()),
                                ("realm", g.realm.as_str()),
                                ("leg", leg),
                                ("direction", direction),
                            ],
                            gauge(v),
                        )
                    })
                })
            }),
        )?;
        let l = &s.listeners;
        family(
            &mut e,
            "turntop_listener_allocations",
            "Allocations by coturn listener (local= address) and state.",
            MetricType::Gauge,
            l.iter().flat_map(|l| {
                STATES.iter().zip(l.states).map(|(state, n)| {
                    (
                        [
                            ("endpoint", l.endpoint.as_str()),
                            ("local", l.local.as_str()),
                            ("state", state),
                        ],
                        igauge(n),
                    )
                })
            }),
        )?;
        family(
            &mut e,
            "turntop_listener_traffic_rate_bytes_per_second",
            "Current rate by coturn listener (local= address).",
            MetricType::Gauge,
            l.iter().flat_map(|l| {
                LEGS.iter().zip(&l.rates).flat_map(move |(leg, r)| {
                    rates(r).map(|(direction, v)| {
                        (
                            [
                                ("endpoint", l.endpoint.as_str()),
                                ("local", l.local.as_str()),
                                ("leg", leg),
                                ("direction", direction),
                            ],
                            gauge(v),
                        )
                    })
                })
            }),
        )?;
        family(
            &mut e,
            "turntop_allocations_started",
            "Allocations seen starting (a new status).",
            MetricType::Counter,
            [([("", ""); 0], counter(s.started))],
        )?;
        family(
            &mut e,
            "turntop_allocations_ended",
            "Allocations ended, by reason.",
            MetricType::Counter,
            s.ended
                .iter()
                .map(|(reason, n)| ([("reason", reason.as_str())], counter(*n))),
        )?;
        family(
            &mut e,
            "turntop_totals_mismatch",
            "Ended allocations whose total_traffic differed from the sum of the deltas seen.",
            MetricType::Counter,
            [([("", ""); 0], counter(s.totals_mismatch))],
        )?;
        let ep = &s.endpoints;
        for (name, help, pick) in [
            (
                "turntop_events",
                "Messages received from this Redis endpoint.",
                (|x| x.events) as fn(&super::EndpointStats) -> u64,
            ),
            (
                "turntop_malformed_events",
                "Messages from this endpoint that did not parse.",
                |x| x.malformed,
            ),
            (
                "turntop_gaps",
                "Times the subscription was down (what was published meanwhile is lost).",
                |x| x.gaps,
            ),
            (
                "turntop_redis_reconnects",
                "Times the connection was made again after the first.",
                |x| x.reconnects,
            ),
        ] {
            family(
                &mut e,
                name,
                help,
                MetricType::Counter,
                ep.iter()
                    .map(|x| ([("endpoint", x.endpoint.as_str())], counter(pick(x)))),
            )?;
        }
        family(
            &mut e,
            "turntop_redis_up",
            "1 while subscribed to this Redis endpoint, 0 otherwise.",
            MetricType::Gauge,
            ep.iter()
                .map(|x| ([("endpoint", x.endpoint.as_str())], igauge(u64::from(x.up)))),
        )?;
        family(
            &mut e,
            "turntop_sessions_without_allocation",
            "Traffic-only sessions (closed before they had an allocation).",
            MetricType::Counter,
            [([("", ""); 0], counter(s.sessions_without_allocation))],
        )?;
        family(
            &mut e,
            "turntop_ids_reused",
            "Allocations replaced by a new one with the same id on the same listener (a restart).",
            MetricType::Counter,
            [([("", ""); 0], counter(s.ids_reused))],
        )?;
        family(
            &mut e,
            "turntop_id_collisions",
            "Allocation ids two coturns on one Redis used at the same time.",
            MetricType::Counter,
            [([("", ""); 0], counter(s.id_collisions))],
        )?;
        family(
            &mut e,
            "turntop_problems",
            "Current problems (as the Problems view and turntop check see them) by kind and severity.",
            MetricType::Gauge,
            ProblemKind::ALL.iter().flat_map(|kind| {
                Severity::ALL.iter().map(move |severity| {
                    (
                        [("kind", kind.name()), ("severity", severity.name())],
                        igauge(s.problems[kind.index()][severity.index()]),
                    )
                })
            }),
        )?;
        if s.users_asked {
            family(
                &mut e,
                "turntop_user_allocations",
                "Open allocations of the top users by rate (--metrics-users), the rest in user=\"_other\".",
                MetricType::Gauge,
                s.users.iter().map(|u| {
                    (
                        [("realm", u.realm.as_str()), ("user", u.user.as_str())],
                        igauge(u.open),
                    )
                }),
            )?;
            family(
                &mut e,
                "turntop_user_traffic_rate_bytes_per_second",
                "Rate (client + peer, rx + tx) of the top users (--metrics-users), the rest in user=\"_other\".",
                MetricType::Gauge,
                s.users.iter().map(|u| {
                    (
                        [("realm", u.realm.as_str()), ("user", u.user.as_str())],
                        gauge(u.rate),
                    )
                }),
            )?;
        }
        family(
            &mut e,
            "turntop_scrape_pass_seconds",
            "How long this scrape's pass over the model took.",
            MetricType::Gauge,
            [([("", ""); 0], gauge(s.pass_seconds))],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Model, ModelConfig, Thresholds};

    /// Every kind × severity pair is a series (0 where there is none), and the count is the
    /// model's, with the severity the config gives the kind.
    #[test]
    fn problems_are_one_series_per_kind_and_severity() {
        let mut severity = Thresholds::default().severity;
        severity[ProblemKind::BusyUser.index()] = Severity::Critical;
        let mut model = Model::new(ModelConfig {
            problems: Thresholds {
                user_allocations: 1,
                severity,
                ..Thresholds::default()
            },
            ..ModelConfig::default()
        });
        let ep = model.add_endpoint("e");
        for id in 1..=2 {
            model.apply_raw(
                ep,
                1.0,
                &format!("turn/realm/r/user/u/allocation/{id:018}/status"),
                b"new lifetime=600, type=UDP, local=127.0.0.1:3478",
            );
        }
        model.tick(2.0);
        assert_eq!(model.problems().count_kind(ProblemKind::BusyUser), 1);
        let text = encode(Snapshot::take(&model, 2.0, 0), Format::Prometheus);
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("turntop_problems{"))
            .collect();
        assert_eq!(lines.len(), ProblemKind::COUNT * 2, "{text}");
        for kind in ProblemKind::ALL {
            for sev in Severity::ALL {
                let want = u32::from(kind == ProblemKind::BusyUser && sev == Severity::Critical);
                let line = format!(
                    "turntop_problems{{kind=\"{}\",severity=\"{}\"}} {want}",
                    kind.name(),
                    sev.name()
                );
                assert!(lines.contains(&line.as_str()), "{line} in {text}");
            }
        }
    }
}
