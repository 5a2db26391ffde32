//! The access log: one entry per answered request (Bolt routes, ASGI apps, static
//! files, health checks and every refusal Rust makes itself), made and formatted in
//! Rust, off the GIL. See docs/logging.md.

mod line;
mod redact;
pub mod request_id;
mod writer;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use http::{HeaderValue, Method, Version};
use pyo3::prelude::*;

pub use line::Entry;
pub use writer::{Format, Sink};

/// An access log, shared by every connection of an app.
pub struct AccessLog {
    writer: writer::Writer,
}

impl AccessLog {
    pub fn start(sink: Sink) -> std::io::Result<Arc<Self>> {
        Ok(Arc::new(AccessLog {
            writer: writer::Writer::start(sink)?,
        }))
    }

    /// The sink for `format`: Python's `emit` when given, else stderr.
    pub fn sink(format: Format, colour: bool, emit: Option<Py<PyAny>>) -> Sink {
        match emit {
            Some(emit) => Sink::Python { format, emit },
            None => Sink::Stderr { format, colour },
        }
    }

    /// The entry of a request being answered; written when it is dropped, that is
    /// when the response body is done (or the client went away).
    pub fn begin(
        self: &Arc<Self>,
        head: &http::request::Parts,
        client: Option<IpAddr>,
        request_id: Option<HeaderValue>,
    ) -> Box<Pending> {
        Box::new(Pending {
            log: self.clone(),
            started: Instant::now(),
            method: Some(head.method.clone()),
            path: head.uri.path().to_owned(),
            query: head.uri.query().map(redact::query),
            protocol: head.version,
            client,
            request_id,
            status: 0,
            bytes: 0,
        })
    }

    /// A request the HTTP/1.1 parser answered by itself (400, 431) before any
    /// service saw it: no method or path is known.
    pub fn refused(self: &Arc<Self>, status: u16, protocol: Version, client: Option<IpAddr>) {
        drop(Pending {
            log: self.clone(),
            started: Instant::now(),
            method: None,
            path: "-".to_owned(),
            query: None,
            protocol,
            client,
            request_id: None,
            status,
            bytes: 0,
        });
    }
}

/// A request whose response is on its way.
pub struct Pending {
    log: Arc<AccessLog>,
    started: Instant,
    method: Option<Method>,
    path: String,
    query: Option<String>,
    protocol: Version,
    client: Option<IpAddr>,
    request_id: Option<HeaderValue>,
    status: u16,
    bytes: u64,
}

impl Pending {
    pub fn answered(&mut self, status: http::StatusCode) {
        self.status = status.as_u16();
    }

    /// Body bytes handed to the connection.
    pub fn sent(&mut self, bytes: usize) {
        self.bytes += bytes as u64;
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.log.writer.send(Entry {
            time: SystemTime::now(),
            method: self.method.take(),
            path: std::mem::take(&mut self.path),
            query: self.query.take(),
            protocol: self.protocol,
            client: self.client,
            status: self.status,
            bytes: self.bytes,
            duration: self.started.elapsed(),
            request_id: self.request_id.take(),
        });
    }
}
