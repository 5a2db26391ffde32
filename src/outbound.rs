//! A response sent from Python as ASGI `http.response.*` messages, in the order the spec
//! allows, turned into a hyper response whose body streams through a bounded channel
//! (trailers included), or names a file to send (`pathsend`). ASGI apps send these
//! messages; so do Bolt streamed responses (`StreamingResponse`, SSE), which is why this
//! sits below both `asgi` and `fastpath`.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body::Frame;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use tokio::sync::{mpsc, oneshot};

use crate::body::{Chunk, ResponseBody};
use crate::errors;
use crate::files::SendFile;
use crate::python::backpressure::{disconnected, try_push, Pending};
use crate::python::courier::Courier;
use crate::python::wire::{self, body_bytes, message_headers, required};

/// Response chunks in flight before `send()` makes the app wait.
const OUTBOUND_CHUNKS: usize = 8;

pub type HeadSender = oneshot::Sender<Response<ResponseBody>>;

/// Send a response head through the process's one [`Courier`], so the answers of a
/// batch wake their requests inside the runtime; `disconnected()` if the request is
/// already gone.
pub fn send_head(head: HeadSender, response: Response<ResponseBody>) -> PyResult<()> {
    static HEADS: OnceLock<Arc<Courier<Response<ResponseBody>>>> = OnceLock::new();
    if head.is_closed() {
        return Err(disconnected());
    }
    HEADS.get_or_init(Courier::start).send(head, response);
    Ok(())
}

pub enum Outbound {
    /// Nothing sent yet; the service waits for the response head on this channel.
    Idle(HeadSender),
    /// `http.response.start` seen; the head goes out with the first body message.
    Started {
        head: HeadSender,
        status: StatusCode,
        headers: HeaderMap,
        trailers: bool,
    },
    Streaming {
        sender: mpsc::Sender<Chunk>,
        trailers: bool,
    },
    /// The body is complete; `http.response.trailers` may still add headers.
    Trailers {
        sender: mpsc::Sender<Chunk>,
        headers: HeaderMap,
    },
    Done,
    /// The server answered in the app's place (the request body was too large);
    /// whatever the app still sends is dropped.
    Rejected,
}

impl Outbound {
    /// Apply one message from the app; a chunk it must wait to hand over, if any.
    pub fn step(&mut self, message: &Bound<'_, PyDict>) -> PyResult<Pending<Chunk>> {
        let py = message.py();
        let kind = required(message, intern!(py, "type"))?;
        let kind = kind.cast::<PyString>()?.to_str()?;
        match (kind, &*self) {
            (_, Outbound::Rejected) => Ok(None),
            ("http.response.start", Outbound::Idle(_)) => self.start(message).map(|()| None),
            ("http.response.body", Outbound::Started { .. } | Outbound::Streaming { .. }) => {
                let body = match message.get_item(intern!(py, "body"))? {
                    Some(body) if !body.is_none() => body_bytes(&body)?,
                    _ => Bytes::new(),
                };
                self.body(body, flag(message, intern!(py, "more_body"))?)
            }
            ("http.response.pathsend", Outbound::Started { .. }) => {
                let path: PathBuf = required(message, intern!(py, "path"))?.extract()?;
                self.pathsend(path).map(|()| None)
            }
            ("http.response.trailers", Outbound::Trailers { .. }) => {
                let more = flag(message, intern!(py, "more_trailers"))?;
                self.trailers(message_headers(message)?, more)
            }
            (
                "http.response.start"
                | "http.response.body"
                | "http.response.pathsend"
                | "http.response.trailers",
                _,
            ) => Err(PyRuntimeError::new_err(format!(
                "{kind} is not allowed at this point of the response"
            ))),
            (other, _) => Err(PyValueError::new_err(format!(
                "unexpected ASGI message type {other:?}"
            ))),
        }
    }

    fn take(&mut self) -> Outbound {
        std::mem::replace(self, Outbound::Done)
    }

    fn start(&mut self, message: &Bound<'_, PyDict>) -> PyResult<()> {
        let py = message.py();
        let status: u16 = required(message, intern!(py, "status"))?.extract()?;
        let status = wire::status(status)?;
        let headers = message_headers(message)?;
        let trailers = flag(message, intern!(py, "trailers"))?;
        if let Outbound::Idle(head) = self.take() {
            *self = Outbound::Started {
                head,
                status,
                headers,
                trailers,
            };
        }
        Ok(())
    }

