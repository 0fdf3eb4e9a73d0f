//! What an empty table says when there is no data at all: what is wrong with the connection
//! (cannot connect, authentication failed, a password required) or, connected, that nothing
//! was published yet, each with what to check. Pure: reads the endpoints' states.

use crate::model::{ConnectionState, Model};
use crate::table::TableKind;

/// The lines of the message (the first says what is wrong, the rest what to check).
pub(super) fn no_data_lines(model: &Model, kind: TableKind) -> Vec<String> {
    let endpoints = model.endpoints();
    // The most telling state first: a refusal, then a failure, then a connection in progress.
    let auth = endpoints.iter().find_map(|e| match &e.connection {
        ConnectionState::AuthFailed { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    if let Some(reason) = auth {
        let check = if reason.contains("NOAUTH") {
            "This Redis wants a password: give it in the URL (redis://:PASSWORD@host:port), \
             with --redis-password-file FILE or in TURNTOP_REDIS_PASSWORD."
        } else {
            "Check the password (and the ACL user in the URL, if any): the URL, \
             --redis-password-file or TURNTOP_REDIS_PASSWORD."
        };
        return vec![reason, check.into()];
    }
    let failed = endpoints.iter().find_map(|e| match &e.connection {
        ConnectionState::Reconnecting { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    if let Some(reason) = failed {
        return vec![
            reason,
            "Check that Redis runs there and that --redis names the Redis coturn writes to \
             (coturn's --redis-statsdb); turntop keeps retrying."
                .into(),
        ];
    }
    if let Some(e) = endpoints
        .iter()
        .find(|e| matches!(e.connection, ConnectionState::Connecting))
    {
        return vec![format!("connecting to {}…", e.label)];
    }
    let connected: Vec<&str> = endpoints
        .iter()
        .filter(|e| matches!(e.connection, ConnectionState::Connected))
        .map(|e| e.label.as_str())
        .collect();
    // Connected, the Problems view has nothing to explain: no problem is good news.
    if !connected.is_empty() && kind != TableKind::Problems {
        return vec![
            format!(
                "connected to {}: nothing published yet",
                connected.join(", ")
            ),
            "coturn publishes here only when started with --redis-statsdb naming this Redis \
             (host, port, database and password), and only once a client allocates."
                .into(),
        ];
    }
    vec![super::no_rows_yet(kind).into()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_for(state: ConnectionState) -> Vec<String> {
        let mut model = Model::default();
        let id = model.add_endpoint("127.0.0.1:6379");
        model.set_connection(id, 1.0, state);
        no_data_lines(&model, TableKind::Allocations)
    }

    #[test]
    fn each_state_says_what_is_wrong_and_what_to_check() {
        let refused = lines_for(ConnectionState::Reconnecting {
            since: 0.0,
            retry_at: 5.0,
            reason: "cannot connect to 127.0.0.1:6379: Connection refused".into(),
        });
        assert!(refused[0].starts_with("cannot connect"));
        assert!(refused[1].contains("--redis-statsdb"));
        let noauth = lines_for(ConnectionState::AuthFailed {
            since: 0.0,
            retry_at: 5.0,
            reason: "password required by 127.0.0.1:6379 (NOAUTH): none was given".into(),
        });
        assert!(noauth[1].contains("wants a password"));
        let connected = lines_for(ConnectionState::Connected);
        assert!(
            connected[0].contains("nothing published yet"),
            "{connected:?}"
        );
        assert!(connected[1].contains("--redis-statsdb"));
        assert_eq!(
            no_data_lines(&Model::default(), TableKind::Users),
            ["no users yet"]
        );
    }
}
