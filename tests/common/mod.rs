//! Helpers shared by the integration tests. Each test binary uses only some of them.
#![allow(dead_code)]

pub mod capture_model;
pub mod coturn;
pub mod live;
pub mod metrics;
pub mod redis;
pub mod snapshot;
pub mod tmux;

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// Wait for a child process to exit; kill it and panic after `secs`.
pub fn wait_child(child: &mut Child, secs: u64, what: &str) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
