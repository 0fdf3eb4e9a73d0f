//! `turntop record`: subscribe like the live source and write every message, verbatim (the
//! malformed ones too: a capture is evidence), in the capture format of [`crate::capture`],
//! flushed after every message so a crash loses at most the one being written.
//!
//! The output is opened only once the subscription is up, so a Redis that cannot be reached
//! leaves no file behind (and, without `--force`, an existing file is never replaced). It starts
//! with a `#` header (endpoint label, never a password; start time; columns). Appending to a
//! capture (`--append`) writes a `# resumed` comment instead and keeps counting `t_rel_s` from
//! that capture's start, so the file stays one capture. Connection losses and gaps are `#`
//! comments where they happened. With `--keys`, the status
//! keys found at start (the live source's SCAN + MGET seed) are written as
//! `#key<TAB>epoch<TAB>key<TAB>value` lines (escaped like the message fields): comments to any
//! capture reader, and the seed `turntop replay` starts from.

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
    pub keys: u64,
    pub gaps: u64,
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
            "# #key lines (TAB separated: epoch_s key value): the status keys at start (SCAN + MGET)\n",
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
            SourceEvent::SeedBatch { at, entries, .. } if options.keys && seeds == 0 => {
                summary.keys += entries.len() as u64;
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
                if options.keys && seeds == 1 {
                    writeln!(
                        out,
                        "# key snapshot complete at epoch {at:.3}: {} status keys",
                        summary.keys
                    )
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

/// The key snapshot lines of a recording: (epoch, key, value).
pub fn read_keys(path: &Path) -> io::Result<Vec<(Time, String, Vec<u8>)>> {
    let file = io::BufReader::new(std::fs::File::open(path)?);
    let mut keys = Vec::new();
    for line in file.split(b'\n') {
        let line = line?;
        let Some(rest) = line.strip_prefix(KEY_LINE.as_bytes()) else {
            continue;
        };
        let rest = String::from_utf8_lossy(rest);
        let rest = rest.strip_suffix('\r').unwrap_or(&rest);
        let mut parts = rest.splitn(3, '\t');
        if let (Some(at), Some(key), Some(value)) = (parts.next(), parts.next(), parts.next())
            && let Ok(at) = at.parse::<f64>()
        {
            let key = String::from_utf8_lossy(&capture::unescape(key)).into_owned();
            keys.push((at, key, capture::unescape(value)));
        }
    }
    Ok(keys)
}

/// Seed `model` from a key snapshot, as the live source seeds from Redis.
pub fn seed(model: &mut Model, endpoint: EndpointId, keys: Vec<(Time, String, Vec<u8>)>) {
    let Some(at) = keys.iter().map(|k| k.0).reduce(f64::max) else {
        return;
    };
    let events = [
        SourceEvent::SeedBegin { endpoint, at },
        SourceEvent::SeedBatch {
            endpoint,
            at,
            entries: keys.into_iter().map(|(_, k, v)| (k, v)).collect(),
        },
        SourceEvent::SeedEnd { endpoint, at },
    ];
    for ev in &events {
        ev.apply_to(model);
    }
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
        let keys = read_keys(&path).unwrap();
        assert_eq!(
            keys,
            vec![(
                1795555336.5,
                "turn/user/a\tb/allocation/1/status".to_owned(),
                b"new lifetime=600".to_vec()
            )]
        );
        assert_eq!(capture::read_file(&path).unwrap().len(), 1);
        assert!(!text.contains("password"));
    }
}
