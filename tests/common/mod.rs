//! Helpers shared by the integration tests. Each test binary uses only some of them.
#![allow(dead_code)]

pub mod coturn;
pub mod redis;
pub mod tmux;
