//! The fast path: Bolt routes matched, read and coerced in Rust, then handed to Python
//! once with their arguments ready.

pub mod allowed_hosts;
pub mod auth;
pub mod call;
pub(crate) mod compression;
pub mod cookies;
pub mod cors;
pub mod description;
pub mod form;
mod formats;
mod outgoing;
pub mod params;
pub mod rate_limit;
pub mod request;
pub mod route;
pub mod router;
mod spool;
mod stream;
pub mod websocket;

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use tokio::sync::oneshot;

use crate::admission::Gate;
use crate::body::{BoxError, ResponseBody};
use crate::conn::ConnInfo;
use crate::errors;
use crate::python::BridgeInner;
use params::{RequestParts, Source, Value};
pub use route::Route;
pub use router::{Lookup, RouteTable};

/// What a request that may enter a route brings: its parameters, and who sent it.
pub struct Admission {
    values: Vec<Value>,
    identity: Option<auth::Identity>,
}

impl Admission {
    /// The parameters; the identity stays in the head, where `Request.auth` reads it.
    pub fn values(self, head: &mut http::request::Parts) -> Vec<Value> {
        if let Some(identity) = self.identity {
            head.extensions.insert(identity);
        }
        self.values
    }
}

/// Let a request into a route: auth and guards first (401/403), then a rate limit that
/// counts by user or API key (429), then its parameters (422). Nothing of the route runs
/// for a request refused here. A limit kept in Redis is not asked here: its check is
/// left in `shared_limit`. The identity learns the connection's `scheme`: a session's
/// CSRF check compares `Origin` and `Referer` with it.
fn admit(
    protection: Option<&auth::Protection>,
    specs: &[params::ParamSpec],
    path_params: matchit::Params<'_, '_>,
    parts: &http::request::Parts,
    conn: &ConnInfo,
    limit_by_identity: Option<&rate_limit::RateLimit>,
    shared_limit: &mut Option<rate_limit::Pending>,
) -> Result<Admission, auth::Refusal> {
    let identity = match protection {
        Some(protection) => protection.check(conn, parts)?,
        None => None,
    };
    if let Some(limit) = limit_by_identity {
        *shared_limit = limit.check(conn, &parts.headers, identity.as_ref())?;
    }
    let scheme = conn.scheme;
    let identity = identity.map(|identity| auth::Identity { scheme, ..identity });
    let values = read_params(specs, path_params, parts)
        .map_err(|failures| Box::new(errors::unprocessable(&failures)))?;
    Ok(Admission { values, identity })
}

/// What `enter` decided, and the route's shared rate limit still to be asked (one
/// round trip to Redis): its refusal, if any, answers before the decision does.
pub struct Entry {
    pub decision: Result<Admission, auth::Refusal>,
    pub shared_limit: Option<rate_limit::Pending>,
}

/// Let a request into a Bolt route, or a handshake into a Bolt WebSocket route: its
/// rate limit (429; after auth when it counts by user or API key), then `admit`. A
/// refusal of a CORS route is marked for the origin, so that the page may read it.
pub fn enter(
    route: &route::Common,
    cors: Option<&cors::Cors>,
    conn: &ConnInfo,
    path_params: matchit::Params<'_, '_>,
    head: &http::request::Parts,
) -> Entry {
    let (by_identity, by_client) = match route.rate_limit.as_deref() {
        Some(limit) if limit.after_auth() => (Some(limit), None),
        limit => (None, limit),
    };
    let mut shared_limit = None;
    let decision = limit(by_client, conn, head).and_then(|pending| {
        shared_limit = pending;
        admit(
            route.protection.as_deref(),
            &route.params,
            path_params,
            head,
            conn,
            by_identity,
            &mut shared_limit,
        )
    });
    let decorate = |headers: &mut http::HeaderMap| {
        if let Some(cors) = cors {
            cors.decorate(head.headers.get(http::header::ORIGIN), headers);
        }
    };
    let shared_limit = shared_limit.map(|pending| match cors {
        Some(_) => {
            let mut headers = http::HeaderMap::new();
            decorate(&mut headers);
            pending.with_headers(headers)
        }
        None => pending,
    });
    Entry {
        decision: decision.map_err(|mut refusal| {
            decorate(refusal.headers_mut());
            refusal
        }),
        shared_limit,
    }
}

