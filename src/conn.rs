//! What the connection, not the request, tells a request: the addresses, the scheme
//! and TLS. The server makes one per connection (the proxy code a corrected copy, from
//! what a trusted proxy says); the fast path and the ASGI adapter read it.

use std::net::SocketAddr;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::tls::TlsInfo;

/// The scheme a request came in with: plain HTTP unless TLS (or a trusted proxy's
/// word) makes it https.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scheme {
    #[default]
    Http,
    Https,
}

impl Scheme {
    /// `http` or `https`, as an HTTP scope names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// `ws` or `wss`, as a WebSocket scope and a WebSocket URL name it.
    pub fn websocket(self) -> &'static str {
        match self {
            Scheme::Http => "ws",
            Scheme::Https => "wss",
        }
    }
}

pub struct ConnInfo {
    pub client: Option<SocketAddr>,
    pub server: Option<SocketAddr>,
    pub scheme: Scheme,
    /// Set on TLS connections (TCP or QUIC).
    pub tls: Option<Arc<TlsInfo>>,
    /// Made on the first scope of the connection; the later ones reuse them.
    python: PyOnceLock<ConnObjects>,
}

/// A connection's part of every scope, as Python objects.
pub struct ConnObjects {
    /// `client` and `server`: tuples (or None), which no app can change, so shared.
    pub client: Py<PyAny>,
    pub server: Py<PyAny>,
    /// The `tls` extension; each scope gets a copy of this dict.
    pub tls: Option<Py<PyDict>>,
}

impl ConnInfo {
    pub fn new(
        client: Option<SocketAddr>,
        server: Option<SocketAddr>,
        scheme: Scheme,
        tls: Option<Arc<TlsInfo>>,
    ) -> Self {
        ConnInfo {
            client,
            server,
            scheme,
            tls,
            python: PyOnceLock::new(),
        }
    }

    /// The connection as Python objects, made by `make` on the first call.
    pub fn python<F>(&self, py: Python<'_>, make: F) -> PyResult<&ConnObjects>
    where
        F: FnOnce(&ConnInfo) -> PyResult<ConnObjects>,
    {
        self.python.get_or_try_init(py, || make(self))
    }
}
