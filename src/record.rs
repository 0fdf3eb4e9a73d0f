//! `turntop record`: subscribe like the live source and write every message, verbatim (the
//! malformed ones too: a capture is evidence), in the capture format of [`crate::capture`],
//! flushed after every message so a crash loses at most the one being written.
//!
//! The output is opened only once the subscription is up, so a Redis that cannot be reached
//! leaves no file behind (and, without `--force`, an existing file is never replaced). It starts
//! with a `#` header (endpoint label, never a password; start time; columns). Appending to a
//! capture (`--append`) writes a `# resumed` comment instead and keeps counting `t_rel_s` from
//! that capture's start, so the file stays one capture. Connection losses and gaps are `#`
//! comments where they happened. With `--keys`, every pass over the status keys (the live
//! source's SCAN + MGET: the seed at start, and the reconciliation passes every 30 s and after a
//! reconnect) is written where it happened, as `#pass<TAB>epoch<TAB>begin`, one
//! `#key<TAB>epoch<TAB>key<TAB>value` line per key (escaped like the message fields), and
//! `#pass<TAB>epoch<TAB>end`: comments to any capture reader, and the seed and reconciliations
//! `turntop replay` applies at their place. (Recordings made before passes were recorded have
//! `#key` lines without `#pass` lines: one seed at start.)

use std::future::Future;
use std::io::{self, BufRead, Write};
use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::capture::{self, Record};
use crate::clock::now;
use crate::coturn;
use crate::format::utc;
use crate::model::{ConnectionState, EndpointId, Model, Time};
use crate::source::SourceEvent;
use crate::source::redis::{self, RedisEndpoint, RunOptions};

/// The start of a key snapshot line.
pub const KEY_LINE: &str = "#key\t";
/// The start of a line that begins or ends a pass over the status keys.
pub const PASS_LINE: &str = "#pass\t";

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Write the status keys found at start.
    pub keys: bool,
    pub run: RunOptions,
    /// Continue this capture instead of starting one.
    pub resume: Option<Resume>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The output was opened: the subscription came up.
    pub opened: bool,
    pub messages: u64,
    /// Status keys found by the first pass (the seed).
    pub keys: u64,
    pub gaps: u64,
    /// Passes over the status keys recorded (with `--keys`).
    pub passes: u64,
}

/// Where an existing capture stands, to continue it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resume {
    /// The instant its `t_rel_s` counts from.
    pub origin: Time,
    /// Its last message or stop, if it says.
    pub last: Option<Time>,
}

/// The `(epoch N)` of a header or comment line.
fn epoch_in(line: &str) -> Option<Time> {
    let rest = &line[line.find("(epoch ")? + 7..];
    rest[..rest.find(')')?].parse().ok()
}

/// How to continue the capture in `path`: `Ok(None)` when there is nothing to continue (the
/// file is empty), an error naming the problem when it is not a capture this format can
/// continue.
pub fn resume_point(path: &Path) -> Result<Option<Resume>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if bytes.is_empty() {
        return Ok(None);
    }
    if !bytes.ends_with(b"\n") {
        return Err(
            "it ends in a cut line (a crash while writing?): appending would glue a message \
             onto it; record into a new file"
                .into(),
        );
    }
    let text = String::from_utf8_lossy(&bytes);
    let comment_epoch = |prefix: &str| {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(epoch_in)
            .next_back()
    };
    let stopped = comment_epoch("# stopped ");
    match capture::read(bytes.as_slice()) {
        Ok(records) => {
            let first = &records[0];
            let last = records.last().map(|r| r.epoch);
            Ok(Some(Resume {
                origin: first.epoch - first.t_rel,
                last: match (last, stopped) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                },
            }))
        }
        // A recording that stopped before any message still has its header.
        Err(capture::CaptureError::Empty) => match comment_epoch("# started ") {
            Some(origin) => Ok(Some(Resume {
                origin,
                last: stopped,
            })),
            None => Err(
                "it is not a capture (no messages, no turntop record header): \
                         nothing to append to"
                    .into(),
            ),
        },
        Err(e) => Err(format!("{e}: --append only continues a capture")),
    }
}

