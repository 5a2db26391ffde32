//! One ASGI HTTP request/response, shared between tokio (which reads the request body
//! and sends the response) and the loop thread (where the app calls `receive`/`send`).

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt;
use parking_lot::Mutex;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::body::{BoxError, Chunk, ResponseBody};
use crate::fastpath::call::body_bytes;
use crate::fastpath::errors;
use crate::python::{
    is_done, log, settle, BridgeInner, ClientDisconnected, EventLoop, Level, Outcome, Ready,
};
use pyo3::exceptions::asyncio::CancelledError;

/// Request body bytes held for the app before the reader waits for it to catch up.
const INBOUND_HIGH_WATER: usize = 256 * 1024;
/// Response chunks in flight before `send()` makes the app wait.
const OUTBOUND_CHUNKS: usize = 8;

pub struct Exchange {
    bridge: Arc<BridgeInner>,
    inbound: Mutex<Inbound>,
    /// The body reader waits here while the app has not taken what is buffered.
    drained: Notify,
    outbound: Mutex<Outbound>,
}

#[derive(Default)]
struct Inbound {
    chunks: VecDeque<Bytes>,
    buffered: usize,
    /// The whole body has been read.
    complete: bool,
    /// The app has been given the last `http.request` message.
    delivered_end: bool,
    disconnected: bool,
    /// The future of a `receive()` that found nothing to return yet.
    waiter: Option<Py<PyAny>>,
    wake_queued: bool,
}

enum Outbound {
    /// Nothing sent yet; the service waits for the response head on this channel.
    Idle(oneshot::Sender<Response<ResponseBody>>),
    /// `http.response.start` seen; sent with the first body message.
    Started(
        oneshot::Sender<Response<ResponseBody>>,
        StatusCode,
        HeaderMap,
    ),
    Streaming(mpsc::Sender<Chunk>),
    Done,
    /// The server answered in the app's place (the request body was too large);
    /// whatever the app still sends is dropped.
    Rejected,
}

impl Exchange {
    pub fn new(
        bridge: Arc<BridgeInner>,
        head: oneshot::Sender<Response<ResponseBody>>,
    ) -> Arc<Self> {
        Arc::new(Exchange {
            bridge,
            inbound: Mutex::new(Inbound::default()),
            drained: Notify::new(),
            outbound: Mutex::new(Outbound::Idle(head)),
        })
    }

    // ---- tokio side ----------------------------------------------------------------

