//! The metrics HTTP server (hyper): `/metrics` asks the loop that owns the model for a
//! [`Snapshot`](crate::metrics::Snapshot) and encodes it here, off that loop; `/healthz`
//! answers while the process runs. Used by `turntop serve` and by `--metrics` next to the TUI.

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::{self, Format, ScrapeRequest, ScrapeRequests};

/// Scrapes waiting for the loop; more are refused (503) rather than queued without bound.
const PENDING_SCRAPES: usize = 8;

/// What `--metrics ADDR` binds, before the loop starts (so a bad address fails at once).
pub struct MetricsServer {
    listener: TcpListener,
    users: usize,
    requests: mpsc::Sender<ScrapeRequest>,
}

/// Bind `addr`; the loop answers scrapes from the returned receiver.
pub async fn bind(
    addr: SocketAddr,
    users: usize,
) -> std::io::Result<(MetricsServer, ScrapeRequests)> {
    let listener = TcpListener::bind(addr).await?;
    let (requests, rx) = mpsc::channel(PENDING_SCRAPES);
    Ok((
        MetricsServer {
            listener,
            users,
            requests,
        },
        rx,
    ))
}

impl MetricsServer {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve connections until the task is dropped.
    pub async fn run(self) {
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, then go on.
                    tracing::warn!(error = %e, "metrics: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let requests = self.requests.clone();
            let users = self.users;
            tokio::spawn(async move {
                let service = service_fn(move |req| respond(req, requests.clone(), users));
                // A client that never finishes its request head does not hold a task forever.
                if let Err(e) = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(std::time::Duration::from_secs(10))
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(%peer, error = %e, "metrics: connection ended");
                }
            });
        }
    }
}

fn text(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    response
}

async fn respond(
    req: Request<hyper::body::Incoming>,
    requests: mpsc::Sender<ScrapeRequest>,
    users: usize,
) -> Result<Response<Full<Bytes>>, Infallible> {
    const PLAIN: &str = "text/plain; charset=utf-8";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(text(
            StatusCode::METHOD_NOT_ALLOWED,
            PLAIN,
            "GET only\n".into(),
        ));
    }
    match req.uri().path() {
        "/metrics" => {
            let format = Format::from_accept(
                req.headers()
                    .get(header::ACCEPT)
                    .and_then(|v| v.to_str().ok()),
            );
            let (reply, answer) = oneshot::channel();
            if requests.try_send(ScrapeRequest { users, reply }).is_err() {
                return Ok(text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    PLAIN,
                    "too many scrapes at once\n".into(),
                ));
            }
            match answer.await {
                Ok(snapshot) => {
                    let body =
                        tokio::task::spawn_blocking(move || metrics::encode(snapshot, format))
                            .await
                            .unwrap_or_default();
                    Ok(text(StatusCode::OK, format.content_type(), body))
                }
                Err(_) => Ok(text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    PLAIN,
                    "turntop is stopping\n".into(),
                )),
            }
        }
        "/healthz" => Ok(text(StatusCode::OK, PLAIN, "ok\n".into())),
        "/" => Ok(text(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<html><body><h1>turntop</h1><a href=\"/metrics\">/metrics</a> \
             <a href=\"/healthz\">/healthz</a></body></html>\n"
                .into(),
        )),
        _ => Ok(text(StatusCode::NOT_FOUND, PLAIN, "not found\n".into())),
    }
}
