//! The subscription connection: over plain TCP read by hand (see [`resp`]), over TLS through
//! redis-rs's pub/sub connection. Either way every `pmessage` becomes a
//! [`SourceEvent::Message`].

use futures::{FutureExt, StreamExt};
use redis::RedisError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedSender;

use super::endpoint::RedisEndpoint;
use super::lossy;
use super::resp;
use super::session::{Ended, failed};
use crate::clock::now;
use crate::coturn;
use crate::model::{EndpointId, Time};
use crate::source::SourceEvent;

/// The subscription's read buffer: a read takes up to this much (about 2,000 `traffic`
/// messages) at once.
const READ_BUFFER: usize = 256 * 1024;

/// The subscription connection.
pub(super) enum Subscription {
    /// Plain TCP, read by hand (see [`resp`]).
    Raw(RawSubscription),
    /// TLS, through redis-rs's pub/sub connection.
    Client {
        sink: redis::aio::PubSubSink,
        stream: redis::aio::PubSubStream,
    },
}

/// Connect and subscribe: by hand over plain TCP, through redis-rs over TLS.
pub(super) async fn subscribe(endpoint: &RedisEndpoint) -> Result<Subscription, Ended> {
    if !endpoint.tls {
        return RawSubscription::open(endpoint).await.map(Subscription::Raw);
    }
    let subscribe = async {
        let mut pubsub = endpoint.client.get_async_pubsub().await?;
        pubsub.psubscribe(&coturn::SUBSCRIBE_PATTERNS[..]).await?;
        Ok::<_, RedisError>(pubsub)
    };
    match subscribe.await {
        Ok(pubsub) => {
            let (sink, stream) = pubsub.split();
            Ok(Subscription::Client { sink, stream })
        }
        Err(e) => Err(failed(&endpoint.label, &e)),
    }
}

impl Subscription {
    /// Whether a PING answer arrived since the last call (hand-read connection only).
    pub(super) fn take_pong(&mut self) -> bool {
        match self {
            Subscription::Raw(raw) => std::mem::take(&mut raw.pong),
            Subscription::Client { .. } => false,
        }
    }

    /// Wait for input and forward all of it. Cancel-safe: the only wait is for the read.
    pub(super) async fn pump(
        &mut self,
        id: EndpointId,
        tx: &UnboundedSender<SourceEvent>,
        label: &str,
    ) -> Result<(), Ended> {
        match self {
            Subscription::Raw(raw) => match raw.fill().await {
                Ok(0) => Err(Ended::Lost(format!("connection to {label} lost"))),
                Ok(_) => raw.forward(id, now(), tx, label),
                Err(e) => Err(Ended::Lost(format!("connection to {label} lost: {e}"))),
            },
            Subscription::Client { stream, .. } => {
                let lost = || Ended::Lost(format!("connection to {label} lost"));
                let msg = stream.next().await.ok_or_else(lost)?;
                forward(id, &msg, tx).map_err(|()| Ended::ReceiverGone)?;
                // Drain what is already queued without going through select! again.
                for _ in 0..1024 {
                    match stream.next().now_or_never() {
                        Some(Some(msg)) => {
                            forward(id, &msg, tx).map_err(|()| Ended::ReceiverGone)?;
                        }
                        Some(None) => return Err(lost()),
                        None => break,
                    }
                }
                Ok(())
            }
        }
    }
}

fn forward(id: EndpointId, msg: &redis::Msg, tx: &UnboundedSender<SourceEvent>) -> Result<(), ()> {
    let channel = match msg.get_channel::<Vec<u8>>() {
        Ok(bytes) => String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(_) => String::new(),
    };
    tx.send(SourceEvent::Message {
        endpoint: id,
        at: now(),
        channel,
        payload: msg.get_payload_bytes().to_vec(),
    })
    .map_err(|_| ())
}

pub(super) struct RawSubscription {
    read: tokio::net::tcp::OwnedReadHalf,
    write: tokio::net::tcp::OwnedWriteHalf,
    /// Bytes read; `buf[start..]` is not parsed yet.
    buf: Vec<u8>,
    start: usize,
    /// A `pong` arrived since the last look.
    pong: bool,
}

/// What a reply during the handshake was.
enum Handshake {
    /// Its first element (or the simple string).
    Ok(Vec<u8>),
    /// An error reply's text.
    Error(String),
}