    /// Feed the request body to the app, pausing while it has not caught up; past
    /// `limit` bytes the client gets 413 and the app `http.disconnect`.
    pub async fn read_body<B>(self: Arc<Self>, mut body: B, limit: usize)
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: Into<BoxError> + Send,
    {
        let mut total = 0usize;
        loop {
            match body.frame().await {
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    if data.is_empty() {
                        continue;
                    }
                    total += data.len();
                    if total > limit {
                        self.reject(errors::payload_too_large(limit));
                        return self.disconnect();
                    }
                    loop {
                        let notified = self.drained.notified();
                        if self.inbound.lock().buffered < INBOUND_HIGH_WATER {
                            break;
                        }
                        notified.await;
                    }
                    let mut inbound = self.inbound.lock();
                    inbound.buffered += data.len();
                    inbound.chunks.push_back(data);
                    self.wake_receiver(&mut inbound);
                }
                Some(Err(_)) => return self.disconnect(),
                None => return self.body_complete(),
            }
        }
    }

    pub fn body_complete(self: &Arc<Self>) {
        let mut inbound = self.inbound.lock();
        inbound.complete = true;
        self.wake_receiver(&mut inbound);
    }

    /// Answer in the app's place with `response`, unless it has begun its own.
    pub fn reject(&self, response: Response<ResponseBody>) {
        let mut outbound = self.outbound.lock();
        match std::mem::replace(&mut *outbound, Outbound::Rejected) {
            Outbound::Idle(head) | Outbound::Started(head, ..) => {
                let _ = head.send(response);
            }
            other => *outbound = other,
        }
    }

    /// The client is gone, or the response has been sent: `receive()` now says so.
    pub fn disconnect(self: &Arc<Self>) {
        let mut inbound = self.inbound.lock();
        inbound.disconnected = true;
        self.wake_receiver(&mut inbound);
    }

    fn wake_receiver(self: &Arc<Self>, inbound: &mut Inbound) {
        if inbound.waiter.is_none() || inbound.wake_queued {
            return;
        }
        inbound.wake_queued = true;
        let exchange = self.clone();
        self.bridge
            .submit(Box::new(move |py, _| exchange.deliver(py)));
    }

    // ---- loop thread -------------------------------------------------------------

    fn deliver(&self, py: Python<'_>) {
        let mut inbound = self.inbound.lock();
        inbound.wake_queued = false;
        let Some(waiter) = inbound.waiter.take() else {
            return;
        };
        let waiter = waiter.into_bound(py);
        if is_done(&waiter) {
            return; // cancelled: the message stays queued for the next receive()
        }
        match self.next_message(py, &mut inbound) {
            Ok(Some(message)) => settle(&waiter, Ok(message.into_any())),
            Ok(None) => inbound.waiter = Some(waiter.unbind()),
            Err(err) => settle(&waiter, Err(err)),
        }
    }

    fn next_message<'py>(
        &self,
        py: Python<'py>,
        inbound: &mut Inbound,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        use pyo3::intern;
        if !inbound.chunks.is_empty() || (inbound.complete && !inbound.delivered_end) {
            let body = take_chunks(py, inbound)?;
            self.drained.notify_one();
            let more = !inbound.complete || !inbound.chunks.is_empty();
            inbound.delivered_end = !more;
            let message = PyDict::new(py);
            message.set_item(intern!(py, "type"), intern!(py, "http.request"))?;
            message.set_item(intern!(py, "body"), body)?;
            message.set_item(intern!(py, "more_body"), more)?;
            return Ok(Some(message));
        }
        if inbound.disconnected {
            let message = PyDict::new(py);
            message.set_item(intern!(py, "type"), intern!(py, "http.disconnect"))?;
            return Ok(Some(message));
        }
        Ok(None)
    }

    /// `receive()`: the next message now, or a future completed when there is one.
    pub fn receive<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut inbound = self.inbound.lock();
        if let Some(message) = self.next_message(py, &mut inbound)? {
            return Ok(Bound::new(py, Ready::new(message.into_any().unbind()))?.into_any());
        }
        if inbound.waiter.is_some() {
            return Err(PyRuntimeError::new_err(
                "receive() called while another receive() is pending",
            ));
        }
        let lp = self.event_loop()?;
        let future = lp.create_future(py)?;
        inbound.waiter = Some(future.clone().unbind());
        Ok(future)
    }

    /// `send(message)`: hand a response message to tokio.
    pub fn send<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kind: String = required(message, "type")?.extract()?;
        match kind.as_str() {
            "http.response.start" => self.start(message)?,
            "http.response.body" => {
                let body = match message.get_item("body")? {
                    Some(body) if !body.is_none() => body_bytes(&body)?,
                    _ => Bytes::new(),
                };
                let more = match message.get_item("more_body")? {
                    Some(more) => more.is_truthy()?,
                    None => false,
                };
                if let Some(waiting) = self.body(py, body, more)? {
                    return Ok(waiting);
                }
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "unexpected ASGI message type {other:?}"
                )))
            }
        }
        Ok(Bound::new(py, Ready::new(py.None()))?.into_any())
    }

    fn start(&self, message: &Bound<'_, PyDict>) -> PyResult<()> {
        let mut outbound = self.outbound.lock();
        match &*outbound {
            Outbound::Idle(_) => {}
            Outbound::Rejected => return Ok(()),
            _ => return Err(PyRuntimeError::new_err("http.response.start sent twice")),
        }
        let status: u16 = required(message, "status")?.extract()?;
        let status = StatusCode::from_u16(status)
            .map_err(|_| PyValueError::new_err(format!("invalid status code {status}")))?;
        let mut headers = HeaderMap::new();
        if let Some(list) = message.get_item("headers")?.filter(|h| !h.is_none()) {
            for pair in list.try_iter()? {
                let (name, value): (Vec<u8>, Vec<u8>) = pair?.extract()?;
                let name = HeaderName::from_bytes(&name).map_err(|_| {
                    PyValueError::new_err(format!(
                        "invalid header name {:?}",
                        String::from_utf8_lossy(&name)
                    ))
                })?;
                let value = HeaderValue::from_bytes(&value).map_err(|_| {
                    PyValueError::new_err(format!("invalid value for header {name}"))
                })?;
                headers.append(name, value);
            }
        }
        if let Outbound::Idle(head) = std::mem::replace(&mut *outbound, Outbound::Done) {
            *outbound = Outbound::Started(head, status, headers);
        }
        Ok(())
    }

    /// Send a body chunk; returns a future when the app must wait for room.
    fn body<'py>(
        &self,
        py: Python<'py>,
        body: Bytes,
        more: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut outbound = self.outbound.lock();
        let sender = match std::mem::replace(&mut *outbound, Outbound::Done) {
            Outbound::Started(head, status, headers) if !more => {
                let sent = head.send(response(status, headers, ResponseBody::full(body)));
                return sent.map(|_| None).map_err(|_| disconnected());
            }
            Outbound::Started(head, status, headers) => {
                let (sender, receiver) = mpsc::channel(OUTBOUND_CHUNKS);
                let response = response(status, headers, ResponseBody::channel(receiver));
                head.send(response).map_err(|_| disconnected())?;
                sender
            }
            Outbound::Streaming(sender) => sender,
            Outbound::Idle(head) => {
                *outbound = Outbound::Idle(head);
                return Err(PyRuntimeError::new_err(
                    "http.response.body sent before http.response.start",
                ));
            }
            Outbound::Done => {
                return Err(PyRuntimeError::new_err(
                    "http.response.body sent after the response ended",
                ))
            }
            Outbound::Rejected => {
                *outbound = Outbound::Rejected;
                return Ok(None);
            }
        };
        if more {
            *outbound = Outbound::Streaming(sender.clone());
        }
        drop(outbound);
        if body.is_empty() {
            return Ok(None);
        }
        match sender.try_send(Ok(body)) {
            Ok(()) => Ok(None),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(disconnected()),
            Err(mpsc::error::TrySendError::Full(chunk)) => {
                self.send_when_room(py, sender, chunk).map(Some)
            }
        }
    }

    fn send_when_room<'py>(
        &self,
        py: Python<'py>,
        sender: mpsc::Sender<Chunk>,
        chunk: Chunk,
    ) -> PyResult<Bound<'py, PyAny>> {
        let future = self.event_loop()?.create_future(py)?;
        let done = future.clone().unbind();
        let bridge = self.bridge.clone();
        crate::server::runtime().spawn(async move {
            let sent = sender.send(chunk).await;
            bridge.submit(Box::new(move |py, _| {
                let outcome = sent
                    .map(|_| py.None().into_bound(py))
                    .map_err(|_| disconnected());
                settle(done.bind(py), outcome);
            }));
        });
        Ok(future)
    }

    /// The app's task ended: answer 500 if it never responded, cut a half-sent response.
    pub fn app_finished(&self, py: Python<'_>, outcome: Outcome<'_>) {
        let failed = outcome.err();
        let state = std::mem::replace(&mut *self.outbound.lock(), Outbound::Done);
        let problem = match state {
            Outbound::Idle(head) | Outbound::Started(head, ..) => {
                let _ = head.send(errors::internal_error());
                Some("ASGI application ended without sending a complete response")
            }
            Outbound::Streaming(sender) => {
                let _ =
                    sender.try_send(Err("the ASGI application ended the response early".into()));
                Some("ASGI application ended in the middle of its response; the connection was closed")
            }
            Outbound::Done | Outbound::Rejected => None,
        };
        let client_gone = self.inbound.lock().disconnected;
        match failed {
            // The app stopped because send() told it the client had left.
            Some(err) if err.is_instance_of::<ClientDisconnected>(py) => {}
            Some(err) if err.is_instance_of::<CancelledError>(py) => log(
                py,
                Level::Warning,
                "ASGI request cancelled before it finished (server shutting down)",
                None,
            ),
            Some(err) => log(py, Level::Error, "Exception in ASGI application", Some(err)),
            None => match problem {
                Some(problem) if !client_gone => log(py, Level::Error, problem, None),
                _ => {}
            },
        }
    }

    fn event_loop(&self) -> PyResult<&EventLoop> {
        self.bridge
            .event_loop()
            .ok_or_else(|| PyRuntimeError::new_err("no event loop is attached"))
    }
}

