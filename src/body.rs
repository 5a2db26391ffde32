//! Response bodies: whole (the fast path) or streamed from Python through a bounded
//! channel (ASGI), behind one type hyper can send on any protocol.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One item of a streamed body: data or trailers, or the reason the stream broke off.
pub type Chunk = Result<Frame<Bytes>, BoxError>;

pub struct ResponseBody {
    kind: Kind,
    /// Kept alive while hyper sends the body; dropping it tells the producer the
    /// exchange is over (sent or abandoned).
    _keep: Option<Box<dyn Send + Sync>>,
}

enum Kind {
    Full(Option<Bytes>),
    Channel(mpsc::Receiver<Chunk>),
}

impl ResponseBody {
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let data = (!bytes.is_empty()).then_some(bytes);
        ResponseBody {
            kind: Kind::Full(data),
            _keep: None,
        }
    }

    pub fn empty() -> Self {
        ResponseBody {
            kind: Kind::Full(None),
            _keep: None,
        }
    }

    pub fn channel(rx: mpsc::Receiver<Chunk>) -> Self {
        ResponseBody {
            kind: Kind::Channel(rx),
            _keep: None,
        }
    }

    /// Drop the body for a HEAD response; returns its length when it was known.
    pub fn strip(&mut self) -> Option<u64> {
        let length = match &self.kind {
            Kind::Full(data) => Some(data.as_ref().map_or(0, |d| d.len() as u64)),
            Kind::Channel(_) => None,
        };
        self.kind = Kind::Full(None);
        length
    }

    /// Keep `guard` alive until hyper is done with this body.
    pub fn keep(&mut self, guard: impl Send + Sync + 'static) {
        self._keep = Some(Box::new(guard));
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.kind {
            Kind::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            Kind::Channel(rx) => rx.poll_recv(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(data) => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            Kind::Channel(_) => SizeHint::default(),
        }
    }
}
