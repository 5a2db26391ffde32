//! `App`: what is served (route table, ASGI app, limits) bound to a bridge. Servers
//! serve it; the test client calls the very same service in process, without a socket.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::asgi::{AsgiApp, ConnInfo};
use crate::fastpath::RouteTable;
use crate::python::Bridge;
use crate::server::runtime;
use crate::service::{self, AppInner, Limits};

#[pyclass(frozen, module = "django_bolt._core")]
pub struct App {
    pub inner: Arc<AppInner>,
}

#[pymethods]
impl App {
    #[new]
    #[pyo3(signature = (bridge, routes=None, asgi=None, *, state=None, root_path=String::new(),
        max_body_size=10*1024*1024, max_pending=4096, forwarded_allow_ips="", response_timeout=0.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        bridge: &Bridge,
        routes: Option<Py<RouteTable>>,
        asgi: Option<Py<PyAny>>,
        state: Option<Py<PyDict>>,
        root_path: String,
        max_body_size: usize,
        max_pending: usize,
        forwarded_allow_ips: &str,
        response_timeout: f64,
    ) -> PyResult<Self> {
        let response_timeout = match response_timeout {
            t if t > 0.0 => Some(std::time::Duration::try_from_secs_f64(t).map_err(|_| {
                PyValueError::new_err("response_timeout must be a number of seconds")
            })?),
            _ => None,
        };
        let proxies = forwarded_allow_ips
            .parse()
            .map_err(|e| PyValueError::new_err(format!("--forwarded-allow-ips: {e}")))?;
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
                    max_pending,
                    response_timeout,
                },
                pending: Default::default(),
                proxies,
            }),
        })
    }

    /// Serve one request in process. Returns an asyncio future of
    /// `(status, [(name, value), ...], body)`.
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
        let lp = self
            .inner
            .bridge
            .event_loop()
            .ok_or_else(|| PyRuntimeError::new_err("no event loop is attached"))?;
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| PyValueError::new_err("invalid method"))?;
        let mut request = Request::builder().method(method).uri(target);
        for (name, value) in &headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| PyValueError::new_err(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_bytes(value)
                .map_err(|_| PyValueError::new_err(format!("invalid value for header {name}")))?;
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let client = format!("{}:{}", client.0, client.1).parse().ok();
        let conn = Arc::new(ConnInfo {
            client,
            server: "127.0.0.1:80".parse().ok(),
            scheme: "http",
            tls: None,
        });
        let future = lp.create_future(py)?;
        let done = future.clone().unbind();
        let app = self.inner.clone();
        runtime().spawn(async move {
            let response = service::handle(app.clone(), conn, request).await;
            let (head, body) = response.into_parts();
            let body = body.collect().await.map(|c| c.to_bytes());
            app.bridge.submit(Box::new(move |py, _| {
                let outcome = match body {
                    Ok(body) => wire(py, &head, &body),
                    Err(err) => Err(PyRuntimeError::new_err(format!(
                        "the response body broke off: {err}"
                    ))),
                };
                crate::python::settle(done.bind(py), outcome);
            }));
        });
        Ok(future)
    }
}

fn wire<'py>(
    py: Python<'py>,
    head: &http::response::Parts,
    body: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    let headers = PyList::empty(py);
    for (name, value) in &head.headers {
        headers.append((name.as_str(), PyBytes::new(py, value.as_bytes())))?;
    }
    (head.status.as_u16(), headers, PyBytes::new(py, body))
        .into_pyobject(py)
        .map(|t| t.into_any())
}