    fn body(&mut self, body: Bytes, more: bool) -> PyResult<Pending<Chunk>> {
        let (sender, trailers) = match self.take() {
            Outbound::Started {
                head,
                status,
                headers,
                trailers: false,
            } if !more => {
                let full = response(status, headers, ResponseBody::full(body));
                return send_head(head, full).map(|()| None);
            }
            Outbound::Started {
                head,
                status,
                headers,
                trailers,
            } => (stream_head(head, status, headers)?, trailers),
            Outbound::Streaming { sender, trailers } => (sender, trailers),
            _ => unreachable!("step() checked the state"),
        };
        *self = match (more, trailers) {
            (true, _) => Outbound::Streaming {
                sender: sender.clone(),
                trailers,
            },
            (false, true) => Outbound::Trailers {
                sender: sender.clone(),
                headers: HeaderMap::new(),
            },
            (false, false) => Outbound::Done,
        };
        match body.is_empty() {
            true => Ok(None),
            false => try_push(sender, Ok(Frame::data(body))).map_err(|_| disconnected()),
        }
    }

    /// Send a file from Rust; Python never reads it. A path that is not a file raises
    /// in the app; the file is opened once the response leaves, where ranges and
    /// conditional requests are answered as for `FileResponse`.
    fn pathsend(&mut self, path: PathBuf) -> PyResult<()> {
        if !std::fs::metadata(&path)?.is_file() {
            return Err(PyValueError::new_err(format!(
                "{} is not a file",
                path.display()
            )));
        }
        let Outbound::Started {
            head,
            status,
            headers,
            ..
        } = self.take()
        else {
            unreachable!("step() checked the state");
        };
        let mut response = response(status, headers, ResponseBody::empty());
        response.extensions_mut().insert(SendFile::named(path));
        send_head(head, response)
    }

    fn trailers(&mut self, more_headers: HeaderMap, more: bool) -> PyResult<Pending<Chunk>> {
        let Outbound::Trailers {
            sender,
            mut headers,
        } = self.take()
        else {
            unreachable!("step() checked the state");
        };
        headers.extend(more_headers);
        if more {
            *self = Outbound::Trailers { sender, headers };
            return Ok(None);
        }
        try_push(sender, Ok(Frame::trailers(headers))).map_err(|_| disconnected())
    }

    /// The app's task ended: a 500 if it never responded, a broken-off stream if it
    /// stopped halfway. Says what went wrong, if anything did.
    pub fn finish(&mut self) -> Option<&'static str> {
        match self.take() {
            Outbound::Idle(head) | Outbound::Started { head, .. } => {
                let _ = send_head(head, errors::internal_error());
                Some("ASGI application ended without sending a complete response")
            }
            Outbound::Streaming { sender, .. } | Outbound::Trailers { sender, .. } => {
                let _ = sender.try_send(Err("the application ended the response early".into()));
                Some("ASGI application ended in the middle of its response; the connection was closed")
            }
            Outbound::Done | Outbound::Rejected => None,
        }
    }

    /// Answer in the app's place with `response`, unless it has begun its own.
    pub fn reject(&mut self, response: Response<ResponseBody>) {
        match self.take() {
            Outbound::Idle(head) | Outbound::Started { head, .. } => {
                let _ = send_head(head, response);
                *self = Outbound::Rejected;
            }
            other => *self = other,
        }
    }
}

fn flag<'py>(message: &Bound<'py, PyDict>, key: &Bound<'py, PyString>) -> PyResult<bool> {
    message
        .get_item(key)?
        .map(|v| v.is_truthy())
        .transpose()
        .map(Option::unwrap_or_default)
}

fn response(status: StatusCode, headers: HeaderMap, body: ResponseBody) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Send the head with a streamed body; the sender feeds that body.
fn stream_head(
    head: HeadSender,
    status: StatusCode,
    headers: HeaderMap,
) -> PyResult<mpsc::Sender<Chunk>> {
    let (sender, receiver) = mpsc::channel(OUTBOUND_CHUNKS);
    send_head(
        head,
        response(status, headers, ResponseBody::channel(receiver)),
    )?;
    Ok(sender)
}
