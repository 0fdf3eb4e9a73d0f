//! The realms and users the demo draws from: the bundled `assets/demo.toml`, parsed and checked.

use serde::Deserialize;

/// The bundled realms and users (`assets/demo.toml`).
pub const BUNDLED_DATA: &str = include_str!("../../assets/demo.toml");

/// Realms and users the demo draws from.
#[derive(Clone, Debug, Deserialize)]
pub struct DemoData {
    #[serde(rename = "realm")]
    pub realms: Vec<RealmData>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RealmData {
    /// `None`: a realm-less server (`--no-auth`).
    pub name: Option<String>,
    pub share: f64,
    #[serde(default)]
    pub rest: bool,
    pub users: Vec<String>,
    #[serde(default)]
    pub mix: Mix,
}

/// Relative weights of the traffic profiles of a client's media allocation.
#[derive(Clone, Debug, Deserialize)]
pub struct Mix {
    pub audio: f64,
    pub video: f64,
    pub heavy: f64,
    pub data: f64,
    pub idle: f64,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            audio: 0.4,
            video: 0.3,
            heavy: 0.02,
            data: 0.1,
            idle: 0.18,
        }
    }
}

impl DemoData {
    pub fn parse(text: &str) -> Result<DemoData, String> {
        let data: DemoData = toml::from_str(text).map_err(|e| e.to_string())?;
        if data.realms.is_empty() {
            return Err("no [[realm]]".into());
        }
        for r in &data.realms {
            if r.users.is_empty() {
                return Err(format!("realm {:?} has no users", r.name));
            }
            if !(r.share.is_finite() && r.share >= 0.0) {
                return Err(format!("realm {:?}: bad share", r.name));
            }
        }
        if data.realms.iter().all(|r| r.share <= 0.0) {
            return Err("every share is 0".into());
        }
        Ok(data)
    }

    pub fn bundled() -> DemoData {
        DemoData::parse(BUNDLED_DATA).expect("assets/demo.toml is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_parses() {
        let d = DemoData::bundled();
        assert!(d.realms.len() >= 4);
        assert!(d.realms.iter().any(|r| r.name.is_none()));
        assert!(d.realms.iter().any(|r| r.rest));
        let users: usize = d.realms.iter().map(|r| r.users.len()).sum();
        assert!(users >= 40, "{users} users");
    }
}
