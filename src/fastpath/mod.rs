//! The fast path: Bolt routes matched, read and coerced in Rust, then handed to Python
//! once with their arguments ready.

pub mod call;
mod compression;
pub mod errors;
mod formats;
mod outgoing;
pub mod params;
pub mod request;
pub mod router;
mod stream;

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use tokio::sync::oneshot;

use crate::body::{BoxError, ResponseBody};
use crate::python::BridgeInner;
use params::{RequestParts, Value};
pub use router::{Lookup, Route, RouteTable};

/// Read the route's parameters from the request, or every field that failed.
pub fn read_params(
    route: &Route,
    path_params: matchit::Params<'_, '_>,
    parts: &http::request::Parts,
) -> Result<Vec<Value>, Vec<errors::FieldError>> {
    if route.params.is_empty() {
        return Ok(Vec::new());
    }
    let query = parts.uri.query();
    let undecodable = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .is_err()
    };
    if query.is_some_and(|q| undecodable(&q.replace('+', " "))) {
        return Err(vec![errors::FieldError {
            location: "query",
            name: String::new(),
            message: "The query string is not valid UTF-8 once percent-decoded".into(),
            kind: "unicode_error",
        }]);
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
    params::extract(&route.params, &request)
}

/// Call the route's handler in Python and wait for its response.
pub async fn serve<B>(
    bridge: &Arc<BridgeInner>,
    route: Arc<Route>,
    values: Vec<Value>,
    head: http::request::Parts,
    body: B,
    max_body_size: usize,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError> + Send,
{
    let body = match route.body_loader.is_some() || route.request_param.is_some() {
        true => match read_body(body, max_body_size).await {
            Ok(bytes) => Some(bytes),
            Err(response) => return response,
        },
        false => None,
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
        body,
        query,
        head,
    };
    let (reply, response) = oneshot::channel();
    let shared = bridge.clone();
    let called = route.clone();
    bridge.submit(Box::new(move |py, lp| {
        call::call(py, lp, &shared, called, input, reply)
    }));
    let response = response.await.unwrap_or_else(|_| errors::internal_error());
    outgoing::finish(bridge, &route, &wanted, response).await
}

/// The whole request body, or 413 past `limit`, or 400 if the client broke it off.
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
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            Err(errors::payload_too_large(limit))
        }
        Err(_) => Err(errors::detail(
            http::StatusCode::BAD_REQUEST,
            "The request body could not be read",
        )),
    }
}
