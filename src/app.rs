//! `App`: what is served (route table, ASGI app, limits) bound to a bridge. Servers
//! serve it; the test client calls the very same service in process, without a socket
//! (`crate::testing`).

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::access_log::AccessLog;
use crate::admission::Queue;
use crate::asgi::AsgiApp;
use crate::fastpath::allowed_hosts::AllowedHosts;
use crate::fastpath::RouteTable;
use crate::files::mounts::StaticFiles;
use crate::health::Health;
use crate::proxy::TrustedProxies;
use crate::python::Bridge;
use crate::request_body::Pace;
use crate::service::{AppInner, Limits};

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
        let asgi = asgi.map(|app| Arc::new(AsgiApp::new(app, state, root_path)));
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
                lifecycle: Default::default(),
            }),
        })
    }
}
