//! The one protocol-agnostic service: a request in, a response out, whichever protocol
//! carried it. Bolt routes take the fast path; everything else goes to the ASGI app.

use std::sync::Arc;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode, Version};
use http_body::Body;

use crate::access_log::{request_id, AccessLog};
use crate::admission::Queue;
use crate::asgi::websocket::AsgiEndpoint;
use crate::asgi::{self, AsgiApp};
use crate::body::{BoxError, ResponseBody};
use crate::conn::ConnInfo;
use crate::errors;
use crate::fastpath::websocket::{BoltEndpoint, WebSocketRoute};
use crate::fastpath::{self, Lookup, RouteTable};
use crate::files::mounts::StaticFiles;
use crate::lifecycle::Lifecycle;
use crate::python::BridgeInner;
use crate::request_body::{Origin, Pace, Paced};
use crate::websocket::{self, Upgrade};

/// Limits every protocol applies the same way.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_body_size: usize,
    /// How fast a request body must arrive (408 otherwise).
    pub body_pace: Pace,
    /// Time an ASGI app gets to start its response before the client gets 504.
    pub response_timeout: Option<std::time::Duration>,
}

/// What a server (or a test client) serves.
pub struct AppInner {
    pub bridge: Arc<BridgeInner>,
    pub routes: Option<pyo3::Py<RouteTable>>,
    pub asgi: Option<Arc<AsgiApp>>,
    pub limits: Limits,
    /// Requests waiting for Python (503 when full, 429 for a client over its share).
    pub queue: Arc<Queue>,
    pub proxies: crate::proxy::TrustedProxies,
    /// Django's `ALLOWED_HOSTS` for Bolt routes; `None` answers every host.
    pub allowed_hosts: Option<fastpath::allowed_hosts::AllowedHosts>,
    /// Static and media folders answered from Rust, after Bolt routes, before ASGI.
    pub static_files: Option<pyo3::Py<StaticFiles>>,
    /// The liveness answer, on a path no Bolt route takes.
    pub health: crate::health::Health,
    /// One entry per answered request; `None`: off.
    pub access_log: Option<Arc<AccessLog>>,
    /// Keep or make `X-Request-ID` (request, response, log, Rust's error bodies).
    pub request_ids: bool,
    /// Requests answered, and the close code of WebSockets once the server stops.
    pub lifecycle: Lifecycle,
}

pub async fn handle<B>(
    app: Arc<AppInner>,
    conn: Arc<ConnInfo>,
    request: Request<B>,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError> + Send,
{
    app.lifecycle.count_request();
    let is_head = request.method() == Method::HEAD;
    let (mut head, body) = request.into_parts();
    let request_id = app.request_ids.then(|| request_id::take(&mut head.headers));
    let problem = malformed(&head);
    let conn = match app.proxies.is_empty() || problem.is_some() {
        true => conn,
        false => app.proxies.apply(&conn, &mut head).map_or(conn, Arc::new),
    };
    let client = conn.client.map(|addr| addr.ip());
    let entry = app
        .access_log
        .as_ref()
        .map(|log| log.begin(&head, client, request_id.clone()));
    let mut response = match problem {
        Some(problem) => errors::detail(StatusCode::BAD_REQUEST, problem),
        None => dispatch(&app, conn, head, body).await,
    };
    if is_head {
        response = without_body(response);
    }
    if let Some(id) = request_id {
        // In the body only where it can be matched with a log line.
        if app.access_log.is_some() {
            errors::with_request_id(&mut response, &id);
        }
        response
            .headers_mut()
            .entry(&request_id::HEADER)
            .or_insert(id);
    }
    if let Some(mut entry) = entry {
        entry.answered(response.status());
        response.body_mut().log(entry);
    }
    response
}

/// What RFC 9112 makes a server refuse that hyper lets through.
fn malformed(head: &http::request::Parts) -> Option<&'static str> {
    let hosts = head.headers.get_all(header::HOST).iter().count();
    match head.version {
        Version::HTTP_11 if hosts == 0 => Some("HTTP/1.1 requests need a Host header"),
        Version::HTTP_11 | Version::HTTP_10 if hosts > 1 => Some("More than one Host header"),
        _ => None,
    }
}

