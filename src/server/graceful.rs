//! Graceful shutdown of the open connections: told to, each finishes the requests in
//! flight and closes; the server waits until all have.
//!
//! hyper-util has the same helper, but it only takes the connection types it lists,
//! and HTTP/1.1 with upgrades is among them only behind its automatic protocol
//! builder, whose connection is sized for HTTP/2 too and re-reads the first bytes,
//! which makes hyper's read buffer grow to twice its size: memory every idle
//! HTTP/1.1 connection would hold.

use std::future::Future;
use std::pin::{pin, Pin};

use tokio::sync::watch;

/// A connection that can be asked to close once its requests in flight are answered.
pub trait Closable: Future {
    fn close_gracefully(self: Pin<&mut Self>);
}

impl<I, S> Closable for hyper::server::conn::http1::UpgradeableConnection<I, S>
where
    Self: Future,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: 'static,
    <S::ResBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn close_gracefully(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

impl<I, S, E> Closable for hyper::server::conn::http2::Connection<I, S, E>
where
    Self: Future,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: 'static,
    <S::ResBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    E: hyper::rt::bounds::Http2ServerConnExec<S::Future, S::ResBody>,
{
    fn close_gracefully(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

impl<C: Closable + ?Sized> Closable for Pin<Box<C>> {
    fn close_gracefully(self: Pin<&mut Self>) {
        self.get_mut().as_mut().close_gracefully();
    }
}

/// The server's side: one per listener.
pub struct Graceful {
    tx: watch::Sender<bool>,
}

impl Graceful {
    pub fn new() -> Self {
        Graceful {
            tx: watch::Sender::new(false),
        }
    }

    /// A connection's side, taken when it is accepted.
    pub fn watcher(&self) -> Watcher {
        Watcher(self.tx.subscribe())
    }

    /// Ask every watched connection to close; ready once all have.
    pub async fn shutdown(self) {
        self.tx.send_replace(true);
        self.tx.closed().await;
    }
}

/// A connection's side of [`Graceful`]: counted until it is dropped.
pub struct Watcher(watch::Receiver<bool>);

impl Watcher {
    /// Run `conn` to its end, closing it gracefully when the server shuts down.
    pub async fn watch<C: Closable>(mut self, conn: C) -> C::Output {
        let mut conn = pin!(conn);
        tokio::select! {
            done = conn.as_mut() => return done,
            // An error means the server is gone without a shutdown: nothing to do.
            Ok(_) = self.0.wait_for(|closing| *closing) => conn.as_mut().close_gracefully(),
        }
        conn.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::{Context, Poll};

    /// Pending until asked to close, then done.
    struct Idle(bool);

    impl Future for Idle {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }

    impl Closable for Idle {
        fn close_gracefully(mut self: Pin<&mut Self>) {
            self.0 = true;
        }
    }

    #[tokio::test]
    async fn shutdown_closes_the_connections_and_waits_for_them() {
        let graceful = Graceful::new();
        let served = tokio::spawn(graceful.watcher().watch(Idle(false)));
        tokio::task::yield_now().await;
        assert!(!served.is_finished());
        graceful.shutdown().await;
        served.await.unwrap();
    }
}