/// Take a token from the route's rate limit, if it has one (or say what to ask Redis).
fn limit(
    rate_limit: Option<&rate_limit::RateLimit>,
    conn: &ConnInfo,
    head: &http::request::Parts,
) -> Result<Option<rate_limit::Pending>, auth::Refusal> {
    rate_limit.map_or(Ok(None), |limit| limit.check(conn, &head.headers, None))
}

/// Read a route's parameters from the request, or every field that failed.
fn read_params(
    specs: &[params::ParamSpec],
    path_params: matchit::Params<'_, '_>,
    parts: &http::request::Parts,
) -> Result<Vec<Value>, Vec<errors::FieldError>> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let query = parts.uri.query();
    if let Some(query) = query {
        params::check_utf8(Source::Query, query.as_bytes()).map_err(|err| vec![err])?;
    }
    let path_params = path_params
        .iter()
        .map(|(k, v)| {
            (
                k,
                percent_encoding::percent_decode_str(v).decode_utf8_lossy(),
            )
        })
        .collect::<Vec<(&str, Cow<'_, str>)>>();
    let request = RequestParts::new(path_params, query, &parts.headers);
    params::extract(specs, &request)
}

/// Read the request's body, take a place in the queue, call the route's handler in
/// Python and wait for its response.
pub async fn serve<B>(
    bridge: &Arc<BridgeInner>,
    route: Arc<Route>,
    values: Vec<Value>,
    head: http::request::Parts,
    body: B,
    gate: Gate,
    max_body_size: usize,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError> + Send,
{
    // Temporary files of uploads live until the response is ready (or this is dropped).
    let (body, form, _temp_files) = match &route.form {
        // Boxed: a form reader's state is large and most routes read none.
        Some(spec) => match Box::pin(form::read(spec, &head.headers, body, max_body_size)).await {
            Ok((values, temp_files)) => (None, Some(values), temp_files),
            Err(response) => return response,
        },
        None if route.body_loader.is_some() || route.request_param.is_some() => {
            match read_body(body, max_body_size).await {
                Ok(bytes) => (Some(bytes), None, Default::default()),
                Err(response) => return response,
            }
        }
        None => (None, None, Default::default()),
    };
    // Held until the response head is ready.
    let _place = match gate.enter() {
        Ok(place) => place,
        Err(refusal) => return refusal.response(),
    };
    let query = match route.loader_reads_query {
        true => Some(Bytes::copy_from_slice(
            head.uri.query().unwrap_or_default().as_bytes(),
        )),
        false => None,
    };
    // The handler's `Request` gets the head; the response needs only its headers.
    let method = head.method.clone();
    let (head, headers) = match route.request_param.is_some() {
        true => {
            let headers = head.headers.clone();
            (Some(head), headers)
        }
        false => {
            let mut head = head;
            (None, std::mem::take(&mut head.headers))
        }
    };
    let wanted = outgoing::Wanted { method, headers };
    let input = call::Input {
        values,
        form,
        body,
        query,
        head,
    };
    let (reply, response) = oneshot::channel();
    let shared = bridge.clone();
    let called = route.clone();
    bridge.submit(Box::new(move |py, lp| {
        // The stream was reset (or the client left) while the request waited in the
        // batch: its handler must not run (HTTP/2 rapid reset).
        if !reply.is_closed() {
            call::call(py, lp, &shared, called, input, reply)
        }
    }));
    let response = response.await.unwrap_or_else(|_| errors::internal_error());
    let mut response = outgoing::finish(bridge, &route, &wanted, response).await;
    if let Some(cors) = &route.cors {
        let origin = wanted.headers.get(http::header::ORIGIN);
        cors.decorate(origin, response.headers_mut());
    }
    response
}

/// The whole request body, or 413 past `limit`, 408 if it came too slowly, or 400 if
/// the client broke it off.
async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, Response<ResponseBody>>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError> + Send,
{
    if body.size_hint().lower() > limit as u64 {
        return Err(errors::payload_too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) => Err(crate::request_body::failure_response(&err, limit)),
    }
}