/// HEAD gets the GET's headers and no body, on every protocol (hyper drops the body
/// only on HTTP/1.1). A 204 or 304 has no length to tell.
fn without_body(mut response: Response<ResponseBody>) -> Response<ResponseBody> {
    let bodiless = matches!(
        response.status(),
        StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED
    );
    if let Some(length) = response.body_mut().strip().filter(|_| !bodiless) {
        response
            .headers_mut()
            .entry(header::CONTENT_LENGTH)
            .or_insert(length.into());
    }
    response
}

async fn dispatch<B>(
    app: &Arc<AppInner>,
    conn: Arc<ConnInfo>,
    head: http::request::Parts,
    body: B,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError> + Send,
{
    let mut head = head;
    let mut route = route(app, &conn, &mut head);
    if let Route::Limited(limit, then) = route {
        // Boxed: only routes with a shared limit wait on Redis.
        route = match Box::pin(limit.check()).await {
            Ok(()) => *then,
            Err(refusal) => Route::Answered(*refusal),
        };
    }
    if let Route::Answered(answer) = route {
        return answer;
    }
    let client = conn.client.map(|addr| addr.ip());
    let gate = app.queue.gate(client);
    let limits = &app.limits;
    let origin = || Origin {
        method: head.method.clone(),
        uri: head.uri.clone(),
        client,
    };
    let body = Paced::new(body, limits.body_pace, origin);
    // Every HTTP/2 stream moves this future into a task of its own: the other roads
    // are boxed so that the fast path's future stays small.
    match route {
        Route::Bolt(route, values) => {
            if route.request_param.is_some() {
                // What `Request.scheme` and `Request.client` read; routes whose
                // handler never sees the Request skip it.
                head.extensions.insert(conn);
            }
            fastpath::serve(
                &app.bridge,
                route,
                values,
                head,
                body,
                gate,
                limits.max_body_size,
            )
            .await
        }
        Route::Asgi(asgi) => {
            Box::pin(asgi::serve(
                &app.bridge,
                asgi,
                conn,
                head,
                body,
                gate,
                limits.max_body_size,
                limits.response_timeout,
            ))
            .await
        }
        // A handshake is ready for Python at once: it has no body.
        Route::AsgiWebSocket(asgi, upgrade) => {
            let _place = match gate.enter() {
                Ok(place) => place,
                Err(refusal) => return refusal.response(),
            };
            let endpoint = AsgiEndpoint { app: asgi, conn };
            let max_message_size = limits.max_body_size;
            let closing = app.lifecycle.closing();
            let serve = asgi::websocket::serve(
                &app.bridge,
                head,
                upgrade,
                max_message_size,
                closing,
                endpoint,
            );
            Box::pin(serve).await
        }
        Route::BoltWebSocket(route, values, upgrade) => {
            let _place = match gate.enter() {
                Ok(place) => place,
                Err(refusal) => return refusal.response(),
            };
            let endpoint = BoltEndpoint {
                route,
                values,
                conn,
            };
            let max_message_size = limits.max_body_size;
            let closing = app.lifecycle.closing();
            let serve = asgi::websocket::serve(
                &app.bridge,
                head,
                upgrade,
                max_message_size,
                closing,
                endpoint,
            );
            Box::pin(serve).await
        }
        Route::Answered(answer) => answer,
        Route::Limited(..) => unreachable!("a shared rate limit is asked first"),
        // Files never wait for Python: the gate is not entered.
        Route::Static(files) => Box::pin(files.serve(&app.bridge, &head)).await,
    }
}

/// Where a request goes.
enum Route<'a> {
    Bolt(Arc<fastpath::Route>, Vec<fastpath::params::Value>),
    Asgi(Arc<AsgiApp>),
    AsgiWebSocket(Arc<AsgiApp>, Upgrade),
    BoltWebSocket(Arc<WebSocketRoute>, Vec<fastpath::params::Value>, Upgrade),
    /// Rust answers by itself: 401, 403, 404 (also under an owned prefix), 405, 422,
    /// 426, 429, OPTIONS, health.
    Answered(Response<ResponseBody>),
    /// A file of a static or media folder.
    Static(&'a StaticFiles),
    /// Where the request goes once its route's shared rate limit lets it (Redis).
    Limited(fastpath::rate_limit::Pending, Box<Route<'a>>),
}

impl<'a> Route<'a> {
    /// `self`, once the route's shared rate limit (if it has one) lets the request in.
    fn after(self, shared_limit: Option<fastpath::rate_limit::Pending>) -> Route<'a> {
        match shared_limit {
            Some(limit) => Route::Limited(limit, Box::new(self)),
            None => self,
        }
    }
}

fn route<'a>(app: &'a AppInner, conn: &ConnInfo, head: &mut http::request::Parts) -> Route<'a> {
    let upgrade = websocket::take_upgrade(head);
    // Under a prefix Bolt owns, what no route matches is Rust's 404, not the ASGI app's.
    let mut owned = false;
    if let Some(routes) = &app.routes {
        let routes = routes.get();
        let websocket = upgrade.is_some().then(|| routes.websocket(head.uri.path()));
        if let Some((route, params)) = websocket.flatten() {
            let upgrade = upgrade.expect("only a handshake looks up WebSocket routes");
            if let Some(refusal) = host_refusal(app, conn, head) {
                return Route::Answered(refusal);
            }
            let entry = fastpath::enter(&route.common, None, conn, params, head);
            let decided = match entry.decision {
                Ok(admitted) => Route::BoltWebSocket(route.clone(), admitted.values(head), upgrade),
                Err(refusal) => Route::Answered(*refusal),
            };
            return decided.after(entry.shared_limit);
        }
        let lookup = routes.lookup(&head.method, head.uri.path());
        // A path of a Bolt route, or of a WebSocket route only (426).
        let bolt_path =
            !matches!(lookup, Lookup::NotFound) || routes.websocket(head.uri.path()).is_some();
        if bolt_path {
            if let Some(refusal) = host_refusal(app, conn, head) {
                return Route::Answered(refusal);
            }
        }
        // Before auth: a browser's preflight carries no credentials.
        let preflight = fastpath::cors::preflight_method(head);
        if let Some(cors) = preflight.and_then(|m| routes.cors(&m, head.uri.path())) {
            return Route::Answered(cors.preflight(&head.headers));
        }
        match lookup {
            Lookup::Found(route, params) => {
                let entry =
                    fastpath::enter(&route.common, route.cors.as_deref(), conn, params, head);
                let decided = match entry.decision {
                    Ok(admitted) => Route::Bolt(route.clone(), admitted.values(head)),
                    Err(refusal) => Route::Answered(*refusal),
                };
                return decided.after(entry.shared_limit);
            }
            Lookup::MethodNotAllowed(allow) => {
                return Route::Answered(errors::method_not_allowed(allow))
            }
            Lookup::Options(allow) => return Route::Answered(errors::options(allow)),
            Lookup::NotFound if bolt_path => return Route::Answered(errors::upgrade_required()),
            Lookup::NotFound => owned = routes.owns(head.uri.path()),
        }
    }
    if let Some(answer) = upgrade.is_none().then(|| app.health.answer(head)).flatten() {
        return Route::Answered(answer);
    }
    let files = app.static_files.as_ref().map(|files| files.get());
    if let Some(files) = files.filter(|f| upgrade.is_none() && f.covers(head.uri.path())) {
        return Route::Static(files);
    }
    if owned {
        let refusal = host_refusal(app, conn, head);
        return Route::Answered(refusal.unwrap_or_else(errors::not_found));
    }
    asgi_route(app, upgrade)
}

/// Bolt routes answer only hosts Django allows, before anything of the route runs.
fn host_refusal(
    app: &AppInner,
    conn: &ConnInfo,
    head: &http::request::Parts,
) -> Option<Response<ResponseBody>> {
    let hosts = app.allowed_hosts.as_ref()?;
    hosts.refusal(&app.bridge, conn, head)
}

/// Where a request no Bolt route takes goes: the ASGI app, or 404 without one.
fn asgi_route(app: &AppInner, upgrade: Option<Upgrade>) -> Route<'static> {
    match (&app.asgi, upgrade) {
        (Some(asgi), Some(upgrade)) => Route::AsgiWebSocket(asgi.clone(), upgrade),
        (Some(asgi), None) => Route::Asgi(asgi.clone()),
        (None, _) => Route::Answered(errors::not_found()),
    }
}
