//! The route table: every Bolt route, compiled once from Python's descriptions and
//! matched with matchit on each request.

use std::sync::Arc;

use http::{HeaderValue, Method, StatusCode};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use super::auth::Protection;
use super::cors::Cors;
use super::description::{explain, CommonDescription, Described, HttpDescription, Strict};
use super::form::{FileSpec, FormSpec};
use super::params::{ParamSpec, Source, StructParam};
use super::rate_limit::RateLimit;
use super::websocket::WebSocketRoute;

/// One Bolt route: its handler and everything needed to call it.
pub struct Route {
    /// Name, path, parameters, auth and rate limit: what a WebSocket route has too.
    pub common: Common,
    /// `METHOD /path`, for the log line of a handler that blocks the event loop.
    pub label: String,
    pub handler: Py<PyAny>,
    pub is_async: bool,
    /// Form fields and files, read from the body; `None` for a route without any.
    pub form: Option<FormSpec>,
    /// `loader(body: bytes) -> dict` of keyword arguments read from the body.
    pub body_loader: Option<Py<PyAny>>,
    /// The loader also wants the raw query string: `loader(body, query)`, for fields
    /// read from a JSON body when one is sent and from the query string otherwise.
    pub loader_reads_query: bool,
    /// The keyword that receives the `Request`, if the handler takes one.
    pub request_param: Option<Py<PyString>>,
    pub status: StatusCode,
    /// `encode(value) -> bytes` for a plain dict or list result, skipping `finalize`.
    pub encode: Option<Py<PyAny>>,
    /// `finalize(result) -> (status, headers, body)` for any other result.
    pub finalize: Py<PyAny>,
    /// `on_error(exception) -> (status, headers, body)`.
    pub on_error: Py<PyAny>,
    /// None when the API does not compress or the route is `@no_compress`.
    pub compression: Option<super::compression::Config>,
    /// `@cors`: preflights answered in Rust, responses marked for allowed origins.
    pub cors: Option<Box<Cors>>,
}

/// What both kinds of route have, and what lets a request in (`fastpath::enter`).
pub struct Common {
    /// `module.function`, for errors and logs.
    pub name: String,
    pub path: String,
    /// Path, query, header and cookie parameters, read before the body.
    pub params: Vec<ParamSpec>,
    /// Struct parameters filled field by field: each field's spec names its index here.
    pub structs: Vec<StructParam>,
    /// Auth backends and guards; `None` for an open route.
    pub protection: Option<Box<Protection>>,
    /// `@rate_limit`: checked before auth; `None` costs nothing.
    pub rate_limit: Option<Box<RateLimit>>,
}

impl Common {
    /// Compile the common part of a route's description, and the form it reads.
    pub(super) fn from_description(
        py: Python<'_>,
        desc: CommonDescription,
    ) -> Result<(Self, FormSpec), String> {
        let CommonDescription {
            name,
            path,
            params: described,
            structs,
            auth,
            guards,
            rate_limit,
        } = desc;
        let named = |e: String| format!("{name}: {e}");
        check_path(&path).map_err(named)?;
        let mut params = Vec::with_capacity(described.len());
        let mut form = FormSpec::default();
        for Strict(p) in described {
            if p.source.as_deref() == Some("file") {
                form.files
                    .push(FileSpec::from_description(py, p).map_err(named)?);
                continue;
            }
            let spec = ParamSpec::from_description(py, p).map_err(named)?;
            if spec.source == Source::Path && !path.contains(&format!("{{{}}}", spec.key)) {
                return Err(named(format!(
                    "path parameter {:?} is not in {path:?}",
                    spec.key
                )));
            }
            match spec.source {
                Source::Form => form.fields.push(spec),
                _ => params.push(spec),
            }
        }
        let structs: Vec<StructParam> = structs
            .into_iter()
            .map(|Strict(s)| StructParam::from_description(s))
            .collect();
        let mut grouped = params.iter().chain(&form.fields).filter_map(|p| p.group);
        if let Some(group) = grouped.find(|g| *g >= structs.len()) {
            return Err(named(format!(
                "a parameter names struct {group}, which is not declared"
            )));
        }
        let protection = Protection::from_description(
            auth.into_iter().flatten().map(|Strict(a)| a).collect(),
            guards.into_iter().flatten().map(|Strict(g)| g).collect(),
        )
        .map_err(named)?
        .map(Box::new);
        let rate_limit = rate_limit
            .map(|Strict(limit)| RateLimit::from_description(limit, &path).map(Box::new))
            .transpose()
            .map_err(named)?;
        let common = Common {
            name,
            path,
            params,
            structs,
            protection,
            rate_limit,
        };
        Ok((common, form))
    }
}

impl Route {
    fn from_description(
        py: Python<'_>,
        desc: Described<HttpDescription>,
    ) -> Result<(Method, Route), String> {
        let (common, form) = Common::from_description(py, desc.common)?;
        let desc = desc.kind;
        let name = &common.name;
        let method = Method::from_bytes(desc.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("{name}: invalid method"))?;
        let status = StatusCode::from_u16(desc.status_code)
            .map_err(|_| format!("{name}: status_code must be an HTTP status"))?;
        let has_form = !form.fields.is_empty() || !form.files.is_empty();
        if has_form && desc.body_loader.is_some() {
            return Err(format!(
                "{name}: a route reads either a JSON body or a form"
            ));
        }
        let compression = desc
            .compression
            .map(|Strict(c)| super::compression::Config::from_description(c))
            .transpose()
            .map_err(|e| format!("{name}: {e}"))?;
        let cors = desc
            .cors
            .map(|Strict(c)| Cors::from_description(c).map(Box::new))
            .transpose()
            .map_err(|e| format!("{name}: {e}"))?;
        let route = Route {
            label: format!("{method} {}", common.path),
            handler: desc.handler,
            is_async: desc.is_async,
            form: has_form.then_some(form),
            body_loader: desc.body_loader,
            request_param: desc.request_param,
            loader_reads_query: desc.body_loader_reads_query,
            status,
            encode: desc.encode,
            finalize: desc.finalize,
            on_error: desc.on_error,
            compression,
            cors,
            common,
        };
        Ok((method, route))
    }
}

/// matchit renames a route's parameters to single letters from `a` and panics when the
/// next would be past `z`: at the 26th.
const MAX_PATH_PARAMS: usize = 25;

/// What matchit needs of a path before it can take it without panicking.
fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("path {path:?} must start with '/'"));
    }
    // `{{` is an escaped brace, every other `{` opens a parameter.
    if path.replace("{{", "").matches('{').count() > MAX_PATH_PARAMS {
        return Err(format!(
            "path {path:?} has more than {MAX_PATH_PARAMS} parameters"
        ));
    }
    Ok(())
}

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
    #[new]
    fn new(routes: &Bound<'_, PyList>) -> PyResult<Self> {
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
        })
    }

    fn __len__(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: matchit panics on a 26th parameter, which stopped start-up
    /// with a PanicException instead of an error naming the route.
    #[test]
    fn paths_matchit_cannot_take_are_refused() {
        let params = |n: usize| (0..n).map(|i| format!("/{{p{i}}}")).collect::<String>();
        assert!(check_path(&params(25)).is_ok());
        assert_eq!(
            check_path("/a{{b}}/{c}"),
            Ok(()),
            "escaped braces are no parameters"
        );
        let err = check_path(&params(26)).unwrap_err();
        assert!(err.ends_with("has more than 25 parameters"), "{err}");
        let mut router = matchit::Router::new();
        router.insert(params(25), ()).expect("25 parameters fit");
        assert!(check_path("relative").is_err());
    }
}
