//! The HTTP/1 client of `http` modules: one pool of keep-alive connections per host.
//!
//! Takes: a request (method, URL, headers, body) and how much of the answer to read. Gives: the answer's
//! status, headers and body (read to its end, or stopped at the limit), or why there is none.
//! Guarantees: a connection goes back to its pool the moment its answer has been read, before the
//! caller sees the answer — so a host never has more connections open than requests were in
//! flight at once (`concurrency: N` means at most N connections). A connection left mid-answer
//! (a body over the limit, a caller that stopped waiting) is closed, never reused. A request that
//! a pooled connection could not take (the server had closed it) is sent again on a new one.
//! No proxy is consulted: modules name the service they mean.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HOST, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::Duration;
use tokio::net::TcpStream;

type Sender = SendRequest<Full<Bytes>>;

/// What is given each piece of an answer's body as it arrives.
pub type OnData<'a> = &'a mut (dyn FnMut(&[u8]) + Send);

/// What a request got.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Whether the body was longer than the limit (and is cut there).
    pub over: bool,
}

/// Why a request got no answer.
#[derive(Debug)]
pub enum Failure {
    Connect(String),
    Request(String),
}

#[derive(Debug)]
pub struct Client {
    connect_timeout: Duration,
    /// Idle connections by host and port.
    idle: Mutex<HashMap<(String, u16), Vec<Sender>>>,
}

impl Client {
    pub fn new(connect_timeout: Duration) -> Client {
        Client { connect_timeout, idle: Mutex::new(HashMap::new()) }
    }

    /// Sends `method` with `body` to `url` (plain HTTP) and reads at most `limit` bytes of the
    /// answer, giving `on_data` each piece of its body as it arrives.
    pub async fn send(
        &self,
        method: Method,
        url: &Uri,
        headers: &HeaderMap,
        body: Bytes,
        limit: u64,
        mut on_data: Option<OnData<'_>>,
    ) -> Result<Answer, Failure> {
        let host = url.host().unwrap_or_default().to_string();
        let key = (host, url.port_u16().unwrap_or(80));
        let target = url.path_and_query().map_or("/", |p| p.as_str());
        let request = Request::builder().method(method).uri(target).body(Full::new(body));
        let mut request = request.map_err(|e| Failure::Request(e.to_string()))?;
        *request.headers_mut() = headers.clone();
        if let Some(authority) = url.authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()) {
            request.headers_mut().insert(HOST, authority);
        }
        let (mut sender, mut reused) = match self.checkout(&key).await {
            Some(sender) => (sender, true),
            None => (self.connect(&key).await?, false),
        };
        let response = loop {
            match sender.try_send_request(request).await {
                Ok(response) => break response,
                // The server closed a pooled connection before it took the request: a new one.
                Err(mut e) if reused && (e.message().is_some() || e.error().is_incomplete_message()) => {
                    request = match e.take_message() {
                        Some(request) => request,
                        None => return Err(Failure::Request(cause(e.error()))),
                    };
                    sender = self.connect(&key).await?;
                    reused = false;
                }
                Err(e) => return Err(Failure::Request(cause(e.error()))),
            }
        };
        let (parts, mut incoming) = response.into_parts();
        let mut body = Vec::new();
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| Failure::Request(cause(&e)))?;
            if let Ok(data) = frame.into_data() {
                if (body.len() + data.len()) as u64 > limit {
                    // Mid-answer: the connection cannot be reused, and is dropped with `sender`.
                    let room = (limit as usize).saturating_sub(body.len());
                    body.extend_from_slice(&data[..room.min(data.len())]);
                    return Ok(Answer { status: parts.status, headers: parts.headers, body, over: true });
                }
                if let Some(on_data) = on_data.as_mut() {
                    on_data(&data);
                }
                body.extend_from_slice(&data);
            }
        }
        self.checkin(key, sender);
        Ok(Answer { status: parts.status, headers: parts.headers, body, over: false })
    }

    /// An idle connection to `key` that is still open, ready for a request (one that has just
    /// given back its answer may take a moment to be).
    async fn checkout(&self, key: &(String, u16)) -> Option<Sender> {
        loop {
            let mut sender = self.idle.lock().get_mut(key)?.pop()?;
            if !sender.is_closed() && sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    fn checkin(&self, key: (String, u16), sender: Sender) {
        if !sender.is_closed() {
            self.idle.lock().entry(key).or_default().push(sender);
        }
    }

    async fn connect(&self, (host, port): &(String, u16)) -> Result<Sender, Failure> {
        let connecting = TcpStream::connect((host.as_str(), *port));
        let stream = match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(Failure::Connect(e.to_string())),
            Err(_) => {
                return Err(Failure::Connect(format!("no connection within {}ms", self.connect_timeout.as_millis())));
            }
        };
        let _ = stream.set_nodelay(true);
        let (sender, connection) =
            http1::handshake(TokioIo::new(stream)).await.map_err(|e| Failure::Connect(cause(&e)))?;
        // Drives the connection until it closes; its errors reach the request that meets them.
        tokio::spawn(connection);
        Ok(sender)
    }
}

/// An error and its causes, innermost last: `connection closed before message completed`.
fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut inner = e.source();
    while let Some(e) = inner {
        text.push_str(": ");
        text.push_str(&e.to_string());
        inner = e.source();
    }
    text
}
