//! Request bodies that must keep arriving: a body that stalls, or trickles in slower
//! than a minimum rate once its grace time is over, is cut off with 408. Without this
//! a client could announce a body and hold its connection (and, before, a place in the
//! queue) for as long as it liked.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::body::{BoxError, ResponseBody};
use crate::errors;
use crate::notice::Notice;

/// How fast a request body must arrive.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// Longest wait for the next piece of the body; also the grace time before
    /// `min_rate` applies.
    pub stall: Duration,
    /// Bytes per second the body must average once `stall` has passed; 0: no minimum.
    pub min_rate: u64,
}

/// Which request a body belongs to, for the log line when it times out.
#[derive(Debug)]
pub struct Origin {
    pub method: http::Method,
    pub uri: http::Uri,
    pub client: Option<std::net::IpAddr>,
}

/// The body did not arrive in time.
#[derive(Debug)]
pub struct BodyTimeout {
    received: u64,
    elapsed: Duration,
    /// It was slower than the minimum rate, rather than stopped.
    too_slow: bool,
}

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match self.too_slow {
            true => "arrived slower than the minimum rate",
            false => "stopped arriving",
        };
        write!(
            f,
            "the request body {how} ({} bytes in {:.1} s)",
            self.received,
            self.elapsed.as_secs_f64()
        )
    }
}

impl std::error::Error for BodyTimeout {}

/// A request body held to a [`Pace`].
pub struct Paced<B> {
    body: B,
    /// None for a body that was complete from the start (no body, or all of it in the
    /// first frame's reach): most requests carry no clock at all.
    clock: Option<Box<Clock>>,
}

/// How a body has arrived so far.
struct Clock {
    pace: Pace,
    origin: Origin,
    started: Instant,
    last_progress: Instant,
    received: u64,
    /// Made on the first wait only: a body that is already in hand needs no timer.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B: Body> Paced<B> {
    /// `origin` is asked for only when the body is still to come.
    pub fn new(body: B, pace: Pace, origin: impl FnOnce() -> Origin) -> Self {
        let clock = (!body.is_end_stream()).then(|| {
            let now = Instant::now();
            Box::new(Clock {
                pace,
                origin: origin(),
                started: now,
                last_progress: now,
                received: 0,
                timer: None,
            })
        });
        Paced { body, clock }
    }
}

impl Clock {
    /// When the body is late: no progress for `stall`, or (past the grace time) fewer
    /// bytes than `min_rate` allows.
    fn deadline(&self) -> (Instant, bool) {
        let stalled = self.last_progress + self.pace.stall;
        if self.pace.min_rate == 0 {
            return (stalled, false);
        }
        let earned = Duration::from_secs_f64(self.received as f64 / self.pace.min_rate as f64);
        let too_slow = self.started + self.pace.stall + earned;
        match too_slow < stalled {
            true => (too_slow, true),
            false => (stalled, false),
        }
    }

    fn progress(&mut self, bytes: usize) {
        self.received += bytes as u64;
        self.last_progress = Instant::now();
    }

    /// Wait for the deadline; the timeout once it has passed.
    fn poll_late(&mut self, cx: &mut Context<'_>) -> Poll<BodyTimeout> {
        let (deadline, too_slow) = self.deadline();
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        ready!(timer.as_mut().poll(cx));
        let timeout = BodyTimeout {
            received: self.received,
            elapsed: self.started.elapsed(),
            too_slow,
        };
        self.log(&timeout);
        Poll::Ready(timeout)
    }

    fn log(&self, timeout: &BodyTimeout) {
        static TIMEOUTS: Notice = Notice::new();
        let Origin {
            method,
            uri,
            client,
        } = &self.origin;
        let client = client.map_or_else(|| "an unknown client".into(), |ip| ip.to_string());
        TIMEOUTS.print(|| format!("408 for {method} {} from {client}: {timeout}", uri.path()));
    }
}

impl<B> Body for Paced<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let data = frame.data_ref().filter(|d| !d.is_empty());
                if let (Some(data), Some(clock)) = (data, this.clock.as_mut()) {
                    clock.progress(data.len());
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(err.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.clock.as_mut() {
                // A body complete from the start has nothing left to wait for.
                None => Poll::Pending,
                Some(clock) => clock
                    .poll_late(cx)
                    .map(|timeout| Some(Err(Box::new(timeout) as BoxError))),
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The answer to a request whose body could not be read: 413 past `limit`, 408 when
/// it came too slowly, 400 when it was malformed or broken off.
pub fn failure_response(err: &BoxError, limit: usize) -> Response<ResponseBody> {
    if err.is::<http_body_util::LengthLimitError>() {
        return errors::payload_too_large(limit);
    }
    if err.is::<BodyTimeout>() {
        let mut response = errors::detail(
            StatusCode::REQUEST_TIMEOUT,
            "The request body did not arrive in time",
        );
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
        return response;
    }
    errors::detail(
        StatusCode::BAD_REQUEST,
        "The request body could not be read",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use tokio::sync::mpsc;

    /// A body fed by hand, one chunk at a time.
    struct Fed(mpsc::Receiver<Bytes>);

    impl Body for Fed {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            self.0.poll_recv(cx).map(|c| c.map(|c| Ok(Frame::data(c))))
        }
    }

    fn origin() -> Origin {
        Origin {
            method: http::Method::POST,
            uri: http::Uri::from_static("/upload"),
            client: None,
        }
    }

    fn pace(stall_ms: u64, min_rate: u64) -> Pace {
        Pace {
            stall: Duration::from_millis(stall_ms),
            min_rate,
        }
    }

    #[tokio::test]
    async fn a_stalled_body_times_out() {
        let (tx, rx) = mpsc::channel(4);
        let mut body = Paced::new(Fed(rx), pace(100, 0), origin);
        tx.send(Bytes::from_static(b"abc")).await.unwrap();
        assert!(body.frame().await.unwrap().is_ok());
        let err = body.frame().await.unwrap().unwrap_err();
        let timeout = err.downcast_ref::<BodyTimeout>().unwrap();
        assert_eq!(timeout.received, 3);
        assert!(!timeout.too_slow);
        drop(tx);
    }

    #[tokio::test]
    async fn a_trickle_is_cut_off_after_the_grace_time() {
        let (tx, rx) = mpsc::channel(64);
        let mut body = Paced::new(Fed(rx), pace(200, 1000), origin);
        let feeder = tokio::spawn(async move {
            // One byte every 50 ms: never stalled, but 20 bytes/s against 1000.
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if tx.send(Bytes::from_static(b"x")).await.is_err() {
                    break;
                }
            }
        });
        let err = loop {
            match body.frame().await.unwrap() {
                Ok(_) => continue,
                Err(err) => break err,
            }
        };
        let timeout = err.downcast_ref::<BodyTimeout>().unwrap();
        assert!(timeout.too_slow);
        assert!(timeout.elapsed < Duration::from_millis(600));
        feeder.abort();
    }

    #[tokio::test]
    async fn a_steady_body_is_read_whole() {
        let (tx, rx) = mpsc::channel(64);
        let body = Paced::new(Fed(rx), pace(200, 1000), origin);
        tokio::spawn(async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                tx.send(Bytes::from(vec![b'x'; 100])).await.unwrap();
            }
        });
        let whole = body.collect().await.unwrap().to_bytes();
        assert_eq!(whole.len(), 1000);
    }
}
