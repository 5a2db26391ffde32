//! WebSocket sessions over an HTTP/1.1 upgrade or HTTP/2 extended CONNECT, with
//! tokio-tungstenite: the ASGI `websocket` scope, and the same session under Bolt
//! `@api.websocket` routes (`fastpath::websocket`).
//!
//! The app decides the handshake (`websocket.accept`, `websocket.close`, or a plain
//! HTTP answer through the `websocket.http.response` extension); after the 101, one
//! task reads frames into the app's inbox and writes what the app sends.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use pyo3::exceptions::asyncio::CancelledError;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::exchange::{disconnected, required};
use super::scope::{self, AsgiApp, ConnInfo};
use super::{asgi_headers, forward, try_push};
use crate::body::ResponseBody;
use crate::fastpath::call::body_bytes;
use crate::fastpath::errors;
use crate::python::{
    log, BridgeInner, ClientDisconnected, EventLoop, Level, Mailbox, Outcome, Ready, Recipient,
};

/// Messages waiting in each direction before the sender waits.
const OUTBOUND_MESSAGES: usize = 16;

/// Whether a request asks for a WebSocket: an HTTP/1.1 upgrade (RFC 6455 §4.1) or an
/// HTTP/2 extended CONNECT with `:protocol` websocket (RFC 8441).
pub fn is_upgrade(head: &http::request::Parts) -> bool {
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

/// What the app answered the handshake with.
enum Handshake {
    Accept {
        headers: HeaderMap,
        outbound: mpsc::Receiver<Message>,
    },
    Respond(Response<ResponseBody>),
}

enum Phase {
    Handshake(oneshot::Sender<Handshake>),
    /// `websocket.http.response.start` seen; the body is being collected.
    Denying(oneshot::Sender<Handshake>, StatusCode, HeaderMap, Vec<u8>),
    Open(mpsc::Sender<Message>),
    Closed,
}

/// What the app's `receive()` gets, in order.
enum Event {
    Connect,
    Text(String),
    Binary(Bytes),
    /// The close code and reason the client sent (1005/1006 and "" when it sent none).
    Disconnect(u16, String),
}

/// What the client sent that the app has not received yet.
pub struct Inbox {
    events: VecDeque<Event>,
    disconnected: bool,
}

pub struct Session {
    bridge: Arc<BridgeInner>,
    inbox: Mailbox<Inbox>,
    phase: Mutex<Phase>,
    /// Who the app is, for the log line of an exception it raises.
    app_name: String,
    /// Told when the app's task has ended (the in-process test client waits for it).
    app_done: Mutex<Option<oneshot::Sender<()>>>,
}

impl Session {
    fn new(
        bridge: Arc<BridgeInner>,
        handshake: oneshot::Sender<Handshake>,
        app_name: String,
        app_done: Option<oneshot::Sender<()>>,
    ) -> Arc<Self> {
        Arc::new(Session {
            app_name,
            app_done: Mutex::new(app_done),
            bridge,
            inbox: Mailbox::new(Inbox {
                events: VecDeque::from([Event::Connect]),
                disconnected: false,
            }),
            phase: Mutex::new(Phase::Handshake(handshake)),
        })
    }

    // ---- tokio side ----------------------------------------------------------------

    fn deliver(self: &Arc<Self>, event: Event) {
        Mailbox::post(self, |inbox| {
            if inbox.disconnected {
                return false;
            }
            inbox.disconnected = matches!(event, Event::Disconnect(..));
            inbox.events.push_back(event);
            true
        });
    }

    /// The connection is gone: the app hears `websocket.disconnect` with `code`.
    fn gone(self: &Arc<Self>, code: u16, reason: &str) {
        *self.phase.lock() = Phase::Closed;
        self.deliver(Event::Disconnect(code, reason.to_owned()));
    }

    /// Take the socket over once the handshake is answered, then pump frames.
    async fn run(
        self: Arc<Self>,
        upgrade: Upgrade,
        config: WebSocketConfig,
        outbound: mpsc::Receiver<Message>,
    ) {
        match upgrade {
            Upgrade::Hyper(upgrade) => match upgrade.await {
                Ok(upgraded) => self.pump(TokioIo::new(upgraded), config, outbound).await,
                Err(_) => self.gone(1006, ""),
            },
            Upgrade::InProcess(socket) => self.pump(socket.stream, config, outbound).await,
        }
    }

    /// Pump frames both ways until either side closes.
    async fn pump<S>(
        self: Arc<Self>,
        io: S,
        config: WebSocketConfig,
        mut outbound: mpsc::Receiver<Message>,
    ) where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
        let (mut sink, mut stream) = socket.split();
        let writer = async move {
            while let Some(message) = outbound.recv().await {
                let closing = matches!(message, Message::Close(_));
                if sink.send(message).await.is_err() || closing {
                    break;
                }
            }
            let _ = sink.close().await;
        };
        let reader = async {
            loop {
                match stream.next().await {
                    Some(Ok(Message::Text(text))) => {
                        self.deliver(Event::Text(text.as_str().to_owned()))
                    }
                    Some(Ok(Message::Binary(data))) => self.deliver(Event::Binary(data)),
                    Some(Ok(Message::Close(frame))) => {
                        break match frame {
                            Some(frame) => self.gone(frame.code.into(), &frame.reason),
                            None => self.gone(1005, ""),
                        };
                    }
                    Some(Ok(_)) => {} // ping and pong are answered by tungstenite
                    Some(Err(WsError::Capacity(_))) => {
                        self.close_from_server(CloseCode::Size, "message too big");
                        break self.gone(1009, "message too big");
                    }
                    Some(Err(_)) | None => break self.gone(1006, ""),
                }
            }
        };
        tokio::join!(reader, writer);
    }

    /// Send a close frame of our own (the app has not closed yet).
    fn close_from_server(&self, code: CloseCode, reason: &str) {
        if let Phase::Open(sender) = std::mem::replace(&mut *self.phase.lock(), Phase::Closed) {
            let _ = sender.try_send(close_message(code.into(), reason));
        }
    }

    // ---- loop thread -------------------------------------------------------------

    fn receive<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Mailbox::receive(self, py)
    }

    fn send<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kind: String = required(message, "type")?.extract()?;
        let mut phase = self.phase.lock();
        match (kind.as_str(), std::mem::replace(&mut *phase, Phase::Closed)) {
            ("websocket.accept", Phase::Handshake(reply)) => {
                let mut headers = asgi_headers(message)?;
                if let Some(protocol) = message.get_item("subprotocol")?.filter(|p| !p.is_none()) {
                    let protocol: String = protocol.extract()?;
                    let value = HeaderValue::from_str(&protocol)
                        .map_err(|_| PyValueError::new_err("invalid subprotocol"))?;
                    headers.insert(header::SEC_WEBSOCKET_PROTOCOL, value);
                }
                let (sender, outbound) = mpsc::channel(OUTBOUND_MESSAGES);
                reply
                    .send(Handshake::Accept { headers, outbound })
                    .map_err(|_| disconnected())?;
                *phase = Phase::Open(sender);
            }
            ("websocket.send", Phase::Open(sender)) => {
                let outgoing = match message.get_item("bytes")?.filter(|b| !b.is_none()) {
                    Some(data) => Message::Binary(body_bytes(&data)?),
                    None => {
                        let text: String = required(message, "text")?.extract()?;
                        Message::text(text)
                    }
                };
                *phase = Phase::Open(sender.clone());
                drop(phase);
                let pending = try_push(sender, outgoing).map_err(|_| disconnected())?;
                return forward(py, &self.bridge, pending);
            }
            ("websocket.close", Phase::Handshake(reply)) => {
                let _ = reply.send(Handshake::Respond(errors::detail(
                    StatusCode::FORBIDDEN,
                    "WebSocket connection refused",
                )));
            }
            ("websocket.close", Phase::Open(sender)) => {
                let code: u16 = message
                    .get_item("code")?
                    .map(|c| c.extract())
                    .transpose()?
                    .unwrap_or(1000);
                let reason: String = message
                    .get_item("reason")?
                    .filter(|r| !r.is_none())
                    .map(|r| r.extract())
                    .transpose()?
                    .unwrap_or_default();
                let _ = sender.try_send(close_message(code, &reason));
            }
            ("websocket.close", Phase::Closed) => {}
            ("websocket.http.response.start", Phase::Handshake(reply)) => {
                let status: u16 = required(message, "status")?.extract()?;
                let status = StatusCode::from_u16(status)
                    .map_err(|_| PyValueError::new_err("invalid status"))?;
                *phase = Phase::Denying(reply, status, asgi_headers(message)?, Vec::new());
            }
            ("websocket.http.response.body", Phase::Denying(reply, status, headers, mut body)) => {
                if let Some(chunk) = message.get_item("body")?.filter(|b| !b.is_none()) {
                    body.extend_from_slice(chunk.cast::<PyBytes>()?.as_bytes());
                }
                let more = message
                    .get_item("more_body")?
                    .map(|m| m.is_truthy())
                    .transpose()?
                    .unwrap_or(false);
                if more {
                    *phase = Phase::Denying(reply, status, headers, body);
                } else {
                    let mut response = Response::new(ResponseBody::full(body));
                    *response.status_mut() = status;
                    *response.headers_mut() = headers;
                    let _ = reply.send(Handshake::Respond(response));
                }
            }
            (_, Phase::Closed) if kind.starts_with("websocket.") => return Err(disconnected()),
            (_, previous) => {
                *phase = previous;
                return Err(PyRuntimeError::new_err(format!(
                    "ASGI message {kind:?} is not allowed now"
                )));
            }
        }
        Ready::none(py)
    }

    /// The app's task ended: refuse a handshake it never answered, close an open socket.
    fn app_finished(&self, py: Python<'_>, outcome: Outcome<'_>) {
        let failed = outcome.err();
        // A Task cancelled under it: the server is shutting down.
        let cancelled = failed
            .as_ref()
            .is_some_and(|err| err.is_instance_of::<CancelledError>(py));
        match std::mem::replace(&mut *self.phase.lock(), Phase::Closed) {
            Phase::Handshake(reply) | Phase::Denying(reply, ..) => {
                let (status, text) = match failed {
                    _ if cancelled => (StatusCode::SERVICE_UNAVAILABLE, "The server is stopping"),
                    Some(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
                    None => (StatusCode::FORBIDDEN, "WebSocket connection refused"),
                };
                let _ = reply.send(Handshake::Respond(errors::detail(status, text)));
            }
            Phase::Open(sender) => {
                let (code, reason) = match failed {
                    _ if cancelled => (1001, "server shutting down"),
                    Some(_) => (1011, ""),
                    None => (1000, ""),
                };
                let _ = sender.try_send(close_message(code, reason));
            }
            Phase::Closed => {}
        }
        match failed {
            Some(_) if cancelled => {}
            Some(err) if err.is_instance_of::<ClientDisconnected>(py) => {}
            Some(err) => log(
                py,
                Level::Error,
                &format!("Exception in {}", self.app_name),
                Some(err),
            ),
            None => {}
        }
        if let Some(done) = self.app_done.lock().take() {
            let _ = done.send(());
        }
    }
}

