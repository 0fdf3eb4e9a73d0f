//! `--once` with coturn's CLI: one connection per endpoint, `ps <user>` for each user with an
//! open allocation there (what the JSON shows), and `pu` for coturn's count; then the
//! allocations of the snapshot get the CLI's fields (`coturn_cli`).

use std::collections::BTreeSet;

use super::CliEndpoint;
use super::client::CliClient;
use super::parse::{parse_ps, parse_pu};
use super::view::{CliEvent, CliState, CliView, EndpointCli};
use crate::model::{Model, Time};
use crate::output::AllocationOut;

/// Asks each endpoint's CLI about the users of `model`'s open allocations there.
pub async fn fetch(endpoints: &[Option<CliEndpoint>], model: &Model, now: Time) -> CliView {
    let mut view = CliView {
        endpoints: endpoints
            .iter()
            .map(|e| e.as_ref().map(|e| EndpointCli::new(&e.addr)))
            .collect(),
        ..CliView::default()
    };
    for (i, ep) in endpoints.iter().enumerate() {
        let Some(ep) = ep else { continue };
        let i = i as u16;
        let users: BTreeSet<String> = model
            .allocations()
            .filter(|a| a.endpoint.0 == i && a.state(now).is_some_and(|s| s.is_open()))
            .map(|a| model.user_of(a).name.to_string())
            .collect();
        let rows = super::link::live_rows(model, crate::model::EndpointId(i), now);
        let mut client = match CliClient::connect(ep).await {
            Ok(c) => c,
            Err(e) => {
                view.apply(i, CliEvent::State(CliState::Down(e.to_string())), now, rows);
                continue;
            }
        };
        view.apply(i, CliEvent::State(CliState::Up), now, rows);
        let mut failed = None;
        for user in users
            .iter()
            .filter(|u| !u.is_empty() && !u.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            match client.command(&format!("ps {user}")).await {
                Ok(text) => match parse_ps(&text) {
                    Ok(answer) => {
                        if let Some(Some(ep)) = view.endpoints.get_mut(usize::from(i)) {
                            ep.add_sessions(&crate::sanitize::sanitize(user), answer);
                        }
                    }
                    Err(e) => view.apply(i, CliEvent::Problem(format!("ps: {e}")), now, rows),
                },
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if failed.is_none() {
            match client.command("pu").await.map(|t| parse_pu(&t)) {
                Ok(Ok(pu)) => view.apply(i, CliEvent::Count(pu.total), now, rows),
                Ok(Err(e)) => view.apply(i, CliEvent::Problem(format!("pu: {e}")), now, rows),
                Err(e) => failed = Some(e),
            }
        }
        if let Some(e) = failed {
            view.apply(i, CliEvent::State(CliState::Down(e.to_string())), now, rows);
        }
    }
    view
}

/// Gives each allocation of a snapshot what the CLI said of it (`coturn_cli`).
pub fn annotate<'a>(
    allocations: impl Iterator<Item = &'a mut AllocationOut>,
    view: &CliView,
    model: &Model,
) {
    if view.endpoints.iter().all(Option::is_none) {
        return;
    }
    for a in allocations {
        let Some(endpoint) = model.endpoints().iter().position(|e| e.label == a.endpoint) else {
            continue;
        };
        let Ok(id) = a.id.parse::<u64>() else {
            continue;
        };
        a.coturn_cli = view.session(endpoint as u16, id).cloned();
    }
}
