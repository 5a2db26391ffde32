//! `App`: what is served (route table, ASGI app, limits) bound to a bridge. Servers
//! serve it; the test client calls the very same service in process, without a socket.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use pyo3::IntoPyObjectExt;

use crate::access_log::AccessLog;
use crate::admission::Queue;
use crate::asgi::websocket::{InProcessSocket, InProcessUpgrade};
use crate::asgi::{AsgiApp, ConnInfo};
use crate::fastpath::allowed_hosts::AllowedHosts;
use crate::fastpath::RouteTable;
use crate::files::mounts::StaticFiles;
use crate::health::Health;
use crate::proxy::TrustedProxies;
use crate::python::{complete_later, Bridge};
use crate::request_body::Pace;
use crate::service::{self, AppInner, Limits};
use crate::test_body::TestBody;
use crate::test_socket::TestWebSocket;
use parking_lot::Mutex;

#[pyclass(frozen, module = "django_bolt._core")]
pub struct App {
    pub inner: Arc<AppInner>,
}

#[pymethods]
impl App {
    #[new]
    #[pyo3(signature = (bridge, routes=None, asgi=None, *, state=None, root_path=String::new(),
        max_body_size=10*1024*1024, max_pending=4096, max_pending_per_client=1024,
        body_timeout=30.0, min_body_rate=1024, forwarded_allow_ips="",
        proxy_headers="x-forwarded", forwarded_host=false, allowed_hosts=None,
        response_timeout=0.0, static_files=None, health_path="", access_log=None,
        access_log_colour=false, access_logger=None, request_id=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        bridge: &Bridge,
        routes: Option<Py<RouteTable>>,
        asgi: Option<Py<PyAny>>,
        state: Option<Py<PyDict>>,
        root_path: String,
        max_body_size: usize,
        max_pending: usize,
        max_pending_per_client: usize,
        body_timeout: f64,
        min_body_rate: u64,
        forwarded_allow_ips: &str,
        proxy_headers: &str,
        forwarded_host: bool,
        allowed_hosts: Option<Vec<String>>,
        response_timeout: f64,
        static_files: Option<Py<StaticFiles>>,
        health_path: &str,
        access_log: Option<&str>,
        access_log_colour: bool,
        access_logger: Option<Py<PyAny>>,
        request_id: bool,
    ) -> PyResult<Self> {
        let access_log = match access_log {
            Some(format) => {
                let format = format.parse().map_err(PyValueError::new_err)?;
                let sink = AccessLog::sink(format, access_log_colour, access_logger);
                Some(AccessLog::start(sink)?)
            }
            None => None,
        };
        let health = Health::at(health_path).map_err(PyValueError::new_err)?;
        let body_pace = Pace {
            stall: Duration::try_from_secs_f64(body_timeout)
                .ok()
                .filter(|t| !t.is_zero())
                .ok_or_else(|| {
                    PyValueError::new_err("body_timeout must be a number of seconds > 0")
                })?,
            min_rate: min_body_rate,
        };
        let response_timeout = match response_timeout {
            t if t > 0.0 => Some(Duration::try_from_secs_f64(t).map_err(|_| {
                PyValueError::new_err("response_timeout must be a number of seconds")
            })?),
            _ => None,
        };
        let proxies = forwarded_allow_ips
            .parse::<TrustedProxies>()
            .map_err(|e| PyValueError::new_err(format!("--forwarded-allow-ips: {e}")))?;
        let proxy_headers = proxy_headers
            .parse()
            .map_err(|e| PyValueError::new_err(format!("--proxy-headers: {e}")))?;
        let proxies = proxies.reading(proxy_headers, forwarded_host);
        let asgi = asgi.map(|app| {
            Arc::new(AsgiApp {
                app,
                state,
                root_path,
            })
        });
        Ok(App {
            inner: Arc::new(AppInner {
                bridge: bridge.inner.clone(),
                routes,
                asgi,
                limits: Limits {
                    max_body_size,
                    body_pace,
                    response_timeout,
                },
                queue: Queue::new(max_pending, max_pending_per_client),
                proxies,
                allowed_hosts: allowed_hosts.map(AllowedHosts::new),
                static_files,
                health,
                access_log,
                request_ids: request_id,
            }),
        })
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
    let mut request = Request::builder().method(method).uri(target);
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| PyValueError::new_err(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_bytes(value)
            .map_err(|_| PyValueError::new_err(format!("invalid value for header {name}")))?;
        request = request.header(name, value);
    }
    request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The connection a test request seems to come in on.
fn test_connection(client: (String, u16)) -> Arc<ConnInfo> {
    Arc::new(ConnInfo::new(
        format!("{}:{}", client.0, client.1).parse().ok(),
        "127.0.0.1:80".parse().ok(),
        "http",
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