impl Recipient for Session {
    type Held = Inbox;

    fn mailbox(&self) -> &Mailbox<Inbox> {
        &self.inbox
    }

    fn bridge(&self) -> &Arc<BridgeInner> {
        &self.bridge
    }

    /// The next event, in order, as its ASGI message.
    fn next_message<'py>(
        &self,
        py: Python<'py>,
        inbox: &mut Inbox,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        inbox
            .events
            .pop_front()
            .map(|event| event_message(py, event).map(Bound::into_any))
            .transpose()
    }
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_owned().into(),
    }))
}

fn event_message<'py>(py: Python<'py>, event: Event) -> PyResult<Bound<'py, PyDict>> {
    use pyo3::intern;
    let message = PyDict::new(py);
    let kind = match event {
        Event::Connect => "websocket.connect",
        Event::Text(text) => {
            message.set_item(intern!(py, "text"), PyString::new(py, &text))?;
            "websocket.receive"
        }
        Event::Binary(data) => {
            message.set_item(intern!(py, "bytes"), PyBytes::new(py, &data))?;
            "websocket.receive"
        }
        Event::Disconnect(code, reason) => {
            message.set_item(intern!(py, "code"), code)?;
            message.set_item(intern!(py, "reason"), reason)?;
            "websocket.disconnect"
        }
    };
    message.set_item(intern!(py, "type"), PyString::intern(py, kind))?;
    Ok(message)
}