/// What `send()` raises once the client is gone (ASGI 2.4: a subclass of OSError).
pub(super) fn disconnected() -> PyErr {
    ClientDisconnected::new_err("the client disconnected")
}

pub(super) fn required<'py>(
    message: &Bound<'py, PyDict>,
    key: &str,
) -> PyResult<Bound<'py, PyAny>> {
    message
        .get_item(key)?
        .ok_or_else(|| PyValueError::new_err(format!("ASGI message has no {key:?}")))
}

fn response(status: StatusCode, headers: HeaderMap, body: ResponseBody) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Every buffered chunk as one bytes object: one copy, however many frames arrived.
fn take_chunks<'py>(py: Python<'py>, inbound: &mut Inbound) -> PyResult<Bound<'py, PyBytes>> {
    let total = inbound.buffered;
    inbound.buffered = 0;
    let chunks = std::mem::take(&mut inbound.chunks);
    PyBytes::new_with(py, total, |buf| {
        let mut at = 0;
        for chunk in &chunks {
            buf[at..at + chunk.len()].copy_from_slice(chunk);
            at += chunk.len();
        }
        Ok(())
    })
}

/// The Python side of an exchange: `receive` and `send` are its bound methods.
#[pyclass(frozen, module = "django_bolt._core")]
pub struct HttpChannel {
    pub exchange: Arc<Exchange>,
}

#[pymethods]
impl HttpChannel {
    fn receive<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.exchange.receive(py)
    }

    fn send<'py>(
        &self,
        py: Python<'py>,
        message: Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.exchange.send(py, &message)
    }
}

/// Held while the response is in flight; dropping it (response sent, or the client
/// gone) delivers `http.disconnect` to the app.
pub struct Lifeline(pub Arc<Exchange>);

impl Drop for Lifeline {
    fn drop(&mut self) {
        self.0.disconnect();
    }
}
