//! Helpers shared by the integration tests. Each test binary uses only some of them.
#![allow(dead_code)]

pub mod coturn;
pub mod live;
pub mod redis;
pub mod snapshot;
pub mod tmux;
