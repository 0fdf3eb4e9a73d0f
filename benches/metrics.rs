//! Metrics benchmark (issue 16): 100k allocations over 20k users and 50 realms,
//! `--metrics-users 100`.
//!
//! 1. Scrape time on the loaded model: the pass the loop makes (`Snapshot::take`, ingest waits
//!    for it) and the whole scrape (pass + encoding, which runs off the loop), median and p99.
//! 2. Ingest rate while scraping every second vs without scrapes, on the same workload, run
//!    back to back (A, B, A, B, ...): the pass in the ingest loop, the encoding on another
//!    thread as the HTTP server does it. Target: >= 0.95x.
//!
//! Run: `cargo bench --bench metrics` (`-- --quick`: a 10x smaller workload).

mod common;

use std::time::{Duration, Instant};

use common::{T0, loaded_model, workload};
use turntop::metrics::{Format, Snapshot, encode};
use turntop::model::{Model, ModelConfig};

const USERS_EXPORTED: usize = 100;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// CPU time of the calling thread: unlike the wall clock, not inflated when other processes
/// take the cores (the machine is shared).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass; CLOCK_THREAD_CPUTIME_ID exists on Linux.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Ingest the whole workload; with `scrape`, a scrape every second of ingest. Events/s by the
/// wall clock and by the ingest thread's CPU time, and the number of scrapes.
fn ingest(w: &common::Workload, scrape: bool) -> (f64, f64, usize) {
    const BATCH: usize = 65_536;
    let (to_encoder, encoder_rx) = std::sync::mpsc::channel::<Snapshot>();
    let encoder = std::thread::spawn(move || {
        let mut bytes = 0;
        for s in encoder_rx {
            bytes += encode(s, Format::Prometheus).len();
        }
        bytes
    });
    let mut batch: Vec<(String, Vec<u8>, f64)> = (0..BATCH)
        .map(|_| (String::with_capacity(96), Vec::with_capacity(128), 0.0))
        .collect();
    let mut model = Model::new(ModelConfig::default());
    let ep = model.add_endpoint("bench");
    let mut timed = Duration::ZERO;
    let mut cpu = Duration::ZERO;
    let mut next_scrape = Duration::from_secs(1);
    let mut scrapes = 0;
    let mut last_evict = 0.0;
    for chunk in w.events.chunks(BATCH) {
        for (slot, e) in batch.iter_mut().zip(chunk) {
            let (channel, payload) = w.message(e);
            slot.0.clear();
            slot.0.push_str(channel);
            slot.1.clear();
            slot.1.extend_from_slice(payload.as_bytes());
            slot.2 = T0 + e.at;
        }
        let items: Vec<(f64, &str, &[u8])> = batch[..chunk.len()]
            .iter()
            .map(|(c, p, at)| (*at, c.as_str(), p.as_slice()))
            .collect();
        // The loop applies what is queued in pieces (4096 events, as `driver` drains them) and
        // answers a scrape between two pieces.
        for piece in items.chunks(4096) {
            let started = Instant::now();
            let cpu_started = thread_cpu();
            let mut start = 0;
            for i in 0..piece.len() {
                if piece[i].0 - last_evict >= 1.0 {
                    model.apply_raw_batch(ep, &piece[start..i]);
                    start = i;
                    model.evict(piece[i].0);
                    last_evict = piece[i].0;
                }
            }
            model.apply_raw_batch(ep, &piece[start..]);
            if scrape && timed >= next_scrape {
                let now = piece.last().map_or(T0, |p| p.0);
                let _ = to_encoder.send(Snapshot::take(&model, now, USERS_EXPORTED));
                next_scrape += Duration::from_secs(1);
                scrapes += 1;
            }
            timed += started.elapsed();
            cpu += thread_cpu() - cpu_started;
        }
    }
    drop(to_encoder);
    let _ = encoder.join();
    let n = w.events.len() as f64;
    (n / timed.as_secs_f64(), n / cpu.as_secs_f64(), scrapes)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick { 10 } else { 1 };
    let (allocs, users) = (common::ALLOCATIONS / scale, common::USERS / scale);
    let w = workload(allocs, users);
    println!(
        "workload: {allocs} allocations, {users} users, {} realms, {} events, --metrics-users {USERS_EXPORTED}",
        common::REALMS,
        w.events.len()
    );

    let (model, now) = loaded_model(&w);
    let runs = if quick { 50 } else { 200 };
    let mut pass = Vec::with_capacity(runs);
    let mut whole = Vec::with_capacity(runs);
    let mut size = 0;
    let mut series = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let snapshot = Snapshot::take(&model, now, USERS_EXPORTED);
        pass.push(started.elapsed().as_secs_f64());
        let text = encode(snapshot, Format::Prometheus);
        whole.push(started.elapsed().as_secs_f64());
        size = text.len();
        series = text.lines().filter(|l| !l.starts_with('#')).count();
    }
    pass.sort_by(f64::total_cmp);
    whole.sort_by(f64::total_cmp);
    println!(
        "scrape: pass (ingest waits) median {:.2} ms p99 {:.2} ms; whole (pass + encoding) median {:.2} ms p99 {:.2} ms; {series} series, {size} bytes",
        percentile(&pass, 0.5) * 1e3,
        percentile(&pass, 0.99) * 1e3,
        percentile(&whole, 0.5) * 1e3,
        percentile(&whole, 0.99) * 1e3,
    );
    drop(model);

    let rounds = if quick { 2 } else { 7 };
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    let (mut best_without, mut best_with) = (0.0f64, 0.0f64);
    for round in 1..=rounds {
        let (without, without_cpu, _) = ingest(&w, false);
        let (with, with_cpu, scrapes) = ingest(&w, true);
        println!(
            "ingest round {round}: no scrapes {:.2} M events/s ({:.2} by CPU time), scraping every second ({scrapes} scrapes) {:.2} M events/s ({:.2}): {:.3}x wall, {:.3}x CPU",
            without / 1e6,
            without_cpu / 1e6,
            with / 1e6,
            with_cpu / 1e6,
            with / without,
            with_cpu / without_cpu
        );
        wall.push(with / without);
        cpu.push(with_cpu / without_cpu);
        best_without = best_without.max(without);
        best_with = best_with.max(with);
    }
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    println!(
        "ingest while scraping every second vs none (target >= 0.95x): median {:.3}x by wall clock, {:.3}x by the ingest thread's CPU time, best vs best {:.3}x",
        percentile(&wall, 0.5),
        percentile(&cpu, 0.5),
        best_with / best_without
    );
}
