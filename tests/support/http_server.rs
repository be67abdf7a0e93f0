//! A real HTTP/1 server on 127.0.0.1:0 for the tests of `http` modules: each test scripts its
//! answers with a handler and reads what the server saw.
//!
//! - `Server::start(handler)` binds a fresh port and serves every connection (keep-alive) on the
//!   current tokio runtime; `handler(&Request)` gives the `Reply` (status, extra headers, body,
//!   optional delay before answering, optionally streamed in chunks without `content-length`).
//! - `Seen` counts accepted connections, requests, requests in flight and their maximum, and keeps
//!   when each request arrived and the last request's headers and body.
//! - Dropping the `Server` stops it: the accept loop and every connection task are aborted.
//!
//! Each test file includes it and uses what it needs of it.
#![allow(dead_code)]

use http_body_util::{BodyExt, Either, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// A request as the handler sees it.
#[derive(Clone, Debug)]
pub struct Request {
    /// 0 for the first request the server received, then 1, 2, …
    pub number: usize,
    pub method: String,
    /// The path and query.
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What the server answers.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    /// Headers beside `content-type: application/json` (which a header given here replaces).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Waited before answering.
    pub delay: Option<Duration>,
    /// Sent as chunks of this many bytes, without `content-length`.
    pub chunked: Option<usize>,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply { status, headers: Vec::new(), body: body.into(), delay: None, chunked: None }
    }

    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(200, body)
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = Some(delay);
        self
    }

    pub fn chunked(mut self, chunk: usize) -> Reply {
        self.chunked = Some(chunk.max(1));
        self
    }
}

/// What the server saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub connections: AtomicUsize,
    pub requests: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// When each request arrived (its head read), in arrival order.
    pub arrivals: Mutex<Vec<Instant>>,
    /// The last request received.
    pub last: Mutex<Option<Request>>,
}

impl Seen {
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }

    /// The last request received.
    pub fn last(&self) -> Request {
        self.last.lock().unwrap().clone().expect("the server received no request")
    }
}

/// Lowers the count of requests in flight when a request ends, answered or abandoned.
struct InFlight(Arc<Seen>);

impl InFlight {
    fn enter(seen: &Arc<Seen>) -> InFlight {
        let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        seen.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(seen.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;
type Body =
    Either<Full<Bytes>, StreamBody<futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>>>;

/// A running server; stops when dropped.
#[derive(Debug)]
pub struct Server {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    pub seen: Arc<Seen>,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Starts a server answering with `handler`, on the current tokio runtime.
    pub async fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Seen::default());
        let handler: Arc<Handler> = Arc::new(handler);
        let task = tokio::spawn(serve(listener, handler, seen.clone()));
        Server { base, seen, task }
    }

    /// The URL of `path` (`/score`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The accept loop. Connection tasks live in a `JoinSet` owned by this task, so aborting it
/// aborts them too.
async fn serve(listener: TcpListener, handler: Arc<Handler>, seen: Arc<Seen>) {
    let mut connections = JoinSet::new();
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
            // Reap finished connections as they end.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        seen.connections.fetch_add(1, Ordering::SeqCst);
        let _ = stream.set_nodelay(true);
        let (handler, seen) = (handler.clone(), seen.clone());
        connections.spawn(async move {
            let service = service_fn(move |request| answer(request, handler.clone(), seen.clone()));
            // A connection the client drops mid-request is its business: nothing to report.
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn answer(
    request: hyper::Request<Incoming>,
    handler: Arc<Handler>,
    seen: Arc<Seen>,
) -> Result<Response<Body>, Infallible> {
    let _in_flight = InFlight::enter(&seen);
    seen.arrivals.lock().unwrap().push(Instant::now());
    let number = seen.requests.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_string(), ToString::to_string);
    let request = Request { number, method: parts.method.to_string(), path, headers: parts.headers, body };
    *seen.last.lock().unwrap() = Some(request.clone());
    let reply = handler(&request);
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let body = match reply.chunked {
        None => Either::Left(Full::new(Bytes::from(reply.body))),
        Some(size) => {
            let frames: Vec<Result<Frame<Bytes>, Infallible>> =
                reply.body.chunks(size).map(|c| Ok(Frame::data(Bytes::copy_from_slice(c)))).collect();
            Either::Right(StreamBody::new(futures_util::stream::iter(frames)))
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in &reply.headers {
        headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
    }
    Ok(response)
}
