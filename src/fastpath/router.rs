//! The route table: every Bolt route, compiled once from Python's descriptions and
//! matched with matchit on each request.

use std::sync::Arc;

use http::{HeaderValue, Method};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::cors::Cors;
use super::description::explain;
use super::route::Route;
use super::websocket::WebSocketRoute;

type MethodRoutes = Vec<(Method, Arc<Route>)>;

/// The routes of one path, by method.
struct PathRoutes {
    routes: MethodRoutes,
    allow: HeaderValue,
}

impl PathRoutes {
    fn find(&self, method: &Method) -> Option<&Arc<Route>> {
        self.routes
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, r)| r)
    }
}

/// What a request's method and path found.
pub enum Lookup<'t, 'p> {
    Found(&'t Arc<Route>, matchit::Params<'t, 'p>),
    /// The path exists but not for this method; `Allow` lists the ones that do.
    MethodNotAllowed(HeaderValue),
    /// OPTIONS on a path with no OPTIONS handler: answered with `Allow`.
    Options(HeaderValue),
    NotFound,
}

#[pyclass(frozen, module = "django_bolt._core")]
pub struct RouteTable {
    router: matchit::Router<Arc<PathRoutes>>,
    /// `@api.websocket` routes, matched only for WebSocket handshakes.
    websockets: matchit::Router<Arc<WebSocketRoute>>,
    len: usize,
    /// Prefixes Bolt owns: a path under one that no route matches is answered 404 by
    /// Rust instead of going to the ASGI app (Python decided no Django URL lies there).
    owned: Vec<String>,
    /// Paths under an owned prefix that still go to the ASGI app: its mounts.
    left_to_asgi: Vec<String>,
}

impl RouteTable {
    pub fn lookup<'t, 'p>(&'t self, method: &Method, path: &'p str) -> Lookup<'t, 'p> {
        match self.router.at(path) {
            Ok(found) => Self::pick(found.value, method, found.params),
            Err(_) => Lookup::NotFound,
        }
    }

    fn pick<'t, 'p>(
        routes: &'t PathRoutes,
        method: &Method,
        params: matchit::Params<'t, 'p>,
    ) -> Lookup<'t, 'p> {
        if let Some(route) = routes.find(method) {
            return Lookup::Found(route, params);
        }
        if method == Method::HEAD {
            if let Some(route) = routes.find(&Method::GET) {
                return Lookup::Found(route, params);
            }
        }
        if method == Method::OPTIONS {
            return Lookup::Options(routes.allow.clone());
        }
        Lookup::MethodNotAllowed(routes.allow.clone())
    }

    /// The CORS policy that answers a preflight for `method` at `path`: that method's
    /// route's, else the first route's at the path that has one.
    pub fn cors(&self, method: &Method, path: &str) -> Option<&Cors> {
        let routes = &self.router.at(path).ok()?.value.routes;
        match routes.iter().find(|(m, _)| m == method) {
            Some((_, route)) => route.cors.as_deref(),
            None => routes.iter().find_map(|(_, route)| route.cors.as_deref()),
        }
    }

    /// Whether a path no route matches is Bolt's to answer 404 (asked only then).
    pub fn owns(&self, path: &str) -> bool {
        self.owned.iter().any(|prefix| under(path, prefix))
            && !self.left_to_asgi.iter().any(|prefix| under(path, prefix))
    }

