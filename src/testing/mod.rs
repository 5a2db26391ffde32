//! The test client's Rust side: requests and WebSockets served in process, through
//! the very same service as a real connection, without a socket. It uses [`App`];
//! nothing outside the test client uses it.

mod body;
mod socket;

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use parking_lot::Mutex;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use pyo3::IntoPyObjectExt;

use crate::app::App;
use crate::conn::{ConnInfo, Scheme};
use crate::python::complete_later;
use crate::service::{self, AppInner};
use crate::websocket::{InProcessSocket, InProcessUpgrade};
pub use body::TestBody;
pub use socket::TestWebSocket;

/// An [`App`] called in process: what the test client sends its requests to.
#[pyclass(frozen, module = "django_bolt._core")]
pub struct InProcess {
    inner: Arc<AppInner>,
}

#[pymethods]
impl InProcess {
    #[new]
    fn new(app: &App) -> Self {
        InProcess {
            inner: app.inner.clone(),
        }
    }

    /// Serve one request in process. Returns an asyncio future of
    /// `(status, [(name, value), ...], TestBody)`: the head as soon as it is sent, the
    /// body read from the `TestBody` as it is produced.
    #[pyo3(signature = (method, target, headers, body, client=("127.0.0.1".to_string(), 50000)))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        target: &str,
        headers: Vec<(String, Vec<u8>)>,
        body: Vec<u8>,
        client: (String, u16),
    ) -> PyResult<Bound<'py, PyAny>> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| PyValueError::new_err("invalid method"))?;
        let request = build_request(method, target, &headers, body)?;
        let conn = test_connection(client);
        let app = self.inner.clone();
        let bridge = self.inner.bridge.clone();
        complete_later(
            py,
            &self.inner.bridge,
            async move { service::handle(app, conn, request).await.into_parts() },
            |py, (head, body)| {
                let body = Bound::new(py, TestBody::new(bridge, body))?;
                (head.status.as_u16(), head_list(py, &head)?, body).into_bound_py_any(py)
            },
        )
    }

    /// Open a WebSocket in process: the handshake goes through the same service as a
    /// real upgrade, and the frames through a pipe. Returns an asyncio future of
    /// `((status, [(name, value), ...], body), TestWebSocket or None)`: the socket when
    /// the handler accepted (101), None with the refusal otherwise.
    #[pyo3(signature = (target, headers, client=("127.0.0.1".to_string(), 50000)))]
    fn websocket<'py>(
        &self,
        py: Python<'py>,
        target: &str,
        headers: Vec<(String, Vec<u8>)>,
        client: (String, u16),
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut headers = headers;
        for (name, value) in [
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-version", "13"),
            // Any 16 bytes in base64 will do: the client end does not check the accept.
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ] {
            headers.push((name.to_owned(), value.as_bytes().to_vec()));
        }
        let mut request = build_request(Method::GET, target, &headers, Vec::new())?;
        let (server_end, client_end) = tokio::io::duplex(PIPE_BUFFER);
        let (app_done, app_done_rx) = tokio::sync::oneshot::channel();
        let socket = InProcessSocket {
            stream: server_end,
            app_done: Some(app_done),
        };
        request
            .extensions_mut()
            .insert(InProcessUpgrade(Arc::new(Mutex::new(Some(socket)))));
        let conn = test_connection(client);
        let app = self.inner.clone();
        let bridge = self.inner.bridge.clone();
        complete_later(
            py,
            &self.inner.bridge,
            async move {
                let response = service::handle(app, conn, request).await;
                let (head, body) = response.into_parts();
                let body = body
                    .collect()
                    .await
                    .map(|c| c.to_bytes())
                    .unwrap_or_default();
                let socket = match head.status {
                    StatusCode::SWITCHING_PROTOCOLS => {
                        Some(TestWebSocket::connect(bridge, client_end, app_done_rx).await)
                    }
                    _ => None,
                };
                (head, body, socket)
            },
            |py, (head, body, socket)| {
                let socket = socket.map(|s| Bound::new(py, s)).transpose()?;
                (wire(py, &head, &body)?, socket).into_bound_py_any(py)
            },
        )
    }
}

/// Bytes the in-process WebSocket pipe holds each way before the writer waits.
const PIPE_BUFFER: usize = 64 * 1024;

fn build_request(
    method: Method,
    target: &str,
    headers: &[(String, Vec<u8>)],
    body: Vec<u8>,
) -> PyResult<Request<Full<Bytes>>> {
    let headers = crate::python::wire::header_map(headers.iter().map(|(n, v)| Ok((n, v))))?;
    let mut request = Request::builder()
        .method(method)
        .uri(target)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    *request.headers_mut() = headers;
    Ok(request)
}

/// The connection a test request seems to come in on.
fn test_connection(client: (String, u16)) -> Arc<ConnInfo> {
    Arc::new(ConnInfo::new(
        format!("{}:{}", client.0, client.1).parse().ok(),
        "127.0.0.1:80".parse().ok(),
        Scheme::Http,
        None,
    ))
}

fn wire<'py>(
    py: Python<'py>,
    head: &http::response::Parts,
    body: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    (
        head.status.as_u16(),
        head_list(py, head)?,
        PyBytes::new(py, body),
    )
        .into_pyobject(py)
        .map(|t| t.into_any())
}

/// The response's headers as `[(name, value bytes), ...]`.
fn head_list<'py>(py: Python<'py>, head: &http::response::Parts) -> PyResult<Bound<'py, PyList>> {
    let headers = PyList::empty(py);
    for (name, value) in &head.headers {
        headers.append((name.as_str(), PyBytes::new(py, value.as_bytes())))?;
    }
    Ok(headers)
}
