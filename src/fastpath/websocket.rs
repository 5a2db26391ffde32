//! Bolt `@api.websocket` routes: parameters are read and coerced in Rust before the
//! handshake (a bad one is a 422 and nothing runs), then the handler runs as an
//! [`Endpoint`] of the same WebSocket session as the ASGI adapter's, through a Python
//! `WebSocket` object.

use std::sync::Arc;

use bytes::Bytes;
use pyo3::prelude::*;

use super::description::{Described, WebSocketDescription};
use super::params::Value;
use super::request::Request;
use super::route::Common;
use crate::conn::ConnInfo;
use crate::python::EventLoop;
use crate::websocket::Endpoint;

/// One `@api.websocket` route.
pub struct WebSocketRoute {
    /// Name, path, parameters, auth and rate limit (each handshake takes a token).
    pub common: Common,
    /// `entry(channel, request, client, url, kwargs)`: the coroutine that wraps the
    /// channel in a `WebSocket` and runs the handler.
    entry: Py<PyAny>,
}

impl WebSocketRoute {
    pub fn from_description(
        py: Python<'_>,
        desc: Described<WebSocketDescription>,
    ) -> Result<Self, String> {
        let (common, form) = Common::from_description(py, desc.common)?;
        let name = &common.name;
        if !form.fields.is_empty() || !form.files.is_empty() {
            return Err(format!("{name}: a WebSocket route reads no form"));
        }
        let entry = desc.kind.handler;
        if !entry.bind(py).is_callable() {
            return Err(format!(
                "{name}: a WebSocket route needs a callable handler"
            ));
        }
        Ok(WebSocketRoute { common, entry })
    }
}

/// `route`'s handler as a WebSocket session's endpoint, with the parameters read from
/// the handshake request: it accepts or refuses the handshake.
pub struct BoltEndpoint {
    pub route: Arc<WebSocketRoute>,
    pub values: Vec<Value>,
    pub conn: Arc<ConnInfo>,
}

impl Endpoint for BoltEndpoint {
    fn name(&self) -> String {
        format!("WebSocket route {}", self.route.common.name)
    }

    fn start<'py>(
        self,
        py: Python<'py>,
        lp: &EventLoop,
        head: http::request::Parts,
        channel: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let BoltEndpoint {
            route,
            values,
            conn,
        } = self;
        let common = &route.common;
        let kwargs = super::params::kwargs(py, &common.structs, common.params.iter().zip(values))?;
        let url = url(&conn, &head);
        let request = Request::new(head, Bytes::new());
        let client = conn.client.map(|a| (a.ip().to_string(), a.port()));
        let entry = route.entry.bind(py);
        let coro = entry.call1((channel, request, client, url, kwargs))?;
        lp.create_task(py, &coro, None)
    }
}

/// `ws://host/path?query` (`wss` over TLS); the host is HTTP/2's `:authority` or Host.
fn url(conn: &ConnInfo, head: &http::request::Parts) -> String {
    let scheme = conn.scheme.websocket();
    let host = head
        .uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| head.headers.get(http::header::HOST)?.to_str().ok())
        .unwrap_or_default();
    let target = head.uri.path_and_query().map_or("/", |p| p.as_str());
    format!("{scheme}://{host}{target}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::Scheme;

    fn head(request: http::Request<()>) -> http::request::Parts {
        request.into_parts().0
    }

    fn conn(scheme: Scheme) -> ConnInfo {
        ConnInfo::new(None, None, scheme, None)
    }

    #[test]
    fn url_uses_the_host_header_or_the_authority() {
        let h1 = head(
            http::Request::get("/ws/chat?room=a")
                .header("host", "example.com:8000")
                .body(())
                .unwrap(),
        );
        assert_eq!(
            url(&conn(Scheme::Http), &h1),
            "ws://example.com:8000/ws/chat?room=a"
        );
        let h2 = head(
            http::Request::connect("https://api.example.com/ws")
                .body(())
                .unwrap(),
        );
        assert_eq!(url(&conn(Scheme::Https), &h2), "wss://api.example.com/ws");
    }
}