    /// The WebSocket route at `path`, if there is one.
    pub fn websocket<'t, 'p>(
        &'t self,
        path: &'p str,
    ) -> Option<(&'t Arc<WebSocketRoute>, matchit::Params<'t, 'p>)> {
        self.websockets
            .at(path)
            .ok()
            .map(|found| (found.value, found.params))
    }
}

/// Every WebSocket route under its path and under the path with the slash toggled.
fn websocket_router(routes: Vec<WebSocketRoute>) -> PyResult<matchit::Router<Arc<WebSocketRoute>>> {
    let mut router = matchit::Router::<Arc<WebSocketRoute>>::new();
    let mut aliases = Vec::new();
    for route in routes {
        let path = route.common.path.clone();
        let route = Arc::new(route);
        if let Ok(other) = router.at(&path).map(|found| found.value.clone()) {
            if other.common.path == path {
                return Err(PyValueError::new_err(format!(
                    "duplicate WebSocket route {path}: {} and {}",
                    other.common.name, route.common.name
                )));
            }
        }
        router.insert(path.clone(), route.clone()).map_err(|e| {
            PyValueError::new_err(format!(
                "WebSocket route {path} ({}) cannot be registered: {e}",
                route.common.name
            ))
        })?;
        aliases.extend(toggled_slash(&path).map(|alias| (alias, route)));
    }
    for (alias, route) in aliases {
        // An alias that collides with a declared route loses to it.
        let _ = router.insert(alias, route);
    }
    Ok(router)
}

/// `path` is `prefix` or below it, segment-wise: `/api` covers `/api/x`, not `/apix`.
fn under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// `/a/` for `/a` and `/a` for `/a/`: every route also answers with its trailing
/// slash toggled, so clients need not know the API's `trailing_slash` mode.
fn toggled_slash(path: &str) -> Option<String> {
    match path.strip_suffix('/') {
        Some("") => None,
        Some(stripped) => Some(stripped.to_owned()),
        None => Some(format!("{path}/")),
    }
}

#[pymethods]
impl RouteTable {
    /// `owned`: the prefixes under which Rust answers 404 for a path no route takes;
    /// `left_to_asgi`: paths below them that still go to the ASGI app.
    #[new]
    #[pyo3(signature = (routes, owned = Vec::new(), left_to_asgi = Vec::new()))]
    fn new(
        routes: &Bound<'_, PyList>,
        owned: Vec<String>,
        left_to_asgi: Vec<String>,
    ) -> PyResult<Self> {
        let py = routes.py();
        let mut by_path: Vec<(String, MethodRoutes)> = Vec::new();
        let mut websockets = Vec::new();
        for desc in routes.iter() {
            let desc = desc
                .cast::<PyDict>()
                .map_err(|_| PyValueError::new_err("a route must be a dict"))?;
            let refused = |err: PyErr| {
                let named = match desc.get_item("name").ok().flatten() {
                    Some(name) => name.to_string(),
                    None => "a route".to_owned(),
                };
                PyValueError::new_err(format!("{named}: {}", explain(py, &err)))
            };
            if desc
                .get_item("websocket")?
                .is_some_and(|w| w.is_truthy().unwrap_or(false))
            {
                let desc = desc.extract().map_err(refused)?;
                websockets.push(
                    WebSocketRoute::from_description(py, desc).map_err(PyValueError::new_err)?,
                );
                continue;
            }
            let desc = desc.extract().map_err(refused)?;
            let (method, route) =
                Route::from_description(py, desc).map_err(PyValueError::new_err)?;
            let path = route.common.path.clone();
            let entry = match by_path.iter_mut().find(|(p, _)| *p == path) {
                Some(entry) => entry,
                None => {
                    by_path.push((path.clone(), Vec::new()));
                    by_path.last_mut().expect("just pushed")
                }
            };
            if let Some((_, other)) = entry.1.iter().find(|(m, _)| *m == method) {
                return Err(PyValueError::new_err(format!(
                    "duplicate route {method} {path}: {} and {}",
                    other.common.name, route.common.name
                )));
            }
            entry.1.push((method, Arc::new(route)));
        }
        let mut router = matchit::Router::new();
        let mut len = 0;
        let mut aliases = Vec::new();
        for (path, routes) in by_path {
            len += routes.len();
            let mut methods: Vec<&str> = routes.iter().map(|(m, _)| m.as_str()).collect();
            if routes.iter().any(|(m, _)| m == Method::GET) && !methods.contains(&"HEAD") {
                methods.push("HEAD");
            }
            if !methods.contains(&"OPTIONS") {
                methods.push("OPTIONS");
            }
            let allow = HeaderValue::from_str(&methods.join(", "))
                .expect("method names are valid header text");
            let names: Vec<String> = routes.iter().map(|(_, r)| r.common.name.clone()).collect();
            let entry = Arc::new(PathRoutes { routes, allow });
            router.insert(path.clone(), entry.clone()).map_err(|e| {
                PyValueError::new_err(format!(
                    "route {path} ({}) cannot be registered: {e}",
                    names.join(", ")
                ))
            })?;
            aliases.extend(toggled_slash(&path).map(|alias| (alias, entry)));
        }
        for (alias, entry) in aliases {
            // An alias that collides with a declared route loses to it.
            let _ = router.insert(alias, entry);
        }
        let len = len + websockets.len();
        Ok(RouteTable {
            router,
            websockets: websocket_router(websockets)?,
            len,
            owned,
            left_to_asgi,
        })
    }

    fn __len__(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of `GET /search` and `QUERY /search`, as Python describes routes, that
    /// owns `/api` (but `/api/legacy`) and `/v2`.
    fn search_table(py: Python<'_>) -> RouteTable {
        let code = std::ffi::CString::new(
            "[{'name': f'app.{m.lower()}', 'path': '/search', 'method': m, 'handler': len, \
             'is_async': False, 'status_code': 200, 'finalize': len, 'on_error': len, \
             'structs': [], 'auth': [], 'guards': [], 'params': []} for m in ('GET', 'QUERY')]",
        )
        .expect("no NUL");
        let routes = py.eval(&code, None, None).expect("valid Python");
        let routes = routes.cast::<PyList>().expect("a list");
        let owned = vec!["/api".to_owned(), "/v2/".to_owned()];
        RouteTable::new(routes, owned, vec!["/api/legacy/".to_owned()]).expect("a valid table")
    }

    /// QUERY (a safe method with a body) is routed like any other method, and a
    /// method the path lacks is answered 405 with QUERY among the allowed ones.
    #[test]
    fn the_query_method_is_routed_and_listed_in_allow() {
        Python::initialize();
        Python::attach(|py| {
            let table = search_table(py);
            let query = Method::from_bytes(b"QUERY").expect("an extension method");
            match table.lookup(&query, "/search") {
                Lookup::Found(route, _) => assert_eq!(route.common.name, "app.query"),
                _ => panic!("QUERY /search is not found"),
            }
            match table.lookup(&Method::DELETE, "/search/") {
                Lookup::MethodNotAllowed(allow) => {
                    assert_eq!(allow, "GET, QUERY, HEAD, OPTIONS")
                }
                _ => panic!("DELETE /search is not a 405"),
            }
        });
    }

    /// An owned prefix covers itself and what lies below it, segment-wise, except
    /// what is left to the ASGI app; `/` covers every path.
    #[test]
    fn owned_prefixes_cover_whole_segments() {
        assert!(under("/api", "/api") && under("/api/", "/api") && under("/api/x", "/api"));
        assert!(!under("/apix", "/api") && !under("/ap", "/api") && !under("/", "/api"));
        assert!(under("/anything", "/") && under("/", "/"));
        assert!(under("/api/x", "/api/"));
        Python::initialize();
        Python::attach(|py| {
            let table = search_table(py);
            assert!(table.owns("/api/nosuch") && table.owns("/v2") && table.owns("/v2/x"));
            assert!(!table.owns("/elsewhere") && !table.owns("/v2x"));
            assert!(!table.owns("/api/legacy") && !table.owns("/api/legacy/page"));
            assert!(table.owns("/api/legacyx"));
        });
    }
}
