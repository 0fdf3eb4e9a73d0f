//! One connection to coturn's admin CLI (I/O): connect, log in, send a command, read its answer
//! up to the next prompt. Every wait has a time limit; answers have a size limit.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::CliEndpoint;
use super::telnet::{Telnet, asks_password, encode_line, ends_with_prompt};

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// coturn answers from its own thread at once; 10 s means it is stuck or gone.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest answer taken: 256 sessions of ~700 bytes each, with room to spare.
pub const MAX_ANSWER: usize = 4 << 20;

/// Why a connection failed; its `Display` is the one line the header shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliError {
    Connect(String),
    /// The password was refused.
    Auth(String),
    Closed,
    Timeout(&'static str),
    TooLong,
    Io(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Connect(e) => write!(f, "{e}"),
            CliError::Auth(addr) => write!(f, "authentication failed for coturn CLI {addr}"),
            CliError::Closed => write!(f, "coturn closed the CLI connection"),
            CliError::Timeout(what) => write!(f, "no answer from coturn's CLI ({what})"),
            CliError::TooLong => write!(f, "an answer longer than {MAX_ANSWER} bytes"),
            CliError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// A logged-in CLI connection.
pub struct CliClient {
    stream: TcpStream,
    telnet: Telnet,
    text: Vec<u8>,
}

impl CliClient {
    /// Connects and logs in.
    pub async fn connect(ep: &CliEndpoint) -> Result<CliClient, CliError> {
        let addr = crate::sanitize::sanitize(&ep.addr);
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&ep.addr)).await
        {
            Err(_) => return Err(CliError::Connect("connect timed out".into())),
            Ok(Err(e)) => return Err(CliError::Connect(format!("connect: {e}"))),
            Ok(Ok(s)) => s,
        };
        let _ = stream.set_nodelay(true);
        let mut c = CliClient {
            stream,
            telnet: Telnet::default(),
            text: Vec::new(),
        };
        c.read_until("the password prompt", asks_password).await?;
        // A password is one line: a line break in it would be a second command.
        let password: String = ep
            .password
            .chars()
            .filter(|c| !matches!(c, '\r' | '\n'))
            .collect();
        c.text.clear();
        c.send(&password).await?;
        c.read_until("the prompt after the password", |t| {
            ends_with_prompt(t) || asks_password(t)
        })
        .await?;
        if asks_password(&c.text) {
            return Err(CliError::Auth(addr));
        }
        Ok(c)
    }

    async fn send(&mut self, line: &str) -> Result<(), CliError> {
        self.stream
            .write_all(&encode_line(line))
            .await
            .map_err(|e| CliError::Io(e.to_string()))
    }

    /// Sends `command` and returns its answer (the text before the next prompt), lossily
    /// decoded; the caller parses and sanitizes it.
    pub async fn command(&mut self, command: &str) -> Result<String, CliError> {
        self.text.clear();
        self.send(command).await?;
        self.read_until("an answer", ends_with_prompt).await?;
        let end = self.text.len() - 2;
        Ok(String::from_utf8_lossy(&self.text[..end]).into_owned())
    }

    async fn read_until(
        &mut self,
        what: &'static str,
        done: impl Fn(&[u8]) -> bool,
    ) -> Result<(), CliError> {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let mut buf = [0u8; 16 * 1024];
        let mut replies = Vec::new();
        while !done(&self.text) {
            let n = match timeout_at(deadline, self.stream.read(&mut buf)).await {
                Err(_) => return Err(CliError::Timeout(what)),
                Ok(Err(e)) => return Err(CliError::Io(e.to_string())),
                Ok(Ok(0)) => return Err(CliError::Closed),
                Ok(Ok(n)) => n,
            };
            self.telnet.feed(&buf[..n], &mut self.text, &mut replies);
            if !replies.is_empty() {
                self.stream
                    .write_all(&replies)
                    .await
                    .map_err(|e| CliError::Io(e.to_string()))?;
                replies.clear();
            }
            if self.text.len() > MAX_ANSWER {
                return Err(CliError::TooLong);
            }
        }
        Ok(())
    }
}
