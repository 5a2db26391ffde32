//! Gathering an HTTP/2 connection's writes across its streams.
//!
//! Responses come back from Python in batches, and each one wakes its stream's task.
//! The first stream to finish wakes the connection task, which tokio runs right after
//! it (its LIFO slot): written at once, every response would cost a syscall of its own
//! and the client would answer with one small packet each. So the first write after a
//! flush waits one turn of the scheduler: the other streams answered in the same batch
//! run first and their frames go out in the same syscall.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub struct Gather<I> {
    io: I,
    /// This write already waited its turn; cleared when the writes are flushed.
    waited: bool,
}

impl<I> Gather<I> {
    pub fn new(io: I) -> Self {
        Gather { io, waited: false }
    }

    /// Whether this write should first let the other ready tasks run.
    fn wait_turn(&mut self, cx: &mut Context<'_>) -> bool {
        if self.waited {
            return false;
        }
        self.waited = true;
        // Waking itself while it runs puts the task at the back of the run queue.
        cx.waker().wake_by_ref();
        true
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Gather<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Gather<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.wait_turn(cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.wait_turn(cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = Pin::new(&mut self.io).poll_flush(cx);
        if flushed.is_ready() {
            self.waited = false;
        }
        flushed
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};
    use tokio::io::{duplex, AsyncReadExt};

    struct CountWakes(AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn write<I: AsyncWrite + Unpin>(io: &mut Gather<I>, cx: &mut Context<'_>) -> Poll<usize> {
        Pin::new(io).poll_write(cx, b"frame").map(|r| r.unwrap())
    }

    fn flush<I: AsyncWrite + Unpin>(io: &mut Gather<I>, cx: &mut Context<'_>) {
        assert!(Pin::new(io).poll_flush(cx).is_ready());
    }

    #[tokio::test]
    async fn the_first_write_after_a_flush_waits_one_turn() {
        let (server, mut client) = duplex(1024);
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let mut io = Gather::new(server);

        assert!(write(&mut io, &mut cx).is_pending());
        assert_eq!(wakes.0.load(Ordering::Relaxed), 1, "it must wake itself");
        assert_eq!(write(&mut io, &mut cx), Poll::Ready(5));
        assert_eq!(write(&mut io, &mut cx), Poll::Ready(5));
        flush(&mut io, &mut cx);
        assert!(write(&mut io, &mut cx).is_pending());
        assert_eq!(write(&mut io, &mut cx), Poll::Ready(5));

        let mut sent = [0u8; 15];
        client.read_exact(&mut sent).await.unwrap();
        assert_eq!(&sent, b"frameframeframe");
    }
}
