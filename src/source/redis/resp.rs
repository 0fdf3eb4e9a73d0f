//! A minimal RESP2 reader for the subscription: replies are parsed in place from one big
//! buffer, and each `pmessage` becomes a [`SourceEvent::Message`] straight away, with no
//! intermediate value and no driver task between the socket and the channel.

/// One reply, borrowing from the read buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply<'a> {
    /// An array; its first four elements (bulk strings, integers or simple strings, as
    /// bytes; nil and nested arrays as empty) are kept.
    Array {
        parts: [&'a [u8]; 4],
        len: usize,
    },
    Simple(&'a [u8]),
    Error(&'a [u8]),
    Int(&'a [u8]),
    Bulk(&'a [u8]),
}

/// The buffer does not hold a RESP2 reply.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid(pub String);

/// `Ok(None)`: the reply is not complete yet.
type Parsed<'a, T> = Result<Option<(T, usize)>, Invalid>;

fn line(buf: &[u8], at: usize) -> Parsed<'_, &[u8]> {
    let rest = buf.get(at..).unwrap_or_default();
    match rest.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && rest[i - 1] == b'\r' => Ok(Some((&rest[..i - 1], at + i + 1))),
        Some(_) => Err(Invalid("a line not ended by CRLF".into())),
        None if rest.len() > 64 * 1024 => Err(Invalid("a header line too long".into())),
        None => Ok(None),
    }
}

fn number(digits: &[u8]) -> Result<i64, Invalid> {
    let (negative, digits) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    if digits.is_empty() || digits.len() > 18 {
        return Err(Invalid("a bad length".into()));
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(Invalid("a bad length".into()));
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Ok(if negative { -n } else { n })
}

/// One element of an array (or a whole reply): its bytes and where the next one starts.
fn item(buf: &[u8], at: usize, depth: u32) -> Parsed<'_, Reply<'_>> {
    let Some(&kind) = buf.get(at) else {
        return Ok(None);
    };
    let Some((head, next)) = line(buf, at + 1)? else {
        return Ok(None);
    };
    match kind {
        b'$' => {
            let len = number(head)?;
            if len < 0 {
                return Ok(Some((Reply::Bulk(&[]), next)));
            }
            let end = next + len as usize;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(Invalid("a bulk string not ended by CRLF".into()));
            }
            Ok(Some((Reply::Bulk(&buf[next..end]), end + 2)))
        }
        b'*' => {
            if depth > 4 {
                return Err(Invalid("arrays nested too deep".into()));
            }
            let len = number(head)?.max(0) as usize;
            let mut parts: [&[u8]; 4] = [&[]; 4];
            let mut pos = next;
            for n in 0..len {
                let Some((element, after)) = item(buf, pos, depth + 1)? else {
                    return Ok(None);
                };
                if let Some(part) = parts.get_mut(n) {
                    *part = match element {
                        Reply::Bulk(b) | Reply::Int(b) | Reply::Simple(b) => b,
                        Reply::Array { .. } | Reply::Error(_) => &[],
                    };
                }
                pos = after;
            }
            Ok(Some((Reply::Array { parts, len }, pos)))
        }
        b'+' => Ok(Some((Reply::Simple(head), next))),
        b'-' => Ok(Some((Reply::Error(head), next))),
        b':' => Ok(Some((Reply::Int(head), next))),
        other => Err(Invalid(format!("unexpected type byte {other:#04x}"))),
    }
}

/// The reply at the start of `buf` and its length, or `None` if it is not complete.
pub fn parse(buf: &[u8]) -> Result<Option<(Reply<'_>, usize)>, Invalid> {
    item(buf, 0, 0)
}

/// A command as a RESP2 array of bulk strings.
pub fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pubsub_replies_in_pieces() {
        let frame = b"*4\r\n$8\r\npmessage\r\n$6\r\nturn/*\r\n$6\r\nturn/x\r\n$5\r\nhello\r\n";
        for cut in 0..frame.len() {
            assert_eq!(parse(&frame[..cut]), Ok(None), "cut at {cut}");
        }
        let (reply, used) = parse(frame).unwrap().unwrap();
        assert_eq!(used, frame.len());
        assert_eq!(
            reply,
            Reply::Array {
                parts: [b"pmessage", b"turn/*", b"turn/x", b"hello"],
                len: 4
            }
        );
        let sub = b"*3\r\n$10\r\npsubscribe\r\n$6\r\nturn/*\r\n:2\r\n+OK\r\n";
        let (reply, used) = parse(sub).unwrap().unwrap();
        assert_eq!(
            reply,
            Reply::Array {
                parts: [b"psubscribe", b"turn/*", b"2", b""],
                len: 3
            }
        );
        assert_eq!(parse(&sub[used..]), Ok(Some((Reply::Simple(b"OK"), 5))));
        let pong = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n";
        assert!(matches!(
            parse(pong),
            Ok(Some((Reply::Array { len: 2, .. }, 20)))
        ));
        assert_eq!(
            parse(b"-NOAUTH Authentication required.\r\n"),
            Ok(Some((Reply::Error(b"NOAUTH Authentication required."), 34)))
        );
        assert_eq!(parse(b"$-1\r\n"), Ok(Some((Reply::Bulk(b""), 5))));
        assert!(parse(b"?\r\n").is_err());
        assert!(parse(b"$3\r\nabcde\r\n").is_err());
        assert!(parse(b"$x\r\n").is_err());
        assert_eq!(command(&[b"PING"]), b"*1\r\n$4\r\nPING\r\n".to_vec());
    }

    fn pmessage(channel: &[u8], payload: &[u8]) -> Vec<u8> {
        command(&[b"pmessage", b"turn/*", channel, payload])
    }

    /// Every reply in `buf`, as the subscription reads them: parse until incomplete.
    fn drain(buf: &[u8]) -> (Vec<Reply<'_>>, usize) {
        let (mut replies, mut pos) = (Vec::new(), 0);
        while let Some((reply, used)) = parse(&buf[pos..]).expect("valid") {
            replies.push(reply);
            pos += used;
        }
        (replies, pos)
    }

    #[test]
    fn a_read_cut_anywhere_gives_the_whole_frames_before_the_cut() {
        let mut stream = pmessage(b"turn/a", b"one");
        let first = stream.len();
        stream.extend(pmessage(b"turn/b", b"two"));
        stream.extend_from_slice(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
        let second = first + pmessage(b"turn/b", b"two").len();
        for cut in 0..=stream.len() {
            let (replies, used) = drain(&stream[..cut]);
            let whole = [first, second, stream.len()]
                .iter()
                .filter(|&&end| end <= cut)
                .count();
            assert_eq!(replies.len(), whole, "cut at {cut}");
            assert_eq!(
                used,
                [0, first, second, stream.len()][whole],
                "cut at {cut}"
            );
        }
        let (replies, _) = drain(&stream);
        assert!(matches!(
            replies[1],
            Reply::Array {
                parts: [_, _, b"turn/b", b"two"],
                len: 4
            }
        ));
        assert!(matches!(
            replies[2],
            Reply::Array {
                parts: [b"pong", b"", _, _],
                len: 2
            }
        ));
    }

    #[test]
    fn reads_of_any_size_give_the_same_replies() {
        let mut stream = Vec::new();
        for i in 0..50u32 {
            stream.extend(pmessage(
                format!("turn/{i}").as_bytes(),
                &vec![b'p'; i as usize],
            ));
        }
        for chunk in [1, 2, 3, 7, 64, 1000] {
            // The reader's buffer: bytes arrive `chunk` at a time, parsed ones are dropped.
            let (mut buf, mut seen) = (Vec::new(), Vec::new());
            for piece in stream.chunks(chunk) {
                buf.extend_from_slice(piece);
                let (replies, used) = drain(&buf);
                seen.extend(replies.iter().map(|r| match r {
                    Reply::Array { parts, .. } => (parts[2].to_vec(), parts[3].len()),
                    other => panic!("{other:?}"),
                }));
                buf.drain(..used);
            }
            assert!(buf.is_empty(), "chunk {chunk}");
            let expected: Vec<_> = (0..50)
                .map(|i| (format!("turn/{i}").into_bytes(), i))
                .collect();
            assert_eq!(seen, expected, "chunk {chunk}");
        }
    }

    #[test]
    fn big_bulk_strings_wait_for_their_last_byte() {
        let payload: Vec<u8> = (0..4 << 20).map(|i| (i % 251) as u8).collect();
        let frame = pmessage(b"turn/big", &payload);
        for cut in [frame.len() / 2, frame.len() - 2, frame.len() - 1] {
            assert_eq!(parse(&frame[..cut]), Ok(None), "cut at {cut}");
        }
        let (reply, used) = parse(&frame).expect("valid").expect("complete");
        assert_eq!(used, frame.len());
        let Reply::Array { parts, .. } = reply else {
            panic!("{reply:?}");
        };
        assert!(parts[3] == &payload[..]);
        // Binary payloads: CRLF inside a bulk string is data.
        let crlf = pmessage(b"turn/x", b"a\r\nb\r\n");
        assert!(matches!(
            parse(&crlf),
            Ok(Some((
                Reply::Array {
                    parts: [_, _, _, b"a\r\nb\r\n"],
                    ..
                },
                _
            )))
        ));
    }

    #[test]
    fn arrays_keep_their_first_four_elements_and_their_length() {
        let reply = b"*6\r\n$1\r\na\r\n*1\r\n:1\r\n$-1\r\n+s\r\n$1\r\ne\r\n-err\r\n";
        assert_eq!(
            parse(reply),
            Ok(Some((
                Reply::Array {
                    parts: [b"a", b"", b"", b"s"],
                    len: 6
                },
                reply.len()
            )))
        );
        assert_eq!(
            parse(b"*0\r\n"),
            Ok(Some((
                Reply::Array {
                    parts: [b""; 4],
                    len: 0
                },
                4
            )))
        );
        assert_eq!(
            parse(b"*-1\r\n"),
            Ok(Some((
                Reply::Array {
                    parts: [b""; 4],
                    len: 0
                },
                5
            )))
        );
        assert_eq!(parse(b":-42\r\n"), Ok(Some((Reply::Int(b"-42"), 6))));
    }

    #[test]
    fn bad_input_is_an_error_not_a_wait() {
        for bad in [
            &b"!3\r\n"[..],
            b"+OK\n",
            b"$3\r\nabc\n\n",
            b"$3\r\nabcd\r\n",
            b"$\r\n",
            b"$-\r\n",
            b"*x\r\n",
            b"$1234567890123456789\r\n",
            b"1\r\n",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        // A header line with no end in sight is not waited for forever.
        let mut endless = b"+".to_vec();
        endless.extend(std::iter::repeat_n(b'x', 65 * 1024));
        assert!(parse(&endless).is_err());
        assert_eq!(parse(&endless[..1000]), Ok(None));
        // Neither are arrays nested without end.
        assert!(parse(&b"*1\r\n".repeat(8)).is_err());
        assert_eq!(parse(&b"*1\r\n".repeat(4)), Ok(None));
        // An error inside an array is kept as an empty part, the array goes on.
        assert!(matches!(
            parse(b"*1\r\n-no\r\n"),
            Ok(Some((Reply::Array { len: 1, .. }, 9)))
        ));
    }
}
