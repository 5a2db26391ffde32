//! ASGI connection scopes (`http` and `websocket`), built on the loop thread from the
//! request's head.

use std::net::SocketAddr;

use crate::conn::{ConnInfo, ConnObjects, Scheme};
use crate::tls::TlsInfo;

use http::Version;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

/// The connection's part of every scope, made on its first scope.
fn conn_objects(py: Python<'_>, conn: &ConnInfo) -> PyResult<ConnObjects> {
    Ok(ConnObjects {
        client: address(py, conn.client)?.unbind(),
        server: address(py, conn.server)?.unbind(),
        tls: match &conn.tls {
            Some(tls) => Some(tls_extension(py, tls)?.unbind()),
            None => None,
        },
    })
}

/// The ASGI application served for requests no Bolt route takes.
pub struct AsgiApp {
    pub app: Py<PyAny>,
    /// Lifespan state: each request gets a shallow copy in `scope["state"]`.
    pub state: Option<Py<PyDict>>,
    pub root_path: String,
    /// A scope per protocol holding every key, made on the first request: each
    /// request's scope is a copy of it with the request's values put in.
    templates: [PyOnceLock<Py<PyDict>>; 2],
}

impl AsgiApp {
    pub fn new(app: Py<PyAny>, state: Option<Py<PyDict>>, root_path: String) -> Self {
        AsgiApp {
            app,
            state,
            root_path,
            templates: [PyOnceLock::new(), PyOnceLock::new()],
        }
    }
}

fn http_version(py: Python<'_>, version: Version) -> &Bound<'_, PyString> {
    match version {
        Version::HTTP_10 => intern!(py, "1.0"),
        Version::HTTP_2 => intern!(py, "2"),
        Version::HTTP_3 => intern!(py, "3"),
        _ => intern!(py, "1.1"),
    }
}

/// The method as a str: the common ones made once, not looked up in the interned
/// strings on every request.
fn method<'py>(py: Python<'py>, method: &http::Method) -> Bound<'py, PyString> {
    let common = match *method {
        http::Method::GET => intern!(py, "GET"),
        http::Method::POST => intern!(py, "POST"),
        http::Method::PUT => intern!(py, "PUT"),
        http::Method::PATCH => intern!(py, "PATCH"),
        http::Method::DELETE => intern!(py, "DELETE"),
        http::Method::HEAD => intern!(py, "HEAD"),
        http::Method::OPTIONS => intern!(py, "OPTIONS"),
        _ => return PyString::new(py, method.as_str()),
    };
    common.clone()
}

fn address<'py>(py: Python<'py>, addr: Option<SocketAddr>) -> PyResult<Bound<'py, PyAny>> {
    match addr {
        Some(addr) => Ok(PyTuple::new(
            py,
            [
                addr.ip().to_string().into_pyobject(py)?.into_any(),
                addr.port().into_pyobject(py)?.into_any(),
            ],
        )?
        .into_any()),
        None => Ok(py.None().into_bound(py)),
    }
}

/// Which ASGI protocol a scope is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    WebSocket,
}

/// The scope of a request: a fresh dict (apps may change it), copied from the app's
/// template for `protocol` with the request's own values put in. A copy clones the
/// template's hash table in one go and every key is already in it, so nothing is
/// resized and the keys keep the template's order. The template is the app's, not the
/// connection's: behind a trusted proxy each request has its own connection info.
pub fn connection_scope<'py>(
    py: Python<'py>,
    protocol: Protocol,
    head: &http::request::Parts,
    conn: &ConnInfo,
    app: &AsgiApp,
) -> PyResult<Bound<'py, PyDict>> {
    let objects = conn.python(py, |conn| conn_objects(py, conn))?;
    let template = app.templates[protocol as usize]
        .get_or_try_init(py, || template(py, protocol, app).map(Bound::unbind))?;
    let scope = template.bind(py).copy()?;
    // Made once each: what `Scheme::as_str` and `Scheme::websocket` say.
    let scheme = match (protocol, conn.scheme) {
        (Protocol::Http, Scheme::Http) => intern!(py, "http"),
        (Protocol::Http, Scheme::Https) => intern!(py, "https"),
        (Protocol::WebSocket, Scheme::Http) => intern!(py, "ws"),
        (Protocol::WebSocket, Scheme::Https) => intern!(py, "wss"),
    };
    scope.set_item(intern!(py, "asgi"), asgi(py)?)?;
    scope.set_item(intern!(py, "http_version"), http_version(py, head.version))?;
    let extensions = PyDict::new(py);
    match protocol {
        Protocol::Http => {
            scope.set_item(intern!(py, "method"), method(py, &head.method))?;
            extensions.set_item(intern!(py, "http.response.trailers"), PyDict::new(py))?;
            extensions.set_item(intern!(py, "http.response.pathsend"), PyDict::new(py))?;
            if let Some(tls) = &objects.tls {
                extensions.set_item(intern!(py, "tls"), tls.bind(py).copy()?)?;
            }
        }
        Protocol::WebSocket => {
            let offered = head
                .headers
                .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|p| !p.is_empty());
            scope.set_item(intern!(py, "subprotocols"), PyList::new(py, offered)?)?;
            extensions.set_item(intern!(py, "websocket.http.response"), PyDict::new(py))?;
        }
    }
    scope.set_item(intern!(py, "extensions"), extensions)?;
    scope.set_item(intern!(py, "scheme"), scheme)?;
    let raw_path = head.uri.path();
    let path = percent_encoding::percent_decode_str(raw_path).decode_utf8_lossy();
    scope.set_item(intern!(py, "path"), path.as_ref())?;
    scope.set_item(
        intern!(py, "raw_path"),
        PyBytes::new(py, raw_path.as_bytes()),
    )?;
    let query = head.uri.query().unwrap_or("");
    scope.set_item(
        intern!(py, "query_string"),
        PyBytes::new(py, query.as_bytes()),
    )?;
    scope.set_item(intern!(py, "headers"), headers(py, head)?)?;
    scope.set_item(intern!(py, "client"), objects.client.bind(py))?;
    scope.set_item(intern!(py, "server"), objects.server.bind(py))?;
    if let Some(state) = &app.state {
        scope.set_item(intern!(py, "state"), state.bind(py).copy()?)?;
    }
    Ok(scope)
}

