//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`, off in every
//! other build). Each takes arbitrary bytes, feeds them to the parser the server runs
//! on that part of a request, through the same calls the server makes, and panics when
//! an invariant breaks: a value Rust accepted that Python then cannot convert, an error
//! answer that is a 500, a byte range outside the file.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::OnceLock;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body::Frame;
use http_body_util::StreamBody;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyModule};

use crate::accept_encoding::{negotiate, Encoding};
use crate::conn::{ConnInfo, Scheme};
use crate::fastpath::description::{AuthDescription, GuardDescription, Strict};
use crate::fastpath::{auth, form, params, Lookup, RouteTable};
use crate::files::{conditional::Validators, range};
use crate::proxy::{ProxyHeaders, TrustedProxies};

/// The route descriptions of `routes.py`, imported once.
fn routes_module(py: Python<'_>) -> &Bound<'_, PyModule> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_init(py, || {
            let code = pyo3::ffi::c_str!(include_str!("routes.py"));
            PyModule::from_code(py, code, c"fuzz_routes.py", c"fuzz_routes")
                .expect("routes.py imports")
                .unbind()
        })
        .bind(py)
}

/// The route table of `routes.py`: a route per parameter source, each reading every type.
fn table(py: Python<'_>) -> &RouteTable {
    static TABLE: PyOnceLock<Py<RouteTable>> = PyOnceLock::new();
    TABLE
        .get_or_init(py, || {
            let routes = routes_module(py).getattr("ROUTES").expect("ROUTES");
            py.get_type::<RouteTable>()
                .call1((routes,))
                .and_then(|table| Ok(table.cast_into::<RouteTable>()?.unbind()))
                .expect("the fuzz routes are valid")
        })
        .get()
}

fn with_python<T>(f: impl for<'py> FnOnce(Python<'py>) -> T) -> T {
    Python::initialize();
    Python::attach(f)
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

fn connection() -> ConnInfo {
    let peer = SocketAddr::from(([10, 0, 0, 1], 5000));
    ConnInfo::new(Some(peer), None, Scheme::Http, None)
}

/// `name: value` lines as headers; lines that are not a valid header are skipped, as
/// the HTTP parsers would never hand them over.
fn header_lines(text: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in text.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    headers
}

/// A GET of `uri` with `headers` through the route table, auth and parameter reading,
/// as the server does it; what is admitted must convert to the handler's arguments.
fn request(uri: &str, headers: HeaderMap) {
    let Ok(mut request) = Request::get(uri).body(()) else {
        return; // not a URI any HTTP parser would accept
    };
    *request.headers_mut() = headers;
    let (mut head, ()) = request.into_parts();
    with_python(|py| {
        let Lookup::Found(route, path_params) = table(py).lookup(&head.method, head.uri.path())
        else {
            return;
        };
        match crate::fastpath::enter(
            &route.common,
            route.cors.as_deref(),
            &connection(),
            path_params,
            &head,
        )
        .decision
        {
            Ok(admitted) => {
                let values = admitted.values(&mut head);
                params::kwargs(
                    py,
                    &route.common.structs,
                    route.common.params.iter().zip(values),
                )
                .expect("what Rust admitted converts in Python");
            }
            Err(refusal) => assert_eq!(refusal.status(), StatusCode::UNPROCESSABLE_ENTITY),
        }
    });
}

/// Query string parameters of every type (`/q?...`).
pub fn query_string(data: &[u8]) {
    if let Ok(query) = std::str::from_utf8(data) {
        request(&format!("/q?{query}"), HeaderMap::new());
    }
}

/// A path parameter: the first byte picks its type (the route `/p/{index in KINDS}/{v}`
/// of `routes.py`), the rest is the path segment.
pub fn path_param(data: &[u8]) {
    const KINDS: u8 = 10;
    let Some((pick, segment)) = data.split_first() else {
        return;
    };
    if let Ok(segment) = std::str::from_utf8(segment) {
        request(&format!("/p/{}/{segment}", pick % KINDS), HeaderMap::new());
    }
}

/// Header parameters of every type (`x-int: ...`), from `name: value` lines.
pub fn header_params(data: &[u8]) {
    request("/h", header_lines(data));
}

/// Cookie parameters of every type; each line is one `Cookie` header.
pub fn cookies(data: &[u8]) {
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(header::COOKIE, value);
        }
    }
    for (name, value) in crate::fastpath::cookies::parse(&headers) {
        assert!(!name.contains(';') && !value.contains(';'));
    }
    request("/c", headers);
}

