//! The live source: one task per Redis endpoint that subscribes to coturn's channels, seeds the
//! rows from the status keys, and reconnects on any drop.
//!
//! The task only reads, stamps the receive time and forwards [`SourceEvent`]s into an unbounded
//! channel: it never waits for whoever applies them, so a busy UI can never make Redis close
//! the subscription for a full output buffer. Order of one connection:
//!
//! 1. connect and `PSUBSCRIBE` both channel shapes (a dedicated RESP2 pub/sub connection: over
//!    plain TCP read by hand, [`resp`] parsing `pmessage`s straight out of a 256 KiB buffer
//!    into events stamped once per read, with no driver task in between; over TLS through
//!    redis-rs's pub/sub connection);
//! 2. `Connection{Connected}`, and after a drop `Gap{to: now}`;
//! 3. seed on a second (command) connection, concurrently with reading the subscription:
//!    `SeedBegin`, `SCAN MATCH turn/*/allocation/*/status COUNT n` + `MGET` per batch as
//!    `SeedBatch`es, `SeedEnd`. Subscribing first means nothing published during the seed is
//!    lost;
//! 4. read messages until the connection drops (the stream ends: a restart, a network cut, the
//!    output-buffer kill) or a periodic `PING` goes unanswered: nothing at all arrives within
//!    the timeout (a `PONG` queued behind a backlog is not late while the backlog flows);
//! 5. `Connection{Reconnecting|AuthFailed}` with the reason and the next attempt's time, then
//!    wait with capped exponential backoff and jitter, and start again.
//!
//! Files: `endpoint` (URL, password sources, TLS, the redacted URL), `session` (the task:
//! connect, subscribe, seed, liveness, reconnect), `backoff` (the delays), `subscription` (the
//! subscription connection), `resp` (the RESP2 reader behind it), `seed` (SCAN + MGET).

mod backoff;
mod endpoint;
mod resp;
mod seed;
mod session;
mod subscription;

/// The wall clock, here too for the tests and benches that have always found it here.
pub use crate::clock::now;
pub use backoff::Backoff;
pub use endpoint::{
    ConfigError, DEFAULT_URL, EndpointsConfig, PASSWORD_ENV, RedisEndpoint, TlsOptions, endpoints,
    redact_url,
};
pub use session::{RunOptions, run};

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
