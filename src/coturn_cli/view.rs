//! What turntop knows from coturn's CLIs (pure; the loop applies [`CliEvent`]s with the time
//! passed in): per endpoint the connection state, the sessions of the users last asked about,
//! coturn's own session count against turntop's, and the answer to the last cancel.

use std::collections::HashMap;

use super::parse::{CliSession, PsAnswer};
use crate::model::Time;

/// The state of one endpoint's CLI connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliState {
    Connecting,
    Up,
    /// Down, and why (`authentication failed for coturn CLI 127.0.0.1:5766`, `connection
    /// refused`, ...). Sanitized.
    Down(String),
}

/// What a poller tells the loop.
#[derive(Clone, Debug)]
pub enum CliEvent {
    State(CliState),
    /// The answer to `ps <user>`.
    Sessions {
        user: String,
        answer: PsAnswer,
    },
    /// coturn's session count (`pu`'s total).
    Count(u64),
    /// The answer to `cs <id>` (coturn answers with nothing but its prompt when it took it).
    Cancelled {
        id: u64,
        answer: Result<String, String>,
    },
    /// A complaint about an answer (truncated, unexpected), for the header.
    Problem(String),
}

/// How long a count difference must last before it is shown: two counts in a row (10 s
/// apart), much longer than events in flight (the `new`/`deleted` of a session that coturn
/// counts already or still).
pub const MISMATCH_AFTER: f64 = 10.0;

/// One endpoint's CLI, as known.
#[derive(Clone, Debug)]
pub struct EndpointCli {
    pub addr: String,
    pub state: CliState,
    /// Sessions by allocation id, from the latest `ps <user>` answer (the user on screen).
    pub sessions: HashMap<u64, CliSession>,
    /// coturn's count and when it came.
    pub coturn_count: Option<(u64, Time)>,
    /// turntop's live rows at that time.
    pub turntop_count: Option<u64>,
    /// Since when coturn's count and turntop's have differed (`None`: they agree).
    pub differ_since: Option<Time>,
    /// The last answer was capped by coturn (`cli-max-output-sessions`): the user named.
    pub capped: Option<String>,
    pub problem: Option<String>,
}

impl EndpointCli {
    pub fn new(addr: &str) -> Self {
        EndpointCli {
            addr: crate::sanitize::sanitize(addr),
            state: CliState::Connecting,
            sessions: HashMap::new(),
            coturn_count: None,
            turntop_count: None,
            differ_since: None,
            capped: None,
            problem: None,
        }
    }

    /// Adds what a `ps <user>` answered (keeping what is known of other users).
    pub fn add_sessions(&mut self, user: &str, answer: PsAnswer) {
        self.capped = answer
            .capped
            .then(|| format!("{user}: {} of {}", answer.sessions.len(), answer.total));
        for s in answer.sessions {
            self.sessions.insert(s.id, s);
        }
    }

    /// A count difference that lasted longer than events in flight: (coturn's, turntop's).
    pub fn count_mismatch(&self, now: Time) -> Option<(u64, u64)> {
        let since = self.differ_since?;
        let (coturn, _) = self.coturn_count?;
        let ours = self.turntop_count?;
        (now - since >= MISMATCH_AFTER && coturn != ours).then_some((coturn, ours))
    }
}

/// Why `K` cannot cancel here, for the whole session (replay, demo, read-only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CancelPolicy {
    #[default]
    Allowed,
    Disabled(&'static str),
}

/// Every endpoint's CLI (`None`: no CLI configured for it).
#[derive(Clone, Debug, Default)]
pub struct CliView {
    pub endpoints: Vec<Option<EndpointCli>>,
    pub cancel: CancelPolicy,
    /// The last cancel's outcome, for the hint line.
    pub message: Option<String>,
}

impl CliView {
    pub fn endpoint(&self, endpoint: u16) -> Option<&EndpointCli> {
        self.endpoints.get(endpoint as usize)?.as_ref()
    }

    /// Whether any endpoint's CLI is up (the PEERS column shows then).
    pub fn any_up(&self) -> bool {
        self.endpoints
            .iter()
            .flatten()
            .any(|e| e.state == CliState::Up)
    }

