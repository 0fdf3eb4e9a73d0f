//! Model benchmark: coturn-shaped events for 100k live allocations over 20k users and 50 realms,
//! 10 minutes of simulated time at coturn's real cadence (a traffic pair every ~4096 packets).
//!
//! Prints events/s into the model (parse + apply, one core) and memory per live allocation
//! (RSS growth and the model's own accounting), next to the targets of issue 3.
//! Run: `cargo bench --bench model` (add `-- --quick` for a 10x smaller run).
//!
//! `cargo bench --bench model -- --realms`: memory of 20k allocations (20k users) in 50 realms
//! and in 20k realms (REST deployments with a realm per tenant), each in its own process.

mod common;

use std::time::Instant;

use common::{REALMS, SIM_SECONDS, T0, rss_bytes, workload};
use turntop::model::{Model, ModelConfig};

/// Ingest 20k allocations of 20k users in `realms` realms; print RSS growth and the model's
/// accounting.
fn realm_memory(realms: usize) {
    let w = common::workload_in(20_000, 20_000, realms);
    let rss_before = rss_bytes();
    let mut model = Model::new(ModelConfig::default());
    let ep = model.add_endpoint("bench");
    let mut last_evict = 0.0;
    for e in &w.events {
        let (channel, payload) = w.message(e);
        if e.at - last_evict >= 1.0 {
            model.evict(T0 + e.at);
            last_evict = e.at;
        }
        model.apply_raw(ep, T0 + e.at, channel, payload.as_bytes());
    }
    let rss = rss_bytes().saturating_sub(rss_before);
    let with_ring = model.realms().filter(|(_, r)| r.history.is_some()).count();
    println!(
        "{realms} realms ({with_ring} with a history ring): RSS growth {:.1} MB, model accounting {:.1} MB",
        rss as f64 / 1e6,
        model.approx_bytes() as f64 / 1e6
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--realms-one") {
        realm_memory(
            args.get(i + 1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(REALMS),
        );
        return;
    }
    if args.iter().any(|a| a == "--realms") {
        for realms in [REALMS, 20_000] {
            let status = std::process::Command::new(std::env::current_exe().expect("exe"))
                .args(["--realms-one", &realms.to_string()])
                .status()
                .expect("run");
            assert!(status.success());
        }
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick { 10 } else { 1 };
    let (allocs, users) = (common::ALLOCATIONS / scale, common::USERS / scale);
    let w = workload(allocs, users);
    let events = &w.events;
    println!(
        "workload: {} allocations, {} users, {} realms, {:.0} s simulated, {} events",
        allocs,
        users,
        REALMS,
        SIM_SECONDS,
        events.len()
    );

    // The live loop drains whatever the Redis reader queued (fresh, owned messages) and
    // applies it in one go; so does this: messages are materialized in batches the way the
    // reader would produce them (untimed), and only applying them to the model is timed.
    const BATCH: usize = 65_536;
    let mut batch: Vec<(String, Vec<u8>, f64)> = (0..BATCH)
        .map(|_| (String::with_capacity(96), Vec::with_capacity(128), 0.0))
        .collect();
    let rss_before = rss_bytes();
    let mut model = Model::new(ModelConfig::default());
    let ep = model.add_endpoint("bench");
    let mut timed = std::time::Duration::ZERO;
    let mut last_evict = 0.0;
    for chunk in events.chunks(BATCH) {
        for (slot, e) in batch.iter_mut().zip(chunk) {
            let (channel, payload) = w.message(e);
            slot.0.clear();
            slot.0.push_str(channel);
            slot.1.clear();
            slot.1.extend_from_slice(payload.as_bytes());
            slot.2 = T0 + e.at;
        }
        let started = Instant::now();
        // As the UI loop does: apply what is queued in one go (between evictions, once a second).
        let mut start = 0;
        let items: Vec<(f64, &str, &[u8])> = batch[..chunk.len()]
            .iter()
            .map(|(c, p, at)| (*at, c.as_str(), p.as_slice()))
            .collect();
        for i in 0..items.len() {
            if items[i].0 - last_evict >= 1.0 {
                model.apply_raw_batch(ep, &items[start..i]);
                start = i;
                model.evict(items[i].0);
                last_evict = items[i].0;
            }
        }
        model.apply_raw_batch(ep, &items[start..]);
        timed += started.elapsed();
    }
    let elapsed = timed.as_secs_f64();
    let rss_after = rss_bytes();
    assert_eq!(model.counters.malformed, 0);
    let now = T0 + SIM_SECONDS;
    let live = model
        .allocation_rows(now)
        .iter()
        .filter(|r| r.state.is_open())
        .count();
    let eps = events.len() as f64 / elapsed;
    let rss_per = (rss_after.saturating_sub(rss_before)) as f64 / live as f64;
    let own_per = model.approx_bytes() as f64 / live as f64;
    println!(
        "ingest: {:.2} s for {} events = {:.2} M events/s (target >= 2.0 M/s: {:.2}x)",
        elapsed,
        events.len(),
        eps / 1e6,
        eps / 2e6
    );
    println!(
        "memory: {live} live allocations, RSS growth {:.0} B/allocation, model accounting {:.0} B/allocation (target <= 1536 B: {:.2}x of budget)",
        rss_per,
        own_per,
        rss_per / 1536.0
    );

    // Query costs the UI pays per frame, for reference.
    let t = Instant::now();
    let rows = model.allocation_rows(now);
    let rows_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let users_rows = model.user_rows(now);
    let users_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let realms_rows = model.realm_rows(now);
    let realms_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "queries: {} allocation rows {:.1} ms, {} user rows {:.1} ms, {} realm rows {:.1} ms",
        rows.len(),
        rows_ms,
        users_rows.len(),
        users_ms,
        realms_rows.len(),
        realms_ms
    );
}
