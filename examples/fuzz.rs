//! The fuzzer behind `scripts/fuzz.sh N [SEED]` (stable Rust: a seeded generator, no
//! instrumentation). N inputs go through the parser and the model: random messages, and
//! mutations of the real captures in `tests/fixtures/` (truncations, byte flips, swapped
//! fields, reused ids, two servers interleaved, statuses before and after their delete, seed
//! and reconciliation passes with mutated keys, time jumps). After every batch the model's
//! invariants are checked ([`Model::check_invariants`]). A panic or a broken invariant is
//! printed with its batch (to stderr; the same N and SEED replay the same run); the last line
//! on stdout is `N inputs, P panics` (and the invariant failures, if any). Exit status 1 on any
//! failure.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use turntop::capture;
use turntop::model::{EndpointId, Model, ModelConfig};

/// Inputs between two invariant checks.
const BATCH: usize = 256;
/// Batches before the model starts over (a small model keeps the checks cheap and sees many
/// fresh starts).
const BATCHES_PER_MODEL: usize = 64;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A message or a key from the real captures.
struct Corpus {
    messages: Vec<(String, Vec<u8>)>,
    keys: Vec<(String, Vec<u8>)>,
}

fn corpus() -> Corpus {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut messages = Vec::new();
    let mut keys = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "txt") {
                continue;
            }
            if let Ok(records) = capture::read_file(&path) {
                messages.extend(records.into_iter().map(|r| (r.channel, r.message)));
            }
            if let Ok(passes) = turntop::record::read_passes(&path) {
                keys.extend(passes.into_iter().flat_map(|p| p.keys));
            }
            // keys-snapshot.txt: `t_rel key type ttl value`.
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for line in text.lines().filter(|l| !l.starts_with('#')) {
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() == 5 && f[1].ends_with("/status") {
                    keys.push((f[1].to_owned(), f[4].as_bytes().to_vec()));
                }
            }
        }
    }
    assert!(
        !messages.is_empty() && !keys.is_empty(),
        "no captures found under tests/fixtures"
    );
    Corpus { messages, keys }
}

const IDS: [&str; 4] = [
    "000000000000000001",
    "001000000000000002",
    "000000000000000003",
    "999999999999999999",
];
const LOCALS: [&str; 3] = ["10.0.0.1:3478", "10.0.0.2:3478", "[::1]:3478"];

