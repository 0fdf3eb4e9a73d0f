//! The seed: `SCAN` + `MGET` of coturn's status keys on a command connection, as
//! `SeedBegin`, `SeedBatch`es and `SeedEnd`.

use redis::RedisError;
use redis::aio::MultiplexedConnection;
use tokio::sync::mpsc::UnboundedSender;

use super::lossy;
use crate::clock::now;
use crate::coturn;
use crate::model::EndpointId;
use crate::source::SourceEvent;

pub(super) enum SeedError {
    Redis(RedisError),
    ReceiverGone,
}

impl From<RedisError> for SeedError {
    fn from(e: RedisError) -> Self {
        SeedError::Redis(e)
    }
}

async fn mget(
    con: &mut MultiplexedConnection,
    keys: &[Vec<u8>],
) -> Result<Vec<Option<Vec<u8>>>, RedisError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    redis::cmd("MGET").arg(keys).query_async(con).await
}

/// SCAN + MGET, with the MGET of one batch running while the next SCAN is in flight.
pub(super) async fn seed(
    mut con: MultiplexedConnection,
    id: EndpointId,
    label: &str,
    tx: UnboundedSender<SourceEvent>,
    batch: usize,
) -> Result<(), SeedError> {
    let started = std::time::Instant::now();
    let mut keys = 0;
    let send = |ev: SourceEvent| tx.send(ev).map_err(|_| SeedError::ReceiverGone);
    send(SourceEvent::SeedBegin {
        endpoint: id,
        at: now(),
    })?;
    let mut values_con = con.clone();
    let mut cursor: u64 = 0;
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut first = true;
    loop {
        let scanning = !first && cursor == 0;
        let scan = async {
            if scanning {
                return Ok((0u64, Vec::new()));
            }
            redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(coturn::STATUS_KEY_PATTERN)
                .arg("COUNT")
                .arg(batch)
                .query_async::<(u64, Vec<Vec<u8>>)>(&mut con)
                .await
        };
        let (scanned, values) = tokio::join!(scan, mget(&mut values_con, &pending));
        let values = values?;
        let at = now();
        let entries: Vec<(String, Vec<u8>)> = std::mem::take(&mut pending)
            .into_iter()
            .zip(values)
            // A key deleted between SCAN and MGET comes back as nil: its `deleted` was published.
            .filter_map(|(k, v)| v.map(|v| (lossy(k), v)))
            .collect();
        keys += entries.len();
        if !entries.is_empty() {
            send(SourceEvent::SeedBatch {
                endpoint: id,
                at,
                entries,
            })?;
        }
        if scanning {
            break;
        }
        let (next, keys) = scanned?;
        first = false;
        cursor = next;
        pending = keys;
        if cursor == 0 && pending.is_empty() {
            break;
        }
    }
    send(SourceEvent::SeedEnd {
        endpoint: id,
        at: now(),
    })?;
    tracing::info!(
        endpoint = label,
        keys,
        "seeded from the status keys in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
