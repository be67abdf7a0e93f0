//! Whether the service behind a manifest entry answers: the readiness check of a server.
//!
//! Takes: an entry's kind. Gives: the address its calls go to (`Service`), for the kinds that
//! call a service over the network (`http`, `openai`, `kserve`), and `Service::answers`, which
//! opens a TCP connection to it within the entry's connect timeout. Workers (`process`) start on
//! their first call and models (`onnx`) are loaded when bound, so those have nothing to check.

use crate::manifest::{HttpSpec, Kind};
use std::time::Duration;

/// Where a module's service listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub host: String,
    pub port: u16,
    pub connect_timeout: Duration,
}

impl Service {
    /// The service of an entry of kind `kind`, if it calls one.
    pub fn of(kind: &Kind) -> Option<Service> {
        let http: &HttpSpec = match kind {
            Kind::Http(spec) => spec,
            Kind::OpenAi(spec) => &spec.http,
            Kind::KServe(spec) => &spec.http,
            Kind::Process(_) | Kind::Onnx(_) => return None,
        };
        let host = http.url.host()?.trim_start_matches('[').trim_end_matches(']').to_string();
        let port = http.url.port_u16().unwrap_or(80);
        Some(Service { host, port, connect_timeout: http.connect_timeout })
    }

    /// Whether a TCP connection to the service opens; why not, if it does not.
    pub async fn answers(&self) -> Result<(), String> {
        let connecting = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
        match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("{}:{}: {e}", self.host, self.port)),
            Err(_) => Err(format!("{}:{}: no connection within {:?}", self.host, self.port, self.connect_timeout)),
        }
    }
}
