//! The `[problems]` table of the configuration: thresholds and severities of the problems the
//! model finds (`model::problems`), and `bell`. Each key is documented in `config.example.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::Duration;
use crate::model::{ProblemKind, Severity, Thresholds};

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProblemsConfig {
    pub allocation_rate: Option<RateSetting>,
    pub user_allocations: Option<u32>,
    pub user_rate: Option<RateSetting>,
    pub silent_after: Option<Duration>,
    pub stuck_after: Option<Duration>,
    pub endpoint_after: Option<Duration>,
    pub restart_within: Option<Duration>,
    /// Kind name -> severity.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Ring the terminal bell once when a new critical problem appears (as `--bell`).
    pub bell: Option<bool>,
}

/// Bytes per second, from a number or a string like "10MB/s" or "80Mbps".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateSetting(pub f64);

impl<'de> Deserialize<'de> for RateSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::config::NumberOrText;
        let rate = match NumberOrText::deserialize(d)? {
            NumberOrText::Number(n) => Some(n),
            NumberOrText::Text(t) => crate::format::parse_rate(&t).map(|a| a.value),
        };
        rate.filter(|r| r.is_finite() && *r > 0.0)
            .map(RateSetting)
            .ok_or_else(|| {
                serde::de::Error::custom(
                    "expected a rate like \"10MB/s\", \"80Mbps\" or a number of bytes per second",
                )
            })
    }
}

impl ProblemsConfig {
    /// The thresholds this table sets, defaults elsewhere. Fails on a severity for a kind that
    /// does not exist, naming the kinds.
    pub fn thresholds(&self) -> Result<Thresholds, String> {
        let mut t = Thresholds::default();
        if let Some(r) = self.allocation_rate {
            t.allocation_rate = r.0;
        }
        if let Some(n) = self.user_allocations {
            t.user_allocations = n;
        }
        if let Some(r) = self.user_rate {
            t.user_rate = r.0;
        }
        for (setting, field) in [
            (self.silent_after, &mut t.silent_after),
            (self.stuck_after, &mut t.stuck_after),
            (self.endpoint_after, &mut t.endpoint_after),
            (self.restart_within, &mut t.restart_within),
        ] {
            if let Some(d) = setting {
                *field = d.0;
            }
        }
        for (name, severity) in &self.severity {
            let kind = ProblemKind::parse(name).ok_or_else(|| unknown_kind(name))?;
            t.severity[kind.index()] = *severity;
        }
        Ok(t)
    }
}

/// The error for `severity.<name>` when no problem is called `name`.
pub fn unknown_kind(name: &str) -> String {
    let kinds: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.name()).collect();
    format!(
        "there is no problem called `{name}`; the problems: {}",
        kinds.join(" ")
    )
}

/// What `severity` accepts.
pub fn severity_names() -> [&'static str; 2] {
    [Severity::Warning.name(), Severity::Critical.name()]
}
