//! The one protocol-agnostic service: a request in, a response out, whichever protocol
//! carried it. Bolt routes take the fast path; everything else goes to the ASGI app.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;

use crate::asgi::{self, AsgiApp, ConnInfo};
use crate::body::{BoxError, ResponseBody};
use crate::fastpath::{self, errors, Lookup, RouteTable};
use crate::python::BridgeInner;

/// Limits every protocol applies the same way.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_body_size: usize,
}

/// What a server (or a test client) serves.
pub struct AppInner {
    pub bridge: Arc<BridgeInner>,
    pub routes: Option<pyo3::Py<RouteTable>>,
    pub asgi: Option<Arc<AsgiApp>>,
    pub limits: Limits,
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
    let (head, body) = request.into_parts();
    let routed = match &app.routes {
        Some(routes) => route(routes.get(), &head),
        None => Routed::Elsewhere,
    };
    match routed {
        Routed::Bolt(route, values) => {
            fastpath::serve(&app.bridge, route, values, body, app.limits.max_body_size).await
        }
        Routed::Answered(response) => response,
        Routed::Elsewhere => match &app.asgi {
            Some(asgi) => asgi::serve(&app.bridge, asgi.clone(), conn, head, body).await,
            None => errors::not_found(),
        },
    }
}

enum Routed {
    Bolt(Arc<fastpath::Route>, Vec<fastpath::params::Value>),
    Answered(Response<ResponseBody>),
    Elsewhere,
}

fn route(routes: &RouteTable, head: &http::request::Parts) -> Routed {
    match routes.lookup(&head.method, head.uri.path()) {
        Lookup::Found(route, params) => match fastpath::read_params(route, params, head) {
            Ok(values) => Routed::Bolt(route.clone(), values),
            Err(failures) => Routed::Answered(errors::unprocessable(&failures)),
        },
        Lookup::NotFound => Routed::Elsewhere,
        other => fastpath::answer_without_route(other).map_or(Routed::Elsewhere, Routed::Answered),
    }
}