/// Every key of a `protocol` scope, in the order apps have always seen them, with the
/// values the app fixes and None where each request puts its own.
fn template<'py>(
    py: Python<'py>,
    protocol: Protocol,
    app: &AsgiApp,
) -> PyResult<Bound<'py, PyDict>> {
    let (kind, own) = match protocol {
        Protocol::Http => ("http", intern!(py, "method")),
        Protocol::WebSocket => ("websocket", intern!(py, "subprotocols")),
    };
    let scope = PyDict::new(py);
    let unset = py.None();
    scope.set_item(intern!(py, "type"), PyString::intern(py, kind))?;
    scope.set_item(intern!(py, "asgi"), &unset)?;
    scope.set_item(intern!(py, "http_version"), &unset)?;
    scope.set_item(own, &unset)?;
    scope.set_item(intern!(py, "extensions"), &unset)?;
    scope.set_item(intern!(py, "scheme"), &unset)?;
    scope.set_item(intern!(py, "path"), &unset)?;
    scope.set_item(intern!(py, "raw_path"), &unset)?;
    scope.set_item(intern!(py, "root_path"), app.root_path.as_str())?;
    scope.set_item(intern!(py, "query_string"), &unset)?;
    scope.set_item(intern!(py, "headers"), &unset)?;
    scope.set_item(intern!(py, "client"), &unset)?;
    scope.set_item(intern!(py, "server"), &unset)?;
    if app.state.is_some() {
        scope.set_item(intern!(py, "state"), &unset)?;
    }
    Ok(scope)
}

/// A fresh `scope["asgi"]`, copied from one made once.
fn asgi(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    static ASGI: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let asgi = ASGI.get_or_try_init(py, || {
        let asgi = PyDict::new(py);
        asgi.set_item(intern!(py, "version"), intern!(py, "3.0"))?;
        asgi.set_item(intern!(py, "spec_version"), intern!(py, "2.4"))?;
        PyResult::Ok(asgi.unbind())
    })?;
    asgi.bind(py).copy()
}

/// `scope["headers"]`: (name, value) bytes pairs, `host` first when the request
/// carries it as the `:authority` pseudo-header (HTTP/2 and HTTP/3), where ASGI apps
/// do not look.
fn headers<'py>(py: Python<'py>, head: &http::request::Parts) -> PyResult<Bound<'py, PyList>> {
    let authority = head
        .uri
        .authority()
        .filter(|_| !head.headers.contains_key(http::header::HOST))
        .map(|authority| (bytes_header_name(py, "host"), authority.as_str().as_bytes()));
    let fields = head
        .headers
        .iter()
        .map(|(name, value)| (bytes_header_name(py, name.as_str()), value.as_bytes()));
    let pairs: Vec<_> = authority
        .into_iter()
        .chain(fields)
        .map(|(name, value)| {
            PyTuple::new(py, [name.into_any(), PyBytes::new(py, value).into_any()])
        })
        .collect::<PyResult<_>>()?;
    PyList::new(py, pairs)
}

/// A header name as bytes: the common ones made once and shared (bytes cannot change).
fn bytes_header_name<'py>(py: Python<'py>, name: &str) -> Bound<'py, PyBytes> {
    macro_rules! shared {
        ($($common:literal),* $(,)?) => {
            match name {
                $($common => {
                    static NAME: PyOnceLock<Py<PyBytes>> = PyOnceLock::new();
                    NAME.get_or_init(py, || PyBytes::new(py, $common.as_bytes()).unbind())
                        .bind(py)
                        .clone()
                })*
                _ => PyBytes::new(py, name.as_bytes()),
            }
        };
    }
    shared!(
        "host",
        "user-agent",
        "accept",
        "accept-encoding",
        "accept-language",
        "connection",
        "content-type",
        "content-length",
        "cookie",
        "authorization",
        "referer",
        "origin",
        "cache-control",
        "pragma",
        "upgrade",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-request-id",
        "if-none-match",
        "if-modified-since",
        "sec-fetch-mode",
        "sec-fetch-site",
        "sec-fetch-dest",
    )
}

/// The ASGI `tls` extension: versions and suites as integers, certificates as PEM.
fn tls_extension<'py>(py: Python<'py>, tls: &TlsInfo) -> PyResult<Bound<'py, PyDict>> {
    use base64::Engine;
    let pem = |der: &[u8]| {
        let encoded = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = encoded
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    };
    let extension = PyDict::new(py);
    extension.set_item("server_cert", py.None())?;
    // A tuple: the copies each scope gets share it.
    let chain: Vec<String> = tls.client_chain.iter().map(|cert| pem(cert)).collect();
    extension.set_item("client_cert_chain", PyTuple::new(py, chain)?)?;
    extension.set_item("client_cert_name", py.None())?;
    extension.set_item("client_cert_error", py.None())?;
    extension.set_item("tls_version", tls.version)?;
    extension.set_item("cipher_suite", tls.cipher_suite)?;
    Ok(extension)
}
