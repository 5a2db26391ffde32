//! Response bodies: whole (the fast path), streamed from Python through a bounded
//! channel (ASGI), or read from Rust (a file, a compressor), behind one type hyper can
//! send on any protocol.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use tokio::io::AsyncRead;
use tokio::sync::mpsc;

use crate::access_log::Pending;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One item of a streamed body: data or trailers, or the reason the stream broke off.
pub type Chunk = Result<Frame<Bytes>, BoxError>;

pub struct ResponseBody {
    kind: Kind,
    /// Kept alive while hyper sends the body; dropping it tells the producer the
    /// exchange is over (sent or abandoned).
    _keep: Option<Box<dyn Send + Sync>>,
    /// The access log entry, counting the bytes sent; written when the body is dropped.
    log: Option<Box<Pending>>,
}

/// Read size of a reader-backed body.
const READ_CHUNK: usize = 64 * 1024;

type Reader = Pin<Box<dyn AsyncRead + Send + Sync>>;

enum Kind {
    Full(Option<Bytes>),
    Channel(mpsc::Receiver<Chunk>),
    /// Read as hyper asks for more; `length` when known in advance.
    Reader {
        reader: Reader,
        length: Option<u64>,
        buffer: BytesMut,
    },
}

impl ResponseBody {
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let data = (!bytes.is_empty()).then_some(bytes);
        ResponseBody {
            kind: Kind::Full(data),
            _keep: None,
            log: None,
        }
    }

    pub fn empty() -> Self {
        ResponseBody {
            kind: Kind::Full(None),
            _keep: None,
            log: None,
        }
    }

    pub fn channel(rx: mpsc::Receiver<Chunk>) -> Self {
        ResponseBody {
            kind: Kind::Channel(rx),
            _keep: None,
            log: None,
        }
    }

    /// A body read from `reader`; `length` is its size when known.
    pub fn reader(reader: impl AsyncRead + Send + Sync + 'static, length: Option<u64>) -> Self {
        ResponseBody {
            kind: Kind::Reader {
                reader: Box::pin(reader),
                length,
                buffer: BytesMut::new(),
            },
            _keep: None,
            log: None,
        }
    }

    /// The whole body, when it is held in memory and not empty.
    pub fn as_full(&self) -> Option<&Bytes> {
        match &self.kind {
            Kind::Full(data) => data.as_ref(),
            _ => None,
        }
    }

    /// Drop the body for a HEAD response; returns its length when it was known.
    pub fn strip(&mut self) -> Option<u64> {
        let length = match &self.kind {
            Kind::Full(data) => Some(data.as_ref().map_or(0, |d| d.len() as u64)),
            Kind::Reader { length, .. } => *length,
            Kind::Channel(_) => None,
        };
        self.kind = Kind::Full(None);
        length
    }

    /// Keep `guard` alive until hyper is done with this body.
    pub fn keep(&mut self, guard: impl Send + Sync + 'static) {
        self._keep = Some(Box::new(guard));
    }

    /// Count what is sent in `entry`, and write it when this body is done.
    pub fn log(&mut self, entry: Box<Pending>) {
        self.log = Some(entry);
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let polled = match &mut this.kind {
            Kind::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            Kind::Channel(rx) => rx.poll_recv(cx),
            Kind::Reader { reader, buffer, .. } => poll_read_chunk(reader.as_mut(), buffer, cx),
        };
        if let (Some(log), Poll::Ready(Some(Ok(frame)))) = (&mut this.log, &polled) {
            log.sent(frame.data_ref().map_or(0, Bytes::len));
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(data) => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            Kind::Reader {
                length: Some(length),
                ..
            } => SizeHint::with_exact(*length),
            Kind::Channel(_) | Kind::Reader { .. } => SizeHint::default(),
        }
    }
}

/// The next chunk of a reader-backed body; the end when the reader has no more.
fn poll_read_chunk(
    reader: Pin<&mut (dyn AsyncRead + Send + Sync)>,
    buffer: &mut BytesMut,
    cx: &mut Context<'_>,
) -> Poll<Option<Chunk>> {
    buffer.reserve(READ_CHUNK);
    match tokio_util::io::poll_read_buf(reader, cx, buffer) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Err(err)) => Poll::Ready(Some(Err(err.into()))),
        Poll::Ready(Ok(0)) => Poll::Ready(None),
        Poll::Ready(Ok(_)) => Poll::Ready(Some(Ok(Frame::data(buffer.split().freeze())))),
    }
}