/// A form body posted to a route with form fields of every type and a file parameter.
/// It arrives in chunks of `chunk` bytes; a 500 or a panic is a failure, and what is
/// read must convert to the handler's arguments.
fn form_body(content_type: &[u8], body: &[u8], chunk: usize) {
    let Ok(content_type) = HeaderValue::from_bytes(content_type) else {
        return;
    };
    let headers = HeaderMap::from_iter([(header::CONTENT_TYPE, content_type)]);
    let chunks: Vec<Result<Frame<Bytes>, Infallible>> = body
        .chunks(chunk.max(1))
        .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    let body = StreamBody::new(futures_util::stream::iter(chunks));
    with_python(|py| {
        let Lookup::Found(route, _) = table(py).lookup(&Method::POST, "/f") else {
            unreachable!("routes.py has POST /f");
        };
        let spec = route.form.as_ref().expect("POST /f reads a form");
        let read = runtime().block_on(form::read(spec, &headers, body, 64 * 1024));
        match read {
            Ok((values, _temp_files)) => {
                params::kwargs(py, &[], spec.fields.iter().zip(values.fields))
                    .expect("form fields Rust admitted convert in Python");
                for (file, received) in spec.files.iter().zip(values.files) {
                    file.to_py(py, received).expect("received files convert");
                }
            }
            Err(answer) => assert!(
                answer.status().is_client_error(),
                "a bad form body is a 4xx, got {}",
                answer.status()
            ),
        }
    });
}

/// An urlencoded form body.
pub fn form_urlencoded(data: &[u8]) {
    form_body(b"application/x-www-form-urlencoded", data, data.len());
}