/// Redis glob matching, enough for coturn's patterns (`*` only; other characters literal).
pub fn glob_match(pattern: &str, s: &str) -> bool {
    let Some((head, rest)) = pattern.split_once('*') else {
        return pattern == s;
    };
    let Some(s) = s.strip_prefix(head) else {
        return false;
    };
    (0..=s.len())
        .filter(|&i| s.is_char_boundary(i))
        .any(|i| glob_match(rest, &s[i..]))
}

/// The subscription pattern a channel was delivered for.
pub fn pattern_of(channel: &str) -> &'static str {
    coturn::SUBSCRIBE_PATTERNS
        .iter()
        .find(|p| glob_match(p, channel))
        .copied()
        .unwrap_or(coturn::SUBSCRIBE_PATTERNS[0])
}

pub fn header(label: &str, start: Time, keys: bool) -> String {
    let mut h = format!(
        "# turntop record {}: coturn pub/sub messages from Redis {label}\n\
         # started {} (epoch {start:.3}); patterns {}\n",
        env!("CARGO_PKG_VERSION"),
        utc(start),
        coturn::SUBSCRIBE_PATTERNS.join(" "),
    );
    if keys {
        h.push_str(
            "# #pass lines (epoch_s begin|end) enclose each pass over the status keys (SCAN + MGET:\n\
             #   the seed, then reconciliations); #key lines (TAB separated: epoch_s key value) are its keys\n",
        );
    }
    h.push_str(
        "# Columns (TAB separated): t_rel_s = seconds since the start of the recording,\n\
         #   epoch_s = receive time (seconds since the Unix epoch), pattern = matched pattern,\n\
         #   channel, message. TAB, newline, CR and backslash are escaped as \\t \\n \\r \\\\.\n\
         # t_rel_s\tepoch_s\tpattern\tchannel\tmessage\n",
    );
    h
}

/// The first lines of a continued capture: when and from where it resumed, and the time it
/// did not record.
pub fn resumed(label: &str, at: Time, resume: &Resume) -> String {
    let missing = match resume.last {
        Some(last) => format!(
            "messages published since {} (epoch {last:.3}) are missing",
            utc(last)
        ),
        None => "messages published before are missing".into(),
    };
    format!(
        "# resumed {} (epoch {at:.3}) by turntop record {}: coturn pub/sub messages from Redis \
         {label}; t_rel_s still counts from epoch {:.3}\n\
         # gap: {missing}\n",
        utc(at),
        env!("CARGO_PKG_VERSION"),
        resume.origin,
    )
}