/// The Python side of a session: `receive` and `send` are its bound methods.
#[pyclass(frozen, module = "django_bolt._core")]
pub struct WebSocketChannel {
    session: Arc<Session>,
}

#[pymethods]
impl WebSocketChannel {
    fn receive<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.session.receive(py)
    }

    fn send<'py>(
        &self,
        py: Python<'py>,
        message: Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.session.send(py, &message)
    }
}

/// Tells the app the client left while the handshake was still undecided.
struct HandshakeGuard(Option<Arc<Session>>);

impl Drop for HandshakeGuard {
    fn drop(&mut self) {
        if let Some(session) = self.0.take() {
            session.gone(1006, "");
        }
    }
}

/// Run the ASGI app for a WebSocket upgrade; returns the handshake's answer.
pub async fn serve(
    bridge: &Arc<BridgeInner>,
    app: Arc<AsgiApp>,
    conn: Arc<ConnInfo>,
    head: http::request::Parts,
    upgrade: Upgrade,
    limits: &crate::service::Limits,
) -> Response<ResponseBody> {
    let name = "ASGI WebSocket application".to_owned();
    handshake(
        bridge,
        head,
        upgrade,
        limits,
        name,
        move |py, lp, head, channel| {
            let scope =
                scope::connection_scope(py, scope::Protocol::WebSocket, &head, &conn, &app)?;
            super::start_app(py, lp, &app, scope, channel)
        },
    )
    .await
}

