//! ASGI WebSocket sessions: the `websocket.*` messages between the app and the
//! transport (`crate::websocket`), for the ASGI `websocket` scope and the same session
//! under Bolt `@api.websocket` routes (any [`Endpoint`]).
//!
//! The app decides the handshake (`websocket.accept`, `websocket.close`, or a plain
//! HTTP answer through the `websocket.http.response` extension); after the 101, the
//! transport's frame pump reads frames into the app's inbox and writes what it sends.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use parking_lot::Mutex;
use pyo3::exceptions::asyncio::CancelledError;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use tokio::sync::{mpsc, oneshot, watch};

use super::scope::{self, AsgiApp};
use crate::body::ResponseBody;
use crate::conn::ConnInfo;
use crate::errors;
use crate::python::backpressure::{disconnected, forward, try_push};
use crate::python::wire::{self, body_bytes, message_headers, required};
use crate::python::{
    log, BridgeInner, ClientDisconnected, EventLoop, Level, Mailbox, Outcome, Ready, Recipient,
};
use crate::websocket::pump::{self, close_message, Peer};
use crate::websocket::{handshake, Endpoint, Message, Upgrade};

/// Messages waiting in each direction before the sender waits.
const OUTBOUND_MESSAGES: usize = 16;

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

    // ---- loop thread -------------------------------------------------------------

    fn receive<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Mailbox::receive(self, py)
    }

    fn send<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kind: String = required(message, pyo3::intern!(py, "type"))?.extract()?;
        let mut phase = self.phase.lock();
        match (kind.as_str(), std::mem::replace(&mut *phase, Phase::Closed)) {
            ("websocket.accept", Phase::Handshake(reply)) => {
                let mut headers = message_headers(message)?;
                if let Some(protocol) = message.get_item("subprotocol")?.filter(|p| !p.is_none()) {
                    let protocol: String = protocol.extract()?;
                    handshake::subprotocol(&mut headers, &protocol)
                        .map_err(|_| PyValueError::new_err("invalid subprotocol"))?;
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
                        let text: String =
                            required(message, pyo3::intern!(py, "text"))?.extract()?;
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
                let status: u16 = required(message, pyo3::intern!(py, "status"))?.extract()?;
                let status = wire::status(status)?;
                *phase = Phase::Denying(reply, status, message_headers(message)?, Vec::new());
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

/// The pump's side of the session: what the client sends goes to the app's inbox.
impl Peer for Session {
    fn text(self: &Arc<Self>, text: String) {
        self.deliver(Event::Text(text));
    }

    fn binary(self: &Arc<Self>, data: Bytes) {
        self.deliver(Event::Binary(data));
    }

    fn close(&self, code: u16, reason: &str) {
        if let Phase::Open(sender) = std::mem::replace(&mut *self.phase.lock(), Phase::Closed) {
            let _ = sender.try_send(close_message(code, reason));
        }
    }

    /// The app hears `websocket.disconnect` with `code`.
    fn gone(self: &Arc<Self>, code: u16, reason: &str) {
        *self.phase.lock() = Phase::Closed;
        self.deliver(Event::Disconnect(code, reason.to_owned()));
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

/// The ASGI app as a WebSocket session's endpoint: `app(scope, receive, send)`.
pub struct AsgiEndpoint {
    pub app: Arc<AsgiApp>,
    pub conn: Arc<ConnInfo>,
}

impl Endpoint for AsgiEndpoint {
    fn name(&self) -> String {
        "ASGI WebSocket application".to_owned()
    }

    fn start<'py>(
        self,
        py: Python<'py>,
        lp: &EventLoop,
        head: http::request::Parts,
        channel: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let AsgiEndpoint { app, conn } = self;
        let scope = scope::connection_scope(py, scope::Protocol::WebSocket, &head, &conn, &app)?;
        super::start_app(py, lp, &app, scope, channel)
    }
}

/// Check the handshake request, start `endpoint` on the loop thread with the session's
/// channel and answer as it decides: 101 (200 on HTTP/2) and the transport's frame
/// pump on the session, or its refusal.
pub async fn serve(
    bridge: &Arc<BridgeInner>,
    head: http::request::Parts,
    mut upgrade: Upgrade,
    max_message_size: usize,
    closing: watch::Receiver<Option<u16>>,
    endpoint: impl Endpoint,
) -> Response<ResponseBody> {
    let key = match handshake::key(&head) {
        Ok(key) => key,
        Err(refusal) => return *refusal,
    };
    let (reply, decision) = oneshot::channel();
    let app_done = upgrade.take_app_done();
    let session = Session::new(bridge.clone(), reply, endpoint.name(), app_done);
    let mut guard = HandshakeGuard(Some(session.clone()));
    let started = session.clone();
    bridge.submit(Box::new(move |py, lp| {
        let channel = WebSocketChannel {
            session: started.clone(),
        };
        let task = Bound::new(py, channel)
            .and_then(|channel| endpoint.start(py, lp, head, channel.into_any()));
        match task {
            Ok(task) => crate::python::when_done(py, &task, move |py, outcome| {
                started.app_finished(py, outcome)
            }),
            Err(err) => started.app_finished(py, Err(err)),
        }
    }));
    let answer = decision.await;
    guard.0 = None;
    match answer {
        Ok(Handshake::Accept { headers, outbound }) => {
            let pump = pump::run(upgrade, max_message_size, outbound, closing, session);
            crate::python::runtime().spawn(pump);
            handshake::accepted(headers, key)
        }
        Ok(Handshake::Respond(response)) => response,
        Err(_) => errors::internal_error(),
    }
}
