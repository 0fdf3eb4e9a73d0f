//! The capture format of `shared/fixtures/coturn-4.6.1/*.txt`, read by `replay` and written by
//! `record`: one message a line, TAB separated `t_rel_s epoch_s pattern channel message`, `#`
//! comments, and `\t \n \r \\` escapes inside fields.

use std::fmt;
use std::io::{self, BufRead, Write};
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Seconds since the capture's own t0.
    pub t_rel: f64,
    /// Wall clock of the capture machine, seconds since the Unix epoch.
    pub epoch: f64,
    pub pattern: String,
    pub channel: String,
    pub message: Vec<u8>,
}

#[derive(Debug)]
pub enum CaptureError {
    Io(io::Error),
    /// A line that is not `t_rel epoch pattern channel message`.
    BadLine {
        line: usize,
        reason: &'static str,
    },
    /// Nothing in the file looks like a capture at all.
    Empty,
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Io(e) => write!(f, "{e}"),
            CaptureError::BadLine { line, reason } => {
                write!(f, "not a turntop/coturn capture: line {line}: {reason}")
            }
            CaptureError::Empty => f.write_str("not a turntop/coturn capture: no message lines"),
        }
    }
}

impl std::error::Error for CaptureError {}

impl From<io::Error> for CaptureError {
    fn from(e: io::Error) -> Self {
        CaptureError::Io(e)
    }
}

pub fn unescape(field: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut bytes = field.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b'\\') => out.push(b'\\'),
            // Unknown escapes are kept verbatim, as the fixtures' own reader does.
            Some(other) => out.extend_from_slice(&[b'\\', other]),
            None => out.push(b'\\'),
        }
    }
    out
}

pub fn escape(field: &[u8]) -> String {
    let mut out = String::with_capacity(field.len());
    for chunk in field.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\\' => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        // Invalid UTF-8 cannot be written verbatim in a text file; U+FFFD keeps the line
        // readable and the parser will count the message as malformed either way.
        if !chunk.invalid().is_empty() {
            out.push('\u{FFFD}');
        }
    }
    out
}

/// Parse one non-comment line (without its newline).
pub fn parse_line(line: &str, line_no: usize) -> Result<Record, CaptureError> {
    let bad = |reason| CaptureError::BadLine {
        line: line_no,
        reason,
    };
    let mut parts = line.splitn(5, '\t');
    let (Some(t_rel), Some(epoch), Some(pattern), Some(channel), Some(message)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad("expected 5 TAB-separated fields"));
    };
    let t_rel: f64 = t_rel
        .trim()
        .parse()
        .map_err(|_| bad("t_rel_s is not a number"))?;
    let epoch: f64 = epoch
        .trim()
        .parse()
        .map_err(|_| bad("epoch_s is not a number"))?;
    if !t_rel.is_finite() || !epoch.is_finite() {
        return Err(bad("time is not finite"));
    }
    let text = |f: &str| String::from_utf8_lossy(&unescape(f)).into_owned();
    Ok(Record {
        t_rel,
        epoch,
        pattern: text(pattern),
        channel: text(channel),
        message: unescape(message),
    })
}

/// Read a whole capture. A last line cut short by a crash (no newline, too few fields) is
/// dropped rather than failing the file; any other bad line is an error naming its number.
pub fn read(reader: impl BufRead) -> Result<Vec<Record>, CaptureError> {
    let mut out = Vec::new();
    let mut lines = reader.split(b'\n').enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let raw = line?;
        let is_last = lines.peek().is_none();
        let Ok(line) = std::str::from_utf8(&raw) else {
            return Err(CaptureError::BadLine {
                line: i + 1,
                reason: "not UTF-8 text",
            });
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match parse_line(line, i + 1) {
            Ok(r) => out.push(r),
            Err(_) if is_last && !out.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    if out.is_empty() {
        return Err(CaptureError::Empty);
    }
    Ok(out)
}

pub fn read_file(path: &Path) -> Result<Vec<Record>, CaptureError> {
    let file = std::fs::File::open(path)?;
    read(io::BufReader::new(file))
}

/// Write one record as a capture line.
pub fn write_record(mut w: impl Write, r: &Record) -> io::Result<()> {
    writeln!(
        w,
        "{:.3}\t{:.3}\t{}\t{}\t{}",
        r.t_rel,
        r.epoch,
        escape(r.pattern.as_bytes()),
        escape(r.channel.as_bytes()),
        escape(&r.message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let raw = b"a\tb\nc\rd\\e\\tf";
        assert_eq!(unescape(&escape(raw)), raw.to_vec());
        assert_eq!(unescape("x\\qy"), b"x\\qy".to_vec());
    }

    #[test]
    fn reads_and_writes() {
        let r = Record {
            t_rel: 1.5,
            epoch: 1795586892.425,
            pattern: "turn/*".into(),
            channel: "turn/user/a\tb/allocation/000000000000000001/status".into(),
            message: b"deleted".to_vec(),
        };
        let mut buf = Vec::new();
        write_record(&mut buf, &r).unwrap();
        let text = format!("# header\n{}", String::from_utf8(buf).unwrap());
        assert_eq!(read(text.as_bytes()).unwrap(), vec![r]);
    }

    #[test]
    fn truncated_last_line_is_dropped_but_bad_lines_are_errors() {
        let ok = "1.0\t2.0\tp\tc\tm\n";
        assert_eq!(
            read(format!("{ok}1.0\t2.0\tp").as_bytes()).unwrap().len(),
            1
        );
        let err = read(format!("1.0\t2.0\tp\n{ok}").as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a turntop/coturn capture: line 1: expected 5 TAB-separated fields"
        );
        assert!(matches!(
            read("# only comments\n".as_bytes()),
            Err(CaptureError::Empty)
        ));
        assert!(matches!(
            read("x\ty\tp\tc\tm\n".as_bytes()),
            Err(CaptureError::BadLine { line: 1, .. })
        ));
    }
}
