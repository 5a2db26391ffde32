//! The HTTP side of the handshake: checking the request, and the answer that accepts
//! it (RFC 6455 §4.2 on HTTP/1.1, RFC 8441 on HTTP/2). Whether to accept is the app's
//! decision; these only say how.

use http::header::{self, InvalidHeaderValue};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::body::ResponseBody;
use crate::errors;

/// What proves the handshake: the client's `Sec-WebSocket-Key` on HTTP/1.1; None on
/// HTTP/2, which has no key (the stream itself is the proof).
pub type Key = Option<HeaderValue>;

/// The handshake's key, or the 400 that refuses a request without one (or of another
/// version than 13).
pub fn key(head: &http::request::Parts) -> Result<Key, Box<Response<ResponseBody>>> {
    let key = match head.version {
        http::Version::HTTP_2 => Some(None),
        _ => head
            .headers
            .get(header::SEC_WEBSOCKET_KEY)
            .cloned()
            .map(Some),
    };
    let version_ok = head
        .headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v == "13");
    key.filter(|_| version_ok).ok_or_else(|| {
        let mut response = errors::detail(
            StatusCode::BAD_REQUEST,
            "WebSocket handshake needs Sec-WebSocket-Key and version 13",
        );
        response.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        Box::new(response)
    })
}

/// The answer that accepts the handshake, with the app's `headers`: 101 with the
/// upgrade headers and `Sec-WebSocket-Accept` on HTTP/1.1, 200 on HTTP/2.
pub fn accepted(headers: HeaderMap, key: Key) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::empty());
    *response.headers_mut() = headers;
    if let Some(key) = key {
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
            .expect("base64 is a valid header");
        let map = response.headers_mut();
        map.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        map.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        map.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// Name the subprotocol the app chose in the accepting answer's `headers`.
pub fn subprotocol(headers: &mut HeaderMap, protocol: &str) -> Result<(), InvalidHeaderValue> {
    headers.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_str(protocol)?,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(version: http::Version, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut request = http::Request::get("/ws").version(version);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn http1_accepts_with_the_key_of_rfc_6455() {
        let key = key(&head(
            http::Version::HTTP_11,
            &[
                ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("sec-websocket-version", "13"),
            ],
        ))
        .map_err(|refusal| refusal.status())
        .expect("a valid handshake");
        let response = accepted(HeaderMap::new(), key);
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        let headers = response.headers();
        assert_eq!(headers[header::UPGRADE], "websocket");
        assert_eq!(headers[header::CONNECTION], "Upgrade");
        assert_eq!(
            headers[header::SEC_WEBSOCKET_ACCEPT],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn http2_has_no_key_and_answers_200() {
        let key = key(&head(
            http::Version::HTTP_2,
            &[("sec-websocket-version", "13")],
        ))
        .map_err(|refusal| refusal.status())
        .expect("a valid handshake");
        let response = accepted(HeaderMap::new(), key);
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response
            .headers()
            .get(header::SEC_WEBSOCKET_ACCEPT)
            .is_none());
    }

    #[test]
    fn a_missing_key_or_another_version_is_400_naming_13() {
        for headers in [
            &[("sec-websocket-version", "13")][..],
            &[
                ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("sec-websocket-version", "8"),
            ],
        ] {
            let refusal = key(&head(http::Version::HTTP_11, headers)).unwrap_err();
            assert_eq!(refusal.status(), StatusCode::BAD_REQUEST);
            assert_eq!(refusal.headers()[header::SEC_WEBSOCKET_VERSION], "13");
        }
    }

    #[test]
    fn the_subprotocol_must_be_a_header_value() {
        let mut headers = HeaderMap::new();
        subprotocol(&mut headers, "chat.v2").unwrap();
        assert_eq!(headers[header::SEC_WEBSOCKET_PROTOCOL], "chat.v2");
        assert!(subprotocol(&mut headers, "bad\nvalue").is_err());
    }
}
