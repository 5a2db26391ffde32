//! Which requests ask for a WebSocket, and where their socket comes from once the
//! handshake is answered: hyper's upgrade of a real connection, or the test client's
//! in-process pipe.

use std::sync::Arc;

use http::header;
use hyper::upgrade::OnUpgrade;
use parking_lot::Mutex;
use tokio::io::DuplexStream;
use tokio::sync::oneshot;

/// Whether a request asks for a WebSocket: an HTTP/1.1 upgrade (RFC 6455 §4.1) or an
/// HTTP/2 extended CONNECT with `:protocol` websocket (RFC 8441).
fn is_upgrade(head: &http::request::Parts) -> bool {
    if head.method == http::Method::CONNECT {
        return head
            .extensions
            .get::<hyper::ext::Protocol>()
            .is_some_and(|p| p.as_str().eq_ignore_ascii_case("websocket"));
    }
    let has_token = |name: header::HeaderName, token: &str| {
        head.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    head.method == http::Method::GET
        && has_token(header::UPGRADE, "websocket")
        && has_token(header::CONNECTION, "upgrade")
}

/// Where the socket comes from once the handshake is answered.
pub enum Upgrade {
    /// A real connection, handed over by hyper after the 101 (or the CONNECT's 200).
    Hyper(OnUpgrade),
    /// The test client's end of an in-process pipe.
    InProcess(InProcessSocket),
}

impl Upgrade {
    /// Who waits for the app to end (the in-process test client); None for a real socket.
    pub fn take_app_done(&mut self) -> Option<oneshot::Sender<()>> {
        match self {
            Upgrade::InProcess(socket) => socket.app_done.take(),
            Upgrade::Hyper(_) => None,
        }
    }
}

/// The server's end of the test client's pipe, and who to tell when the app is done.
pub struct InProcessSocket {
    pub stream: DuplexStream,
    pub app_done: Option<oneshot::Sender<()>>,
}

/// Carries an [`InProcessSocket`] in the request's extensions (which must be Clone).
#[derive(Clone)]
pub struct InProcessUpgrade(pub Arc<Mutex<Option<InProcessSocket>>>);

/// The socket of a WebSocket request, taken out of its extensions; None for any other.
pub fn take_upgrade(head: &mut http::request::Parts) -> Option<Upgrade> {
    if !is_upgrade(head) {
        return None;
    }
    if let Some(socket) = head.extensions.remove::<InProcessUpgrade>() {
        return socket.0.lock().take().map(Upgrade::InProcess);
    }
    head.extensions.remove::<OnUpgrade>().map(Upgrade::Hyper)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(request: http::request::Builder) -> http::request::Parts {
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn http1_needs_get_and_both_tokens_in_any_list() {
        let upgrade = |method: &str, connection: &str| {
            is_upgrade(&head(
                http::Request::builder()
                    .method(method)
                    .uri("/ws")
                    .header("upgrade", "WebSocket")
                    .header("connection", connection),
            ))
        };
        assert!(upgrade("GET", "keep-alive, Upgrade"));
        assert!(!upgrade("GET", "keep-alive"));
        assert!(!upgrade("POST", "upgrade"));
        assert!(!is_upgrade(&head(http::Request::get("/ws"))));
    }

    #[test]
    fn http2_needs_connect_with_the_websocket_protocol() {
        let connect = |protocol: Option<&'static str>| {
            let mut head = head(http::Request::connect("https://example.com/ws"));
            if let Some(protocol) = protocol {
                head.extensions
                    .insert(hyper::ext::Protocol::from_static(protocol));
            }
            is_upgrade(&head)
        };
        assert!(connect(Some("websocket")));
        assert!(!connect(Some("webtransport")));
        assert!(!connect(None));
    }
}
