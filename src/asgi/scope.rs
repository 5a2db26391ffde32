//! ASGI connection scopes (`http` and `websocket`), built on the loop thread from the
//! request's head.

use std::net::SocketAddr;

use crate::conn::{ConnInfo, ConnObjects};
use crate::tls::TlsInfo;

use http::Version;
use pyo3::prelude::*;
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
}

fn http_version(version: Version) -> &'static str {
    match version {
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
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

pub fn connection_scope<'py>(
    py: Python<'py>,
    protocol: Protocol,
    head: &http::request::Parts,
    conn: &ConnInfo,
    app: &AsgiApp,
) -> PyResult<Bound<'py, PyDict>> {
    use pyo3::intern;
    let objects = conn.python(py, |conn| conn_objects(py, conn))?;
    let scope = PyDict::new(py);
    let asgi = PyDict::new(py);
    asgi.set_item(intern!(py, "version"), intern!(py, "3.0"))?;
    asgi.set_item(intern!(py, "spec_version"), intern!(py, "2.4"))?;
    let (kind, scheme) = match protocol {
        Protocol::Http => ("http", conn.scheme.as_str()),
        Protocol::WebSocket => ("websocket", conn.scheme.websocket()),
    };
    scope.set_item(intern!(py, "type"), PyString::intern(py, kind))?;
    scope.set_item(intern!(py, "asgi"), asgi)?;
    scope.set_item(
        intern!(py, "http_version"),
        PyString::intern(py, http_version(head.version)),
    )?;
    if protocol == Protocol::Http {
        scope.set_item(
            intern!(py, "method"),
            PyString::intern(py, head.method.as_str()),
        )?;
        let extensions = PyDict::new(py);
        extensions.set_item(intern!(py, "http.response.trailers"), PyDict::new(py))?;
        extensions.set_item(intern!(py, "http.response.pathsend"), PyDict::new(py))?;
        if let Some(tls) = &objects.tls {
            extensions.set_item(intern!(py, "tls"), tls.bind(py).copy()?)?;
        }
        scope.set_item(intern!(py, "extensions"), extensions)?;
    } else {
        let offered = head
            .headers
            .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty());
        scope.set_item(intern!(py, "subprotocols"), PyList::new(py, offered)?)?;
        let extensions = PyDict::new(py);
        extensions.set_item(intern!(py, "websocket.http.response"), PyDict::new(py))?;
        scope.set_item(intern!(py, "extensions"), extensions)?;
    }
    scope.set_item(intern!(py, "scheme"), PyString::intern(py, scheme))?;
    let raw_path = head.uri.path();
    let path = percent_encoding::percent_decode_str(raw_path).decode_utf8_lossy();
    scope.set_item(intern!(py, "path"), path.as_ref())?;
    scope.set_item(
        intern!(py, "raw_path"),
        PyBytes::new(py, raw_path.as_bytes()),
    )?;
    scope.set_item(intern!(py, "root_path"), app.root_path.as_str())?;
    let query = head.uri.query().unwrap_or("");
    scope.set_item(
        intern!(py, "query_string"),
        PyBytes::new(py, query.as_bytes()),
    )?;
    let headers = PyList::empty(py);
    if let Some(authority) = head
        .uri
        .authority()
        .filter(|_| !head.headers.contains_key(http::header::HOST))
    {
        // HTTP/2 and HTTP/3 carry the host as :authority; ASGI apps look for `host`.
        headers.append((
            PyBytes::new(py, b"host"),
            PyBytes::new(py, authority.as_str().as_bytes()),
        ))?;
    }
    for (name, value) in &head.headers {
        headers.append((
            PyBytes::new(py, name.as_str().as_bytes()),
            PyBytes::new(py, value.as_bytes()),
        ))?;
    }
    scope.set_item(intern!(py, "headers"), headers)?;
    scope.set_item(intern!(py, "client"), objects.client.bind(py))?;
    scope.set_item(intern!(py, "server"), objects.server.bind(py))?;
    if let Some(state) = &app.state {
        scope.set_item(intern!(py, "state"), state.bind(py).copy()?)?;
    }
    Ok(scope)
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
