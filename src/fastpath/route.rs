//! One Bolt route compiled from its description: `Common`, what HTTP and WebSocket
//! routes share (and what `fastpath::enter` admits by), and `Route`, an HTTP route.

use http::{Method, StatusCode};
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::auth::Protection;
use super::cors::Cors;
use super::description::{CommonDescription, Described, HttpDescription, Strict};
use super::form::{FileSpec, FormSpec};
use super::params::{ParamSpec, Source, StructParam};
use super::rate_limit::RateLimit;

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
    /// `on_error(exception) -> (status, headers, body)`, or a coroutine returning an
    /// `Encoded` (an async exception handler).
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
        if let Some(protection) = &protection {
            py.detach(|| protection.wait_for_keys());
        }
        let rate_limit = rate_limit
            .map(|Strict(limit)| RateLimit::from_description(limit, &name, &path).map(Box::new))
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
    pub(super) fn from_description(
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