impl RawSubscription {
    /// Connect, `AUTH` if there is a password, and `PSUBSCRIBE` both channel shapes.
    async fn open(endpoint: &RedisEndpoint) -> Result<Self, Ended> {
        let label = &endpoint.label;
        let cannot = |e: String| Ended::Failed {
            auth: false,
            reason: format!("cannot connect to {label}: {e}"),
        };
        let auth_failed = || super::session::auth_failure(label, false);
        let stream = tokio::net::TcpStream::connect((endpoint.host.as_str(), endpoint.port))
            .await
            .map_err(|e| cannot(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let mut sub = RawSubscription {
            read,
            write,
            buf: Vec::with_capacity(READ_BUFFER),
            start: 0,
            pong: false,
        };
        let settings = endpoint.client.get_connection_info().redis_settings();
        if let Some(password) = settings.password() {
            let mut args: Vec<&[u8]> = vec![b"AUTH"];
            if let Some(user) = settings.username() {
                args.push(user.as_bytes());
            }
            args.push(password.as_bytes());
            let mut answer = sub.request(&args).await.map_err(cannot)?;
            // A Redis before 6 knows no users: retry with the password alone (as redis-rs does).
            if let Handshake::Error(text) = &answer
                && args.len() == 3
                && text.contains("wrong number of arguments")
            {
                answer = sub
                    .request(&[b"AUTH", password.as_bytes()])
                    .await
                    .map_err(cannot)?;
            }
            if let Handshake::Error(_) = answer {
                return Err(auth_failed());
            }
        }
        let mut args: Vec<&[u8]> = vec![b"PSUBSCRIBE"];
        args.extend(coturn::SUBSCRIBE_PATTERNS.iter().map(|p| p.as_bytes()));
        sub.send(&resp::command(&args)).await.map_err(cannot)?;
        let mut confirmed = 0;
        while confirmed < coturn::SUBSCRIBE_PATTERNS.len() {
            match sub.reply().await.map_err(cannot)? {
                Handshake::Ok(kind) if kind.eq_ignore_ascii_case(b"psubscribe") => confirmed += 1,
                Handshake::Ok(_) => {}
                Handshake::Error(text) if is_auth_reply(&text) => {
                    let noauth = text.starts_with("NOAUTH");
                    return Err(super::session::auth_failure(label, noauth));
                }
                Handshake::Error(text) => return Err(cannot(text)),
            }
        }
        Ok(sub)
    }

    pub(super) async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.write.write_all(bytes).await.map_err(|e| e.to_string())
    }

    async fn request(&mut self, args: &[&[u8]]) -> Result<Handshake, String> {
        self.send(&resp::command(args)).await?;
        self.reply().await
    }

    /// The next reply, during the handshake (when no message can arrive before it).
    async fn reply(&mut self) -> Result<Handshake, String> {
        loop {
            match resp::parse(&self.buf[self.start..]) {
                Ok(Some((reply, used))) => {
                    let answer = match reply {
                        resp::Reply::Error(text) => Handshake::Error(lossy(text.to_vec())),
                        resp::Reply::Array { parts, .. } => Handshake::Ok(parts[0].to_vec()),
                        resp::Reply::Simple(b) | resp::Reply::Bulk(b) | resp::Reply::Int(b) => {
                            Handshake::Ok(b.to_vec())
                        }
                    };
                    self.start += used;
                    return Ok(answer);
                }
                Ok(None) => {}
                Err(resp::Invalid(why)) => return Err(format!("invalid reply ({why})")),
            }
            if self.fill().await.map_err(|e| e.to_string())? == 0 {
                return Err("connection closed".into());
            }
        }
    }

    /// Read more (cancel-safe): 0 at the end of the stream.
    async fn fill(&mut self) -> std::io::Result<usize> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        if self.buf.is_empty() && self.buf.capacity() > 16 * READ_BUFFER {
            self.buf = Vec::with_capacity(READ_BUFFER);
        }
        if self.buf.capacity() - self.buf.len() < READ_BUFFER / 4 {
            self.buf.reserve(READ_BUFFER);
        }
        self.read.read_buf(&mut self.buf).await
    }

    /// Forward every complete message in the buffer, stamped `at`.
    pub(super) fn forward(
        &mut self,
        id: EndpointId,
        at: Time,
        tx: &UnboundedSender<SourceEvent>,
        label: &str,
    ) -> Result<(), Ended> {
        let mut pos = self.start;
        let result = loop {
            match resp::parse(&self.buf[pos..]) {
                Ok(Some((reply, used))) => {
                    pos += used;
                    match reply {
                        resp::Reply::Array {
                            parts: [kind, _, channel, payload],
                            len: 4,
                        } if kind == b"pmessage" => {
                            let event = SourceEvent::Message {
                                endpoint: id,
                                at,
                                channel: lossy(channel.to_vec()),
                                payload: payload.to_vec(),
                            };
                            if tx.send(event).is_err() {
                                break Err(Ended::ReceiverGone);
                            }
                        }
                        resp::Reply::Array { parts, .. }
                            if parts[0].eq_ignore_ascii_case(b"pong") =>
                        {
                            self.pong = true;
                        }
                        resp::Reply::Simple(s) if s.eq_ignore_ascii_case(b"pong") => {
                            self.pong = true;
                        }
                        resp::Reply::Error(text) => {
                            break Err(Ended::Lost(format!(
                                "connection to {label} lost: {}",
                                String::from_utf8_lossy(text)
                            )));
                        }
                        // Subscription confirmations.
                        _ => {}
                    }
                }
                Ok(None) => break Ok(()),
                Err(resp::Invalid(why)) => {
                    break Err(Ended::Lost(format!(
                        "connection to {label} lost: invalid reply ({why})"
                    )));
                }
            }
        };
        self.start = pos;
        result
    }
}

fn is_auth_reply(text: &str) -> bool {
    ["NOAUTH", "WRONGPASS", "NOPERM"]
        .iter()
        .any(|code| text.starts_with(code))
}
