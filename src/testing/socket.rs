//! The test client's end of an in-process WebSocket: a tokio-tungstenite client over a
//! pipe whose other end the server's own session pumps, so tests see the server's
//! real frames, close codes and size limits without a socket.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::IntoPyObjectExt;
use tokio::io::DuplexStream;
use tokio::sync::{oneshot, Mutex};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::python::{complete_later, BridgeInner};

type ClientStream = WebSocketStream<DuplexStream>;

/// How long closing waits for the server's handler to finish.
const APP_DONE_TIMEOUT: Duration = Duration::from_secs(10);

/// What `receive()` hands Python: `("text", str)`, `("bytes", bytes)` or
/// `("close", code, reason)` (1006 when the server went away without a close frame).
enum Received {
    Text(String),
    Bytes(bytes::Bytes),
    Close(u16, String),
}

#[pyclass(frozen, module = "django_bolt._core")]
pub struct TestWebSocket {
    bridge: Arc<BridgeInner>,
    sink: Arc<Mutex<SplitSink<ClientStream, Message>>>,
    stream: Arc<Mutex<SplitStream<ClientStream>>>,
    app_done: Arc<Mutex<Option<oneshot::Receiver<()>>>>,
}

impl TestWebSocket {
    pub async fn connect(
        bridge: Arc<BridgeInner>,
        pipe: DuplexStream,
        app_done: oneshot::Receiver<()>,
    ) -> Self {
        let socket = WebSocketStream::from_raw_socket(pipe, Role::Client, None).await;
        let (sink, stream) = socket.split();
        TestWebSocket {
            bridge,
            sink: Arc::new(Mutex::new(sink)),
            stream: Arc::new(Mutex::new(stream)),
            app_done: Arc::new(Mutex::new(Some(app_done))),
        }
    }

    /// Completes with None once sent, or with the server's `(code, reason)` if it had
    /// closed the connection.
    fn send_message<'py>(&self, py: Python<'py>, message: Message) -> PyResult<Bound<'py, PyAny>> {
        let (sink, stream) = (self.sink.clone(), self.stream.clone());
        complete_later(
            py,
            &self.bridge,
            async move {
                let sent = sink.lock().await.send(message).await;
                match sent {
                    Ok(()) => None,
                    Err(_) => Some(close_frame(&sink, &stream).await),
                }
            },
            |py, closed| closed.into_bound_py_any(py),
        )
    }
}

/// The server's close `(code, reason)`; messages it sent before are dropped.
async fn close_frame(
    sink: &Mutex<SplitSink<ClientStream, Message>>,
    stream: &Mutex<SplitStream<ClientStream>>,
) -> (u16, String) {
    loop {
        if let Received::Close(code, reason) = next_message(sink, stream).await {
            return (code, reason);
        }
    }
}

/// The next data or close message; the close reply tungstenite queued goes out too.
async fn next_message(
    sink: &Mutex<SplitSink<ClientStream, Message>>,
    stream: &Mutex<SplitStream<ClientStream>>,
) -> Received {
    loop {
        let message = stream.lock().await.next().await;
        match message {
            Some(Ok(Message::Text(text))) => return Received::Text(text.as_str().to_owned()),
            Some(Ok(Message::Binary(data))) => return Received::Bytes(data),
            Some(Ok(Message::Close(frame))) => {
                let _ = sink.lock().await.flush().await;
                return match frame {
                    Some(frame) => Received::Close(frame.code.into(), frame.reason.to_string()),
                    None => Received::Close(1005, String::new()),
                };
            }
            Some(Ok(_)) => {} // ping and pong are answered by tungstenite
            Some(Err(_)) | None => return Received::Close(1006, String::new()),
        }
    }
}

#[pymethods]
impl TestWebSocket {
    fn send_text<'py>(&self, py: Python<'py>, text: String) -> PyResult<Bound<'py, PyAny>> {
        self.send_message(py, Message::text(text))
    }

    fn send_bytes<'py>(&self, py: Python<'py>, data: Vec<u8>) -> PyResult<Bound<'py, PyAny>> {
        self.send_message(py, Message::binary(data))
    }

    /// An asyncio future of the next message from the server.
    fn receive<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (sink, stream) = (self.sink.clone(), self.stream.clone());
        complete_later(
            py,
            &self.bridge,
            async move { next_message(&sink, &stream).await },
            |py, received| match received {
                Received::Text(text) => ("text", text).into_bound_py_any(py),
                Received::Bytes(data) => ("bytes", PyBytes::new(py, &data)).into_bound_py_any(py),
                Received::Close(code, reason) => ("close", code, reason).into_bound_py_any(py),
            },
        )
    }

    /// Close with `code` and `reason` (unless the server already has), wait for the
    /// server's close frame, then for its handler to finish. Completes with the
    /// server's `(code, reason)`, or None if the server had closed first.
    fn close<'py>(
        &self,
        py: Python<'py>,
        code: u16,
        reason: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (sink, stream, app_done) = (
            self.sink.clone(),
            self.stream.clone(),
            self.app_done.clone(),
        );
        complete_later(
            py,
            &self.bridge,
            async move {
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: reason.into(),
                };
                let sent = sink.lock().await.send(Message::Close(Some(frame))).await;
                let answer = match sent {
                    Ok(()) => Some(close_frame(&sink, &stream).await),
                    Err(_) => None,
                };
                if let Some(done) = app_done.lock().await.take() {
                    let _ = tokio::time::timeout(APP_DONE_TIMEOUT, done).await;
                }
                answer
            },
            |py, answer| answer.into_bound_py_any(py),
        )
    }
}