/// A multipart body: the first byte is the size of the chunks it arrives in, then the
/// `Content-Type` line (with the boundary), then the body.
pub fn multipart(data: &[u8]) {
    let Some((chunk, rest)) = data.split_first() else {
        return;
    };
    let (content_type, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    form_body(content_type, body, usize::from(*chunk));
}

/// `Accept-Encoding` against each order of preference the server may have.
pub fn accept_encoding(data: &[u8]) {
    use Encoding::*;
    for preference in [&[Brotli, Zstd, Gzip][..], &[Gzip, Brotli], &[Zstd], &[]] {
        if let Some(chosen) = negotiate(data, preference) {
            assert!(preference.contains(&chosen), "{chosen:?} was not offered");
        }
    }
}

/// `Range` for a file whose size is the first 8 bytes (little-endian).
pub fn range(data: &[u8]) {
    let (size, value) = data.split_at(data.len().min(8));
    let mut size_bytes = [0u8; 8];
    size_bytes[..size.len()].copy_from_slice(size);
    let size = u64::from_le_bytes(size_bytes);
    let Ok(value) = HeaderValue::from_bytes(value) else {
        return;
    };
    if let range::Selection::Part(part) = range::select(Some(&value), size) {
        assert!(
            part.start < part.end && part.end <= size,
            "{part:?} of {size}"
        );
    }
}

/// `If-None-Match`, `If-Modified-Since` and `If-Range` (as `name: value` lines) against
/// a file's validators.
pub fn conditional(data: &[u8]) {
    let modified = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let validators = Validators {
        etag: HeaderValue::from_static("\"18a2b-1f\""),
        last_modified: Some(modified.into()),
    };
    let headers = header_lines(data);
    validators.not_modified(&headers);
    validators.range_allowed(&headers);
}

/// A bearer token checked by a JWT backend (`routes.py`'s `JWT_ROUTE`). The first byte
/// picks how the rest is used: as the whole token, or as the claims of a token signed
/// with the backend's key, so that the claims themselves are fuzzed past the signature.
pub fn jwt(data: &[u8]) {
    use base64::engine::{general_purpose::URL_SAFE_NO_PAD, Engine};
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let token = match mode % 2 {
        0 => rest.to_vec(),
        _ => {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
            let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(rest));
            let key = jsonwebtoken::EncodingKey::from_secret(b"fuzz-secret");
            let signature =
                jsonwebtoken::crypto::sign(signed.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
                    .expect("HS256 signs anything");
            format!("{signed}.{signature}").into_bytes()
        }
    };
    let mut authorization = b"Bearer ".to_vec();
    authorization.extend_from_slice(&token);
    let Ok(authorization) = HeaderValue::from_bytes(&authorization) else {
        return;
    };
    let headers = HeaderMap::from_iter([(header::AUTHORIZATION, authorization)]);
    with_python(|py| {
        static PROTECTION: OnceLock<auth::Protection> = OnceLock::new();
        let protection = PROTECTION.get_or_init(|| {
            let desc = routes_module(py).getattr("JWT_ROUTE").expect("JWT_ROUTE");
            let described = |key: &str| desc.get_item(key).expect("auth and guards");
            let auth: Vec<Strict<AuthDescription>> = described("auth").extract().expect("auth");
            let guards: Vec<Strict<GuardDescription>> =
                described("guards").extract().expect("guards");
            let auth = auth.into_iter().map(|Strict(a)| a).collect();
            let guards = guards.into_iter().map(|Strict(g)| g).collect();
            auth::Protection::from_description(auth, guards)
                .expect("a valid JWT backend")
                .expect("with a backend")
        });
        let mut head = http::Request::new(()).into_parts().0;
        head.headers = headers;
        let conn = crate::conn::ConnInfo::new(None, None, crate::conn::Scheme::Http, None);
        match protection.check(&conn, &head) {
            Ok(Some(identity)) => {
                identity.to_py(py).expect("claims convert to Python");
            }
            Ok(None) => panic!("a route with a backend lets no one in unidentified"),
            Err(refusal) => assert!(matches!(refusal.status().as_u16(), 401 | 403)),
        }
    });
}

/// A route table built from route descriptions, one path pattern a line (`ws ` first
/// makes it a WebSocket route), then each pattern looked up as a path.
pub fn route_table(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    with_python(|py| {
        let module = routes_module(py);
        let route = module.getattr("route").expect("route()");
        let websocket_route = module
            .getattr("websocket_route")
            .expect("websocket_route()");
        let param = module.getattr("param").expect("param()");
        let descs = PyList::empty(py);
        let methods = ["GET", "POST", "PUT"];
        for (index, line) in text.lines().enumerate() {
            let (websocket, path) = match line.strip_prefix("ws ") {
                Some(path) => (true, path),
                None => (false, line),
            };
            let params = PyList::empty(py);
            for name in path_param_names(path) {
                let spec = param.call(("str", "path", name), None).expect("param()");
                params.append(spec).expect("append");
            }
            let desc = match websocket {
                true => websocket_route.call1((path, params)),
                false => route.call1((methods[index % methods.len()], path, params)),
            }
            .expect("a route description");
            descs.append(desc).expect("append");
        }
        let Ok(table) = py.get_type::<RouteTable>().call1((descs,)) else {
            return; // refused at start-up with an error: fine
        };
        let table = table.cast_into::<RouteTable>().expect("a RouteTable");
        let table = table.get();
        for line in text.lines() {
            let path = line.strip_prefix("ws ").unwrap_or(line);
            for method in [Method::GET, Method::HEAD, Method::OPTIONS, Method::DELETE] {
                if let Lookup::Found(route, path_params) = table.lookup(&method, path) {
                    let head = Request::new(()).into_parts().0;
                    let _ = crate::fastpath::enter(
                        &route.common,
                        route.cors.as_deref(),
                        &connection(),
                        path_params,
                        &head,
                    );
                }
            }
            table.websocket(path);
            table.cors(&Method::GET, path);
        }
    });
}

/// `{name}` segments of a path pattern (not catch-alls): its path parameters.
fn path_param_names(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && !name.starts_with('*'))
        .collect()
}

/// The trusted-proxy list (first line), then forwarding headers (`name: value` lines)
/// from a peer at 10.0.0.1.
pub fn proxy_headers(data: &[u8]) {
    let (list, rest) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(trusted) = std::str::from_utf8(list).map(TrustedProxies::from_str) else {
        return;
    };
    let Ok(trusted) = trusted else {
        return; // refused at start-up with an error: fine
    };
    for family in [ProxyHeaders::XForwarded, ProxyHeaders::Forwarded] {
        for replace_host in [false, true] {
            let reader = trusted.clone().reading(family, replace_host);
            let (mut head, ()) = http::Request::new(()).into_parts();
            head.headers = header_lines(rest);
            // No header may make it panic; the scheme it reads is a `Scheme` by type.
            let _ = reader.apply(&connection(), &mut head);
        }
    }
}
