//! One ASGI HTTP request/response, shared between tokio (which reads the request body
//! and sends the response) and the loop thread (where the app calls `receive`/`send`).

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body::Body;
use http_body_util::BodyExt;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use tokio::sync::{oneshot, Notify};

use crate::body::{BoxError, ResponseBody};
use crate::errors;
use crate::outbound::Outbound;
use crate::python::{log, BridgeInner, ClientDisconnected, Level, Mailbox, Outcome, Recipient};
use pyo3::exceptions::asyncio::CancelledError;

/// Request body bytes held for the app before the reader waits for it to catch up.
const INBOUND_HIGH_WATER: usize = 256 * 1024;

/// How a request body stands before its app is started.
pub enum Prefetch {
    /// All of it, or enough to start the app with, is in hand.
    Ready,
    /// It could not be read (too large, too slow, malformed, or the client left).
    Failed,
}

pub struct Exchange {
    bridge: Arc<BridgeInner>,
    inbound: Mailbox<Inbound>,
    /// The body reader waits here while the app has not taken what is buffered.
    drained: Notify,
    /// Woken as the body arrives, ends or fails: the server waits here for enough of
    /// it before starting the app.
    arrived: Notify,
    outbound: Mutex<Outbound>,
    /// The app's asyncio Task, to cancel it if it takes too long to answer.
    task: Mutex<Option<Py<PyAny>>>,
}

/// What of the request body the app has not received yet, and how the body stands.
#[derive(Default)]
pub struct Inbound {
    chunks: VecDeque<Bytes>,
    buffered: usize,
    /// The whole body has been read.
    complete: bool,
    /// The app has been given the last `http.request` message.
    delivered_end: bool,
    disconnected: bool,
}

impl Exchange {
    pub fn new(
        bridge: Arc<BridgeInner>,
        head: oneshot::Sender<Response<ResponseBody>>,
    ) -> Arc<Self> {
        Arc::new(Exchange {
            bridge,
            inbound: Mailbox::new(Inbound::default()),
            drained: Notify::new(),
            arrived: Notify::new(),
            outbound: Mutex::new(Outbound::Idle(head)),
            task: Mutex::new(None),
        })
    }

    // ---- tokio side ----------------------------------------------------------------

    /// Feed the request body to the app, pausing while it has not caught up. A body
    /// past `limit` bytes (413), too slow (408) or malformed (400) is answered in the
    /// app's place, and the app gets `http.disconnect`.
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
                    Mailbox::post(&self, |inbound| {
                        inbound.buffered += data.len();
                        inbound.chunks.push_back(data);
                        true
                    });
                    self.arrived.notify_waiters();
                }
                Some(Err(err)) => {
                    self.reject(crate::request_body::failure_response(&err.into(), limit));
                    return self.disconnect();
                }
                None => return self.body_complete(),
            }
        }
    }

    pub fn body_complete(self: &Arc<Self>) {
        Mailbox::post(self, |inbound| {
            inbound.complete = true;
            true
        });
        self.arrived.notify_waiters();
    }

    /// Wait until the whole body, or `enough` bytes of it, are in hand, or it failed.
    /// A failed body is answered in the app's place (400 unless already answered).
    pub async fn prefetch(&self, enough: usize) -> Prefetch {
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            {
                let inbound = self.inbound.lock();
                if inbound.disconnected {
                    drop(inbound);
                    self.reject(errors::detail(
                        http::StatusCode::BAD_REQUEST,
                        "The request body could not be read",
                    ));
                    return Prefetch::Failed;
                }
                if inbound.complete || inbound.buffered >= enough {
                    return Prefetch::Ready;
                }
            }
            arrived.await;
        }
    }

    /// Whether nobody waits for the response any more (the stream was reset, or the
    /// client left) before the app was started.
    pub fn abandoned(&self) -> bool {
        matches!(&*self.outbound.lock(), Outbound::Idle(head) if head.is_closed())
    }

    /// Answer in the app's place with `response`, unless it has begun its own.
    /// The app has not started its response in time: 504, and its Task is cancelled.
    pub fn time_out(self: &Arc<Self>, limit: std::time::Duration) {
        let message = format!(
            "The application did not answer within {} s",
            limit.as_secs_f64()
        );
        self.reject(errors::detail(http::StatusCode::GATEWAY_TIMEOUT, &message));
        let exchange = self.clone();
        self.bridge.submit(Box::new(move |py, _| {
            log(
                py,
                Level::Warning,
                &format!("ASGI application timed out: {message}"),
                None,
            );
            if let Some(task) = exchange.task.lock().take() {
                let _ = task.bind(py).call_method0("cancel");
            }
        }));
    }

    /// Remember the app's Task (loop thread).
    pub fn watch(&self, task: &Bound<'_, PyAny>) {
        *self.task.lock() = Some(task.clone().unbind());
    }

    pub fn reject(&self, response: Response<ResponseBody>) {
        self.outbound.lock().reject(response);
    }

    /// The client is gone, or the response has been sent: `receive()` now says so.
    pub fn disconnect(self: &Arc<Self>) {
        Mailbox::post(self, |inbound| {
            inbound.disconnected = true;
            true
        });
        self.arrived.notify_waiters();
    }

    // ---- loop thread -------------------------------------------------------------

    /// `receive()`: the next message now, or a future completed when there is one.
    pub fn receive<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Mailbox::receive(self, py)
    }

    /// `send(message)`: hand a response message to tokio.
    pub fn send<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pending = self.outbound.lock().step(message)?;
        crate::python::backpressure::forward(py, &self.bridge, pending)
    }

    /// The app's task ended: answer 500 if it never responded, cut a half-sent response.
    pub fn app_finished(&self, py: Python<'_>, outcome: Outcome<'_>) {
        let failed = outcome.err();
        self.task.lock().take();
        let problem = self.outbound.lock().finish();
        let client_gone = self.inbound.lock().disconnected;
        match failed {
            // The app stopped because send() told it the client had left.
            Some(err) if err.is_instance_of::<ClientDisconnected>(py) => {}
            Some(err) if err.is_instance_of::<CancelledError>(py) => log(
                py,
                Level::Warning,
                "ASGI request cancelled before it finished",
                None,
            ),
            Some(err) => log(py, Level::Error, "Exception in ASGI application", Some(err)),
            None => match problem {
                Some(problem) if !client_gone => log(py, Level::Error, problem, None),
                _ => {}
            },
        }
    }
}

impl Recipient for Exchange {
    type Held = Inbound;

    fn mailbox(&self) -> &Mailbox<Inbound> {
        &self.inbound
    }

    fn bridge(&self) -> &Arc<BridgeInner> {
        &self.bridge
    }

    /// The buffered body as one `http.request` message, then `http.disconnect`.
    fn next_message<'py>(
        &self,
        py: Python<'py>,
        inbound: &mut Inbound,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
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
            return Ok(Some(message.into_any()));
        }
        if inbound.disconnected {
            let message = PyDict::new(py);
            message.set_item(intern!(py, "type"), intern!(py, "http.disconnect"))?;
            return Ok(Some(message.into_any()));
        }
        Ok(None)
    }
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
