//! The telnet layer of coturn's admin CLI (pure): strips IAC negotiation out of what the server
//! sends and says what to answer. turntop refuses every option (DO → WONT, WILL → DONT), as a
//! plain client does; coturn waits for those answers before it goes on. State carries across
//! reads, so a command split between two TCP segments is still recognised.

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Data,
    /// After IAC.
    Iac,
    /// After IAC DO/DONT/WILL/WONT: the option byte is next.
    Option(u8),
    /// Inside IAC SB ... IAC SE.
    Sub,
    /// IAC inside a subnegotiation.
    SubIac,
}

/// A telnet decoder for one connection.
#[derive(Debug, Default)]
pub struct Telnet {
    state: State,
}

impl Telnet {
    /// Feeds received bytes: the text goes to `text`, the answers to send to `replies`.
    pub fn feed(&mut self, input: &[u8], text: &mut Vec<u8>, replies: &mut Vec<u8>) {
        for &b in input {
            self.state = match (self.state, b) {
                (State::Data, IAC) => State::Iac,
                (State::Data, _) => {
                    text.push(b);
                    State::Data
                }
                // IAC IAC is a literal 255.
                (State::Iac, IAC) => {
                    text.push(IAC);
                    State::Data
                }
                (State::Iac, DO | DONT | WILL | WONT) => State::Option(b),
                (State::Iac, SB) => State::Sub,
                // NOP, GA, and the other two-byte commands: nothing to do.
                (State::Iac, _) => State::Data,
                (State::Option(verb), option) => {
                    match verb {
                        DO => replies.extend_from_slice(&[IAC, WONT, option]),
                        WILL => replies.extend_from_slice(&[IAC, DONT, option]),
                        // DONT / WONT: already off, no answer (answering would loop).
                        _ => {}
                    }
                    State::Data
                }
                (State::Sub, IAC) => State::SubIac,
                (State::Sub, _) => State::Sub,
                (State::SubIac, SE) => State::Data,
                (State::SubIac, _) => State::Sub,
            };
        }
    }
}

/// A line to send, with CR LF at the end. UTF-8 never holds byte 255 (IAC), so nothing needs
/// doubling.
pub fn encode_line(line: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len() + 2);
    out.extend_from_slice(line.as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// Whether `text` (what came since the last command) ends with coturn's `> ` prompt: at the
/// start of a line, or alone (`cs` answers with nothing but the prompt).
pub fn ends_with_prompt(text: &[u8]) -> bool {
    text.ends_with(b"> ") && (text.len() == 2 || text[..text.len() - 2].ends_with(b"\n"))
}

/// Whether `text` ends with the password prompt (`Enter password: `).
pub fn asks_password(text: &[u8]) -> bool {
    text.trim_ascii_end().ends_with(b"Enter password:")
}

/// The answers in a transcript (telnet already stripped): the text after the password prompt,
/// cut at each `> ` prompt. For fixtures and tests.
pub fn split_answers(text: &str) -> Vec<&str> {
    let Some(at) = text.find("Enter password: ") else {
        return Vec::new();
    };
    let rest = &text[at + "Enter password: ".len()..];
    let bytes = rest.as_bytes();
    let mut prompts = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        let line_start =
            i == 0 || bytes[i - 1] == b'\n' || (i >= 2 && prompts.last() == Some(&(i - 2)));
        if line_start && &bytes[i..i + 2] == b"> " {
            prompts.push(i);
            i += 2;
        } else {
            i += 1;
        }
    }
    prompts.windows(2).map(|w| &rest[w[0] + 2..w[1]]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
        let mut t = Telnet::default();
        let (mut text, mut replies) = (Vec::new(), Vec::new());
        for c in chunks {
            t.feed(c, &mut text, &mut replies);
        }
        (text, replies)
    }

    #[test]
    fn options_are_refused_and_stripped() {
        // WILL ECHO, DO TTYPE, DONT NAWS, a subnegotiation, then text.
        let input = [
            IAC, WILL, 1, IAC, DO, 24, IAC, DONT, 31, IAC, SB, 24, 1, IAC, SE, b'o', b'k',
        ];
        let (text, replies) = run(&[&input]);
        assert_eq!(text, b"ok");
        assert_eq!(replies, [IAC, DONT, 1, IAC, WONT, 24]);
    }

    #[test]
    fn a_command_split_across_reads_is_still_recognised() {
        let (text, replies) = run(&[b"a", &[IAC], &[DO], &[24, b'b', IAC], &[IAC, b'c']]);
        assert_eq!(text, [b'a', b'b', IAC, b'c']);
        assert_eq!(replies, [IAC, WONT, 24]);
    }

    #[test]
    fn subnegotiation_with_escaped_iac_is_skipped() {
        let (text, _) = run(&[&[IAC, SB, 1, IAC, IAC, 2, IAC, SE, b'x']]);
        assert_eq!(text, b"x");
    }

    #[test]
    fn lines_end_in_crlf() {
        assert_eq!(encode_line("ps a"), b"ps a\r\n");
    }
}