    /// What the CLI knows of allocation `id` of `endpoint`.
    pub fn session(&self, endpoint: u16, id: u64) -> Option<&CliSession> {
        self.endpoint(endpoint)?.sessions.get(&id)
    }

    /// Applies one event of `endpoint`'s poller at `now`; `live_rows` is turntop's count of
    /// live allocations of that endpoint (for a count).
    pub fn apply(&mut self, endpoint: u16, event: CliEvent, now: Time, live_rows: u64) {
        let Some(Some(ep)) = self.endpoints.get_mut(endpoint as usize) else {
            return;
        };
        match event {
            CliEvent::State(s) => {
                if s != CliState::Up {
                    // What we knew may be stale now; the Redis view carries on.
                    ep.sessions.clear();
                    ep.differ_since = None;
                    ep.coturn_count = None;
                } else {
                    ep.problem = None;
                }
                ep.state = s;
            }
            CliEvent::Sessions { user, answer } => {
                // Only the user on screen is asked about: what was said of others would go
                // stale unseen, so it goes.
                ep.sessions.clear();
                ep.add_sessions(&user, answer);
            }
            CliEvent::Count(n) => {
                ep.coturn_count = Some((n, now));
                ep.turntop_count = Some(live_rows);
                if n == live_rows {
                    ep.differ_since = None;
                } else if ep.differ_since.is_none() {
                    ep.differ_since = Some(now);
                }
            }
            CliEvent::Cancelled { id, answer } => {
                let label = &ep.addr;
                self.message = Some(match answer {
                    Ok(a) if a.trim().is_empty() => {
                        format!("coturn CLI {label}: cs {id} accepted")
                    }
                    Ok(a) => format!(
                        "coturn CLI {label}: cs {id}: {}",
                        crate::sanitize::sanitize(a.trim())
                    ),
                    Err(e) => format!("coturn CLI {label}: cs {id} failed: {e}"),
                });
            }
            CliEvent::Problem(p) => ep.problem = Some(crate::sanitize::sanitize(&p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> CliView {
        CliView {
            endpoints: vec![Some(EndpointCli::new("127.0.0.1:5766")), None],
            ..CliView::default()
        }
    }

    #[test]
    fn a_difference_shows_only_once_it_lasts() {
        let mut v = view();
        v.apply(0, CliEvent::State(CliState::Up), 0.0, 0);
        v.apply(0, CliEvent::Count(3), 10.0, 2);
        let ep = v.endpoint(0).unwrap();
        assert_eq!(ep.count_mismatch(10.0), None, "maybe in flight");
        v.apply(0, CliEvent::Count(3), 20.0, 2);
        assert_eq!(v.endpoint(0).unwrap().count_mismatch(25.0), Some((3, 2)));
        v.apply(0, CliEvent::Count(3), 30.0, 3);
        assert_eq!(
            v.endpoint(0).unwrap().count_mismatch(45.0),
            None,
            "agree again"
        );
    }

    #[test]
    fn each_answer_replaces_what_was_known() {
        let mut v = view();
        let s = |id, user: &str| CliSession {
            id,
            user: user.into(),
            ..CliSession::default()
        };
        let answer = |sessions: Vec<CliSession>| PsAnswer {
            total: sessions.len() as u64,
            sessions,
            capped: false,
        };
        v.apply(
            0,
            CliEvent::Sessions {
                user: "a".into(),
                answer: answer(vec![s(1, "a"), s(2, "a")]),
            },
            0.0,
            0,
        );
        v.apply(
            0,
            CliEvent::Sessions {
                user: "b".into(),
                answer: answer(vec![s(3, "b")]),
            },
            0.0,
            0,
        );
        v.apply(
            0,
            CliEvent::Sessions {
                user: "a".into(),
                answer: answer(vec![s(2, "a")]),
            },
            1.0,
            0,
        );
        assert!(v.session(0, 1).is_none() && v.session(0, 2).is_some());
        assert!(v.session(0, 3).is_none(), "b is no longer on screen");
        v.apply(0, CliEvent::State(CliState::Down("x".into())), 2.0, 0);
        assert!(v.session(0, 2).is_none(), "forgotten while down");
        assert!(v.session(1, 2).is_none(), "no CLI there");
    }
}
