//! Error responses answered in Rust: JSON bodies shaped `{"detail": ...}`, with the
//! request's id added (`"request_id"`) on the way out when the server makes ids.

use http::{header, HeaderValue, Response, StatusCode};

use crate::body::ResponseBody;
use crate::json::push_json_string;

/// One failing field of a 422 answer.
#[derive(Debug)]
pub struct FieldError {
    pub location: &'static str,
    pub name: String,
    pub message: String,
    pub kind: &'static str,
}

pub fn json_response(status: StatusCode, body: String) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Marks a response whose body is a JSON object this module made.
#[derive(Clone, Copy)]
struct Made;

/// A JSON object body of this module: it can take the request id.
fn made(status: StatusCode, body: String) -> Response<ResponseBody> {
    let mut response = json_response(status, body);
    response.extensions_mut().insert(Made);
    response
}

/// `{"detail": "<message>"}` with `status`.
pub fn detail(status: StatusCode, message: &str) -> Response<ResponseBody> {
    let mut body = String::with_capacity(message.len() + 16);
    body.push_str("{\"detail\":");
    push_json_string(&mut body, message);
    body.push('}');
    made(status, body)
}

/// Add `"request_id"` to an error body this module made; other responses pass as
/// they are.
pub fn with_request_id(response: &mut Response<ResponseBody>, id: &HeaderValue) {
    if response.extensions_mut().remove::<Made>().is_none() {
        return;
    }
    let (Some(body), Ok(id)) = (response.body().as_full(), id.to_str()) else {
        return;
    };
    let Some(Ok(object)) = body.strip_suffix(b"}").map(std::str::from_utf8) else {
        return;
    };
    let mut whole = String::with_capacity(object.len() + id.len() + 20);
    whole.push_str(object);
    whole.push_str(",\"request_id\":");
    push_json_string(&mut whole, id);
    whole.push('}');
    *response.body_mut() = ResponseBody::full(whole);
}

pub fn not_found() -> Response<ResponseBody> {
    detail(StatusCode::NOT_FOUND, "Not Found")
}

pub fn method_not_allowed(allow: HeaderValue) -> Response<ResponseBody> {
    let mut response = detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    response.headers_mut().insert(header::ALLOW, allow);
    response
}

/// OPTIONS on a route path without an OPTIONS handler: which methods it takes.
pub fn options(allow: HeaderValue) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response.headers_mut().insert(header::ALLOW, allow);
    response
}

/// A plain HTTP request to a path served only as a WebSocket.
pub fn upgrade_required() -> Response<ResponseBody> {
    let mut response = detail(
        StatusCode::UPGRADE_REQUIRED,
        "This path only accepts WebSocket connections",
    );
    response
        .headers_mut()
        .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    response
}

/// `detail`, with the `Retry-After` seconds a client should wait (429, 503).
pub fn retry_after(status: StatusCode, message: &str, seconds: u64) -> Response<ResponseBody> {
    let mut response = detail(status, message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Too many requests are already waiting for Python.
pub fn overloaded() -> Response<ResponseBody> {
    let message = "The server is busy; try again shortly";
    retry_after(StatusCode::SERVICE_UNAVAILABLE, message, 1)
}

/// One client already has `limit` requests waiting for Python.
pub fn too_many_waiting(limit: usize) -> Response<ResponseBody> {
    let message = format!(
        "This client already has {limit} requests waiting for the server; try again shortly"
    );
    retry_after(StatusCode::TOO_MANY_REQUESTS, &message, 1)
}

pub fn payload_too_large(limit: usize) -> Response<ResponseBody> {
    detail(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("Request body exceeds the limit of {limit} bytes"),
    )
}

pub fn internal_error() -> Response<ResponseBody> {
    detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// 422 naming every failing field: `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`.
pub fn unprocessable(errors: &[FieldError]) -> Response<ResponseBody> {
    let mut body = String::from("{\"detail\":[");
    for (i, err) in errors.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str("{\"loc\":[");
        push_json_string(&mut body, err.location);
        body.push(',');
        push_json_string(&mut body, &err.name);
        body.push_str("],\"msg\":");
        push_json_string(&mut body, &err.message);
        body.push_str(",\"type\":");
        push_json_string(&mut body, err.kind);
        body.push('}');
    }
    body.push_str("]}");
    made(StatusCode::UNPROCESSABLE_ENTITY, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_request_id_to_made_bodies_only() {
        let id = HeaderValue::from_static("r\"1");
        let mut made = not_found();
        with_request_id(&mut made, &id);
        let body = made.body().as_full().unwrap();
        assert_eq!(&body[..], br#"{"detail":"Not Found","request_id":"r\"1"}"#);
        let mut other = json_response(StatusCode::OK, "{}".into());
        with_request_id(&mut other, &id);
        assert_eq!(&other.body().as_full().unwrap()[..], b"{}");
    }
}