/// Check the handshake request, start the app with `start` on the loop thread (it
/// returns the app's Task; `app_name` names the app in logs) and answer as the app
/// decides: 101 (200 on HTTP/2) and the session's frame pump, or its refusal.
pub async fn handshake<F>(
    bridge: &Arc<BridgeInner>,
    head: http::request::Parts,
    mut upgrade: Upgrade,
    limits: &crate::service::Limits,
    app_name: String,
    start: F,
) -> Response<ResponseBody>
where
    F: for<'py> FnOnce(
            Python<'py>,
            &EventLoop,
            http::request::Parts,
            WebSocketChannel,
        ) -> PyResult<Bound<'py, PyAny>>
        + Send
        + 'static,
{
    let max_message_size = limits.max_body_size;
    // HTTP/2 (RFC 8441) has no key: the stream itself is the proof of the handshake.
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
    let Some(key) = key.filter(|_| version_ok) else {
        let mut response = errors::detail(
            StatusCode::BAD_REQUEST,
            "WebSocket handshake needs Sec-WebSocket-Key and version 13",
        );
        response.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        return response;
    };
    let (reply, handshake) = oneshot::channel();
    let app_done = match &mut upgrade {
        Upgrade::InProcess(socket) => socket.app_done.take(),
        Upgrade::Hyper(_) => None,
    };
    let session = Session::new(bridge.clone(), reply, app_name, app_done);
    let mut guard = HandshakeGuard(Some(session.clone()));
    let started = session.clone();
    bridge.submit(Box::new(move |py, lp| {
        let channel = WebSocketChannel {
            session: started.clone(),
        };
        match start(py, lp, head, channel) {
            Ok(task) => crate::python::when_done(py, &task, move |py, outcome| {
                started.app_finished(py, outcome)
            }),
            Err(err) => started.app_finished(py, Err(err)),
        }
    }));
    let answer = handshake.await;
    guard.0 = None;
    match answer {
        Ok(Handshake::Accept { headers, outbound }) => {
            let config = WebSocketConfig::default()
                .max_message_size(Some(max_message_size))
                .max_frame_size(Some(max_message_size));
            crate::python::runtime().spawn(session.run(upgrade, config, outbound));
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
        Ok(Handshake::Respond(response)) => response,
        Err(_) => errors::internal_error(),
    }
}