/// One mutated message from the corpus, or a random one.
fn message(rng: &mut Rng, c: &Corpus) -> (String, Vec<u8>) {
    let (mut channel, mut payload) = c.messages[rng.below(c.messages.len())].clone();
    match rng.below(12) {
        // As captured.
        0..=2 => {}
        // Reused ids: another id of a small set, so rows collide, restart and replace.
        3 | 4 => {
            if let Some(at) = channel.find("/allocation/")
                && let Some(end) = channel[at + 12..].find('/')
            {
                let id = *rng.pick(&IDS);
                channel.replace_range(at + 12..at + 12 + end, id);
            }
        }
        // Two (or three) servers interleaved: another listener in a status.
        5 | 6 => {
            let text = String::from_utf8_lossy(&payload).into_owned();
            if let Some(at) = text.find("local=") {
                let end = text[at..].find(',').map_or(text.len(), |e| at + e);
                let mut t = text.clone();
                let local = LOCALS[rng.below(LOCALS.len())];
                t.replace_range(at + 6..end, local);
                payload = t.into_bytes();
            }
        }
        // Truncations.
        7 => {
            let cut = rng.below(payload.len() + 1);
            payload.truncate(cut);
        }
        8 => {
            let mut cut = rng.below(channel.len() + 1);
            while !channel.is_char_boundary(cut) {
                cut -= 1;
            }
            channel.truncate(cut);
        }
        // Byte flips.
        9 => {
            for _ in 0..=rng.below(3) {
                if !payload.is_empty() {
                    let i = rng.below(payload.len());
                    payload[i] ^= 1 << rng.below(8);
                }
            }
            if rng.chance(30) {
                let mut bytes = channel.into_bytes();
                if !bytes.is_empty() {
                    let i = rng.below(bytes.len());
                    bytes[i] ^= 1 << rng.below(8);
                }
                channel = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        // Swapped fields.
        10 => {
            let text = String::from_utf8_lossy(&payload).into_owned();
            let mut fields: Vec<&str> = text.split(", ").collect();
            if fields.len() > 1 {
                let (i, j) = (rng.below(fields.len()), rng.below(fields.len()));
                fields.swap(i, j);
            }
            payload = fields.join(", ").into_bytes();
        }
        // Random bytes.
        _ => {
            let n = rng.below(64);
            payload = (0..n).map(|_| rng.next() as u8).collect();
            if rng.chance(50) {
                let n = rng.below(80);
                channel = (0..n)
                    .map(|_| char::from(b' ' + rng.below(95) as u8))
                    .collect();
            }
        }
    }
    (channel, payload)
}

/// One input: a message, a statement of time, or part of a pass over the status keys.
fn step(rng: &mut Rng, c: &Corpus, m: &mut Model, ep: EndpointId, t: &mut f64) {
    // Time mostly moves on a little; sometimes a jump, sometimes a little back (two sources).
    *t += match rng.below(100) {
        0 => 700.0,
        1 => -0.5,
        2..=5 => 31.0,
        _ => rng.below(200) as f64 / 1000.0,
    };
    match rng.below(100) {
        0 => m.tick(*t),
        1 => m.begin_seed(ep, *t),
        2 => m.end_seed(ep, *t),
        3..=5 => {
            let (key, mut value) = c.keys[rng.below(c.keys.len())].clone();
            let mut key = key;
            if rng.chance(50) {
                let (k, v) = message(rng, c);
                if rng.chance(50) {
                    key = k;
                } else {
                    value = v;
                }
            }
            m.seed_status(ep, *t, &key, &value);
        }
        6 => m.mark_gap(ep, *t),
        7 => {
            let _ = m.take_reconcile_requests();
        }
        // A status right after its delete, or a delete right after its new.
        8 | 9 => {
            let (channel, payload) = message(rng, c);
            m.apply_raw(ep, *t, &channel, &payload);
            let again: &[u8] = if rng.chance(50) {
                b"deleted"
            } else {
                b"refreshed lifetime=600, type=UDP, local=10.0.0.2:3478"
            };
            if let Some(base) = channel.rsplit_once("/allocation/").map(|(b, rest)| {
                format!(
                    "{b}/allocation/{}/status",
                    rest.split('/').next().unwrap_or("")
                )
            }) {
                m.apply_raw(ep, *t, &base, again);
            }
        }
        _ => {
            let (channel, payload) = message(rng, c);
            m.apply_raw(ep, *t, &channel, &payload);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = match args.next().map(|a| a.replace('_', "").parse()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("usage: scripts/fuzz.sh N [SEED]   (N inputs)");
            std::process::exit(2);
        }
    };
    let seed: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_f022);
    let c = corpus();
    // Panics are reported by this program, once each, with the batch that caused them.
    std::panic::set_hook(Box::new(|_| {}));
    let config = ModelConfig {
        retention: 60.0,
        history_window: 600.0,
        key_grace: 5.0,
        ..ModelConfig::default()
    };
    let mut rng = Rng(seed | 1);
    let (mut panics, mut broken, mut done) = (0u64, 0u64, 0u64);
    let mut batches = 0usize;
    let mut t = 1_800_000_000.0;
    let mut model = Model::new(config.clone());
    let mut ep = model.add_endpoint("fuzz");
    // What the inputs reached, over every model of the run (to stderr at the end).
    let mut reached = turntop::model::EventCounters::default();
    let mut add_reached = |m: &Model| {
        let c = &m.counters;
        reached.events += c.events;
        reached.malformed += c.malformed + c.unknown;
        reached.seeded += c.seeded;
        reached.ids_reused += c.ids_reused;
        reached.id_collisions += c.id_collisions;
    };
    while done < n {
        let size = BATCH.min((n - done) as usize);
        let batch_seed = rng.next() | 1;
        let start_t = t;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut r = Rng(batch_seed);
            let mut t = start_t;
            for _ in 0..size {
                step(&mut r, &c, &mut model, ep, &mut t);
            }
            let check = model.check_invariants(t);
            (t, check)
        }));
        done += size as u64;
        batches += 1;
        let fresh = match result {
            Ok((end, Ok(()))) => {
                t = end;
                batches.is_multiple_of(BATCHES_PER_MODEL)
            }
            Ok((end, Err(e))) => {
                broken += 1;
                eprintln!("invariant broken after batch {batches} (run seed {seed}): {e}");
                t = end;
                true
            }
            Err(p) => {
                panics += 1;
                let what = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                eprintln!("panic in batch {batches} (run seed {seed}): {what}");
                true
            }
        };
        if fresh || done >= n {
            add_reached(&model);
        }
        if fresh {
            model = Model::new(config.clone());
            ep = model.add_endpoint("fuzz");
        }
    }
    eprintln!(
        "reached: {} messages ({} malformed or unknown), {} rows seeded, {} ids reused, {} ids collided",
        reached.events,
        reached.malformed,
        reached.seeded,
        reached.ids_reused,
        reached.id_collisions
    );
    if broken > 0 {
        println!("{n} inputs, {panics} panics, {broken} broken invariants");
    } else {
        println!("{n} inputs, {panics} panics");
    }
    if panics + broken > 0 {
        std::process::exit(1);
    }
}
