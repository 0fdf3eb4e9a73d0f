//! The CLI parser on transcripts captured from coturn 4.6.1 (tests/fixtures/coturn-cli-4.6.1,
//! see its README for how they were made).

use turntop::coturn_cli::telnet::{Telnet, split_answers};
use turntop::coturn_cli::{parse_ps, parse_pu};

fn answers(name: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/fixtures/coturn-cli-4.6.1/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (mut text, mut replies) = (Vec::new(), Vec::new());
    Telnet::default().feed(&raw, &mut text, &mut replies);
    let text = String::from_utf8(text).expect("utf-8");
    split_answers(&text)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[test]
fn ps_capped_at_cli_max_output_sessions() {
    // 7 sessions, --cli-max-output-sessions 4: four printed, `...`, the total, the warning.
    let a = answers("ps-cap4.raw");
    assert_eq!(a.len(), 1);
    let ps = parse_ps(&a[0]).expect("parses");
    assert!(ps.capped);
    assert_eq!(ps.total, 7);
    assert_eq!(ps.sessions.len(), 4);
    let ids: Vec<u64> = ps.sessions.iter().map(|s| s.id).collect();
    assert_eq!(ids, [3, 4, 6, 7]);
    // A session without peers (no `peers:` block) and one with two.
    assert!(ps.sessions[0].peers.is_empty());
    assert_eq!(ps.sessions[1].peers, ["127.0.0.1:23481", "127.0.0.1:23480"]);
    let s = &ps.sessions[0];
    assert_eq!(s.user, "alice");
    assert_eq!(s.realm.as_deref(), Some("fleet.example"));
    assert_eq!(s.client_protocol.as_deref(), Some("UDP"));
    assert_eq!(s.relay_protocol.as_deref(), Some("UDP"));
    assert_eq!(s.client_addr.as_deref(), Some("127.0.0.1:36645"));
    assert_eq!(s.server_addr.as_deref(), Some("127.0.0.1:23478"));
    assert_eq!(s.relay, ["127.0.0.1:24038"]);
    assert_eq!(
        (s.fingerprints, s.mobile, s.bps_cap),
        (Some(true), Some(false), None)
    );
}

#[test]
fn ps_of_one_user_capped_too() {
    let ps = parse_ps(&answers("ps-user-capped.raw")[0]).expect("parses");
    assert!(ps.capped);
    assert_eq!((ps.total, ps.sessions.len()), (6, 4));
    assert!(ps.sessions.iter().all(|s| s.user == "alice"));
}

#[test]
fn ps_with_origin_bandwidth_and_tcp() {
    let ps = parse_ps(&answers("ps-user-peers-origin-cap.raw")[0]).expect("parses");
    assert!(!ps.capped);
    assert_eq!(ps.total, 1);
    let s = &ps.sessions[0];
    assert_eq!((s.id, s.user.as_str()), (4, "bob"));
    assert_eq!(s.origin.as_deref(), Some("ftp://uffrith.net:21"));
    assert_eq!(s.client_protocol.as_deref(), Some("TCP"));
    assert_eq!(s.bps_cap, Some(124_928));
    assert_eq!(s.peers.len(), 2);
}

#[test]
fn empty_and_unknown_user_answers() {
    let a = answers("empty-ps-pu.raw");
    assert_eq!(a.len(), 3);
    let ps = parse_ps(&a[0]).expect("empty ps");
    assert_eq!((ps.total, ps.sessions.len(), ps.capped), (0, 0, false));
    assert_eq!(parse_pu(&a[1]).expect("empty pu").total, 0);
    let none = parse_ps(&answers("ps-unknown-user.raw")[0]).expect("parses");
    assert_eq!((none.total, none.sessions.len()), (0, 0));
}

#[test]
fn pu_counts_users_and_total() {
    let pu = parse_pu(&answers("pu.raw")[0]).expect("parses");
    assert_eq!(pu.total, 7);
    assert_eq!(pu.users, [("alice".to_string(), 6), ("bob".to_string(), 1)]);
}

#[test]
fn cs_answers_with_the_prompt_alone_and_the_session_is_gone() {
    let a = answers("cs.raw");
    assert_eq!(a.len(), 2);
    assert_eq!(a[0], "", "cs prints nothing");
    let ps = parse_ps(&a[1]).expect("parses");
    assert!(ps.sessions.iter().all(|s| s.id != 3), "session 3 cancelled");
    assert_eq!(answers("cs-unknown.raw")[0], "");
}

#[test]
fn a_wrong_password_is_asked_again() {
    let raw = std::fs::read(format!(
        "{}/tests/fixtures/coturn-cli-4.6.1/wrong-password.raw",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let text = String::from_utf8_lossy(&raw);
    // The greeting asks once; each of the first four wrong answers asks again; the fifth ends it.
    assert_eq!(text.matches("Enter password: ").count(), 5);
    assert!(split_answers(&text).is_empty(), "never a prompt");
}

#[test]
fn truncated_fixtures_are_reported() {
    let a = answers("ps-cap4.raw");
    let cut = &a[0][..a[0].len() / 2];
    assert!(parse_ps(cut).is_err());
}