/// Record `endpoint` until `stop` completes (its output says why), `duration` passes, or the
/// first connection fails (an error: nothing to record). The output comes from `open`, called
/// once the subscription is up: before that nothing is created or replaced.
pub async fn record<W: Write>(
    endpoint: RedisEndpoint,
    open: impl FnOnce() -> io::Result<W>,
    options: Options,
    stop: impl Future<Output = &'static str>,
) -> Result<Summary, String> {
    let io_err = |e: io::Error| format!("writing the recording: {e}");
    let label = endpoint.label.clone();
    let mut open = Some(open);
    let mut output: Option<W> = None;
    // Until the output is open, `t_rel_s` cannot be known: it is set then.
    let mut origin = 0.0;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(redis::run(
        endpoint,
        EndpointId(0),
        RunOptions {
            retry: true,
            ..options.run
        },
        tx,
    ));
    let deadline = async {
        match options.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop, deadline);
    let mut summary = Summary::default();
    let mut connected = false;
    let mut seeds = 0;
    let result = loop {
        let ev = tokio::select! {
            ev = rx.recv() => ev,
            why = &mut stop => break Ok(why),
            () = &mut deadline => break Ok("--duration reached"),
        };
        let Some(ev) = ev else {
            break Err("the Redis source stopped".to_owned());
        };
        if let SourceEvent::Connection {
            at,
            state: ConnectionState::Connected,
            ..
        } = &ev
            && let Some(open) = open.take()
        {
            let mut out = open().map_err(|e| format!("opening the recording: {e}"))?;
            let first = match &options.resume {
                Some(resume) => {
                    origin = resume.origin;
                    resumed(&label, *at, resume)
                }
                None => {
                    origin = *at;
                    header(&label, *at, options.keys)
                }
            };
            out.write_all(first.as_bytes())
                .and_then(|()| out.flush())
                .map_err(io_err)?;
            summary.opened = true;
            output = Some(out);
        }
        let Some(out) = output.as_mut() else {
            // Not subscribed yet: the first connection failed, there is nothing to record.
            if let SourceEvent::Connection {
                state:
                    ConnectionState::Reconnecting { reason, .. }
                    | ConnectionState::AuthFailed { reason, .. },
                ..
            } = ev
            {
                break Err(reason);
            }
            continue;
        };
        let written = match ev {
            SourceEvent::Message {
                at,
                channel,
                payload,
                ..
            } => {
                summary.messages += 1;
                let r = Record {
                    t_rel: at - origin,
                    epoch: at,
                    pattern: pattern_of(&channel).to_owned(),
                    channel,
                    message: payload,
                };
                capture::write_record(&mut *out, &r)
            }
            SourceEvent::Connection { at, state, .. } => match state {
                ConnectionState::Connected if connected => {
                    writeln!(out, "# {} (epoch {at:.3}): reconnected", utc(at))
                }
                ConnectionState::Connected => {
                    connected = true;
                    Ok(())
                }
                ConnectionState::Reconnecting { reason, .. }
                | ConnectionState::AuthFailed { reason, .. } => {
                    writeln!(out, "# {} (epoch {at:.3}): {reason}", utc(at))
                }
                _ => Ok(()),
            },
            SourceEvent::Gap { to, .. } => {
                summary.gaps += 1;
                writeln!(
                    out,
                    "# gap: the subscription was down until {} (epoch {to:.3}); messages published meanwhile are missing",
                    utc(to)
                )
            }
            SourceEvent::SeedBegin { at, .. } if options.keys => {
                writeln!(out, "{PASS_LINE}{at:.3}\tbegin")
            }
            SourceEvent::SeedBatch { at, entries, .. } if options.keys => {
                if seeds == 0 {
                    summary.keys += entries.len() as u64;
                }
                entries.iter().try_for_each(|(key, value)| {
                    writeln!(
                        out,
                        "{KEY_LINE}{at:.3}\t{}\t{}",
                        capture::escape(key.as_bytes()),
                        capture::escape(value)
                    )
                })
            }
            SourceEvent::SeedEnd { at, .. } => {
                seeds += 1;
                if options.keys {
                    summary.passes += 1;
                    writeln!(out, "{PASS_LINE}{at:.3}\tend")
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        };
        written.and_then(|()| out.flush()).map_err(io_err)?;
    };
    task.abort();
    let why = result?;
    let Some(out) = output.as_mut() else {
        return Ok(summary);
    };
    let end = now();
    writeln!(
        out,
        "# stopped {} (epoch {end:.3}): {why}; {} messages, {} gaps",
        utc(end),
        summary.messages,
        summary.gaps
    )
    .and_then(|()| out.flush())
    .map_err(io_err)?;
    Ok(summary)
}

/// One pass over the status keys in a recording, and where it goes among the messages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyPass {
    /// How many messages of the recording come before the end of the pass: it is applied
    /// between message `at_message - 1` and message `at_message`.
    pub at_message: usize,
    pub begin: Time,
    pub end: Time,
    pub keys: Vec<(String, Vec<u8>)>,
}

impl KeyPass {
    /// The events the live source sent for this pass.
    pub fn events(&self, endpoint: EndpointId) -> [SourceEvent; 3] {
        [
            SourceEvent::SeedBegin {
                endpoint,
                at: self.begin,
            },
            SourceEvent::SeedBatch {
                endpoint,
                at: self.end,
                entries: self.keys.clone(),
            },
            SourceEvent::SeedEnd {
                endpoint,
                at: self.end,
            },
        ]
    }

    pub fn apply_to(&self, model: &mut Model, endpoint: EndpointId) {
        for ev in &self.events(endpoint) {
            ev.apply_to(model);
        }
    }
}

fn time_of(field: Option<&str>) -> Option<Time> {
    field?.parse::<f64>().ok().filter(|t| t.is_finite())
}

/// The passes over the status keys of a recording, in order. `#key` lines without `#pass`
/// lines (older recordings) are one pass at the start, at the time of their newest key.
pub fn read_passes(path: &Path) -> io::Result<Vec<KeyPass>> {
    let file = io::BufReader::new(std::fs::File::open(path)?);
    let mut passes: Vec<KeyPass> = Vec::new();
    let mut open: Option<KeyPass> = None;
    let mut loose: Option<KeyPass> = None;
    let mut messages = 0;
    for line in file.split(b'\n') {
        let line = line?;
        let text = String::from_utf8_lossy(&line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        if let Some(rest) = text.strip_prefix(KEY_LINE) {
            let mut parts = rest.splitn(3, '\t');
            let (Some(at), Some(key), Some(value)) =
                (time_of(parts.next()), parts.next(), parts.next())
            else {
                continue;
            };
            let key = String::from_utf8_lossy(&capture::unescape(key)).into_owned();
            let entry = (key, capture::unescape(value));
            match open.as_mut() {
                Some(pass) => pass.keys.push(entry),
                None => {
                    let seed = loose.get_or_insert_with(|| KeyPass {
                        begin: at,
                        end: at,
                        ..KeyPass::default()
                    });
                    seed.begin = seed.begin.max(at);
                    seed.end = seed.begin;
                    seed.keys.push(entry);
                }
            }
        } else if let Some(rest) = text.strip_prefix(PASS_LINE) {
            let mut parts = rest.split('\t');
            let at = time_of(parts.next());
            match (at, parts.next()) {
                (Some(at), Some("begin")) => {
                    open = Some(KeyPass {
                        begin: at,
                        end: at,
                        ..KeyPass::default()
                    });
                }
                (Some(at), Some("end")) => {
                    if let Some(mut pass) = open.take() {
                        pass.end = at;
                        pass.at_message = messages;
                        passes.push(pass);
                    }
                }
                _ => {}
            }
        } else if !text.starts_with('#') && !text.trim().is_empty() {
            messages += 1;
        }
    }
    if let Some(seed) = loose {
        passes.insert(0, seed);
    }
    Ok(passes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_coturn_patterns() {
        assert!(glob_match("turn/*", "turn/x/y"));
        assert!(!glob_match(
            "turn/user/*/allocation/*",
            "turn/realm/r/user/u/allocation/1"
        ));
        assert_eq!(
            pattern_of("turn/realm/r/user/u/allocation/1/status"),
            "turn/realm/*/user/*/allocation/*"
        );
        assert_eq!(
            pattern_of("turn/user/u/allocation/1/traffic"),
            "turn/user/*/allocation/*"
        );
        assert!(glob_match("a*b*c", "axxbyyc") && !glob_match("a*b*c", "axxbyy"));
    }

    #[test]
    fn key_lines_round_trip_and_the_header_is_a_comment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.txt");
        let mut text = header("127.0.0.1:6379", 1_795_555_336.0, true);
        text.push_str(
            "#key\t1795555336.500\tturn/user/a\\tb/allocation/1/status\tnew lifetime=600\n",
        );
        text.push_str("0.100\t1795555336.600\tturn/*\tc\tm\n");
        std::fs::write(&path, &text).unwrap();
        let passes = read_passes(&path).unwrap();
        assert_eq!(
            passes,
            vec![KeyPass {
                at_message: 0,
                begin: 1795555336.5,
                end: 1795555336.5,
                keys: vec![(
                    "turn/user/a\tb/allocation/1/status".to_owned(),
                    b"new lifetime=600".to_vec()
                )]
            }]
        );
        assert_eq!(capture::read_file(&path).unwrap().len(), 1);
        assert!(!text.contains("password"));
    }

    #[test]
    fn passes_are_read_where_they_happened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.txt");
        let mut text = header("127.0.0.1:6379", 100.0, true);
        text.push_str("#pass\t100.000\tbegin\n#key\t100.100\tk1\tv1\n#pass\t100.200\tend\n");
        text.push_str("1.000\t101.000\tturn/*\tc\tm\n");
        text.push_str("2.000\t102.000\tturn/*\tc\tm\n");
        text.push_str("#pass\t130.000\tbegin\n");
        text.push_str("3.000\t130.100\tturn/*\tc\tm\n");
        text.push_str("#key\t130.200\tk2\tv2\n#pass\t130.300\tend\n");
        std::fs::write(&path, &text).unwrap();
        let passes = read_passes(&path).unwrap();
        let summary: Vec<_> = passes
            .iter()
            .map(|p| (p.at_message, p.begin, p.end, p.keys.len()))
            .collect();
        assert_eq!(summary, [(0, 100.0, 100.2, 1), (3, 130.0, 130.3, 1)]);
    }
}
