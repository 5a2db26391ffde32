//! A new connection's wait for its first request. One deadline, measured from accept,
//! covers the TLS handshake, the first bytes and the whole first request head, on
//! every TCP protocol; until its first request a connection is also closed when the
//! server shuts down (but see [`SETTLE`]), and is among the first closed when the
//! process runs out of file descriptors. (Later request heads on HTTP/1.1 have hyper's timer, which also
//! bounds the idle time between requests.)

use std::collections::BTreeMap;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use crate::notice::Notice;

/// Time a connection gets from accept to send its first request even when the server
/// stops meanwhile (up to the shutdown's grace). A process drained for its replacement
/// has clients that connected a moment before it stopped accepting: their request is
/// on its way, and closing them at once would fail requests no other process can
/// take. Connections silent for longer are closed at once.
pub const SETTLE: Duration = Duration::from_secs(1);

static HEAD_LATE: Notice = Notice::new();
static EVICTED: Notice = Notice::new();

/// The connections of one listener that have not sent a request yet, oldest first.
#[derive(Default)]
pub struct Arrivals {
    next_id: AtomicU64,
    waiting: Mutex<BTreeMap<u64, Arc<Flags>>>,
}

struct Flags {
    accepted: Instant,
    /// A first request has arrived: nothing here cuts the connection any more.
    received: AtomicBool,
    /// Close the connection to free its descriptor.
    evict: Notify,
}

impl Arrivals {
    /// Start the clock of a connection accepted now.
    pub fn admit(
        self: &Arc<Self>,
        peer: SocketAddr,
        timeout: Duration,
        stop: watch::Receiver<Option<Duration>>,
    ) -> FirstRequest {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let accepted = Instant::now();
        let flags = Arc::new(Flags {
            accepted,
            received: AtomicBool::new(false),
            evict: Notify::new(),
        });
        self.waiting.lock().insert(id, flags.clone());
        FirstRequest {
            id,
            peer,
            timeout,
            deadline: accepted + timeout,
            flags,
            arrivals: self.clone(),
            stop,
        }
    }

    /// Close up to `count` of the oldest connections that have sent no request,
    /// sparing those accepted less than `min_age` ago (they have had no chance to
    /// send one yet); returns how many were told to close.
    pub fn evict_oldest(&self, count: usize, min_age: Duration) -> usize {
        let now = Instant::now();
        let mut waiting = self.waiting.lock();
        let mut evicted = 0;
        while evicted < count {
            let Some(oldest) = waiting.first_entry() else {
                break;
            };
            let flags = oldest.get();
            if flags.received.load(Ordering::Relaxed) {
                oldest.remove();
            } else if now.duration_since(flags.accepted) < min_age {
                break;
            } else {
                oldest.remove().evict.notify_one();
                evicted += 1;
            }
        }
        evicted
    }

    /// Once the server stops accepting: wait until every connection accepted less than
    /// `settle` ago has sent its first request, or had `settle` to.
    pub async fn settle(&self, settle: Duration) {
        loop {
            let youngest = {
                let mut waiting = self.waiting.lock();
                waiting.retain(|_, flags| !flags.received.load(Ordering::Relaxed));
                waiting.values().map(|flags| flags.accepted).max()
            };
            match youngest.map(|accepted| accepted + settle) {
                Some(until) if until > Instant::now() => {
                    let tick = Instant::now() + Duration::from_millis(10);
                    tokio::time::sleep_until(until.min(tick)).await;
                }
                _ => return,
            }
        }
    }
}

/// Why a connection without a request was closed.
enum Cut {
    Deadline,
    Shutdown,
    Evicted,
}

/// One connection's wait for its first request (see the module's doc).
pub struct FirstRequest {
    id: u64,
    peer: SocketAddr,
    timeout: Duration,
    deadline: Instant,
    flags: Arc<Flags>,
    arrivals: Arc<Arrivals>,
    stop: watch::Receiver<Option<Duration>>,
}

impl FirstRequest {
    /// Run `work` until it ends, or until the connection is cut for want of a
    /// request (then `None`, and the reason is logged). Once a request has arrived
    /// `work` is no longer interrupted.
    pub async fn within<F: Future>(&self, work: F) -> Option<F::Output> {
        let mut work = pin!(work);
        // Boxed, and dropped once a request has arrived: a connection kept alive holds
        // none of this watch (its timers are the larger part of an idle connection's
        // task otherwise).
        let mut cut = Some(Box::pin(self.cut()));
        poll_fn(|cx| {
            if let Poll::Ready(done) = work.as_mut().poll(cx) {
                return Poll::Ready(Some(done));
            }
            if self.flags.received.load(Ordering::Relaxed) {
                cut = None;
            }
            if let Some(Poll::Ready(why)) = cut.as_mut().map(|cut| cut.as_mut().poll(cx)) {
                self.report(why);
                return Poll::Ready(None);
            }
            Poll::Pending
        })
        .await
    }

    /// What the service calls on each request: the first one stops the clock.
    pub fn marker(&self) -> RequestMarker {
        RequestMarker(self.flags.clone())
    }

    /// Ready when the connection must be cut; never once a request has arrived.
    async fn cut(&self) -> Cut {
        let mut stop = self.stop.clone();
        let cut = tokio::select! {
            _ = tokio::time::sleep_until(self.deadline) => Cut::Deadline,
            _ = self.flags.evict.notified() => Cut::Evicted,
            stopping = async {
                let grace = match stop.wait_for(Option::is_some).await {
                    Ok(grace) => grace.unwrap_or_default(),
                    Err(_) => return false,
                };
                tokio::time::sleep_until(self.flags.accepted + SETTLE.min(grace)).await;
                true
            } => match stopping {
                true => Cut::Shutdown,
                // The server was dropped without a shutdown: nothing will stop it.
                false => std::future::pending().await,
            },
        };
        if self.flags.received.load(Ordering::Relaxed) {
            return std::future::pending().await;
        }
        cut
    }

    fn report(&self, cut: Cut) {
        let peer = self.peer;
        match cut {
            Cut::Deadline => HEAD_LATE.print(|| {
                format!(
                    "closed {peer}: request head not received within {} s",
                    self.timeout.as_secs_f64()
                )
            }),
            Cut::Evicted => EVICTED.print(|| {
                format!("closed {peer}: out of file descriptors; it had sent no request")
            }),
            Cut::Shutdown => {}
        }
    }
}

impl Drop for FirstRequest {
    fn drop(&mut self) {
        self.arrivals.waiting.lock().remove(&self.id);
    }
}

/// Marks that a connection's first request has arrived.
#[derive(Clone)]
pub struct RequestMarker(Arc<Flags>);

impl RequestMarker {
    pub fn mark(&self) {
        // A load first: after the first request this writes nothing.
        if !self.0.received.load(Ordering::Relaxed) {
            self.0.received.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        "127.0.0.1:9".parse().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_counts_from_accept_across_phases() {
        let (_stop, stop_rx) = watch::channel(None);
        let arrivals = Arc::new(Arrivals::default());
        let first = arrivals.admit(peer(), Duration::from_secs(2), stop_rx);
        let slow = tokio::time::sleep(Duration::from_millis(1500));
        assert!(first.within(slow).await.is_some());
        let slow = tokio::time::sleep(Duration::from_millis(1500));
        assert!(first.within(slow).await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_stops_the_clock() {
        let (_stop, stop_rx) = watch::channel(None);
        let arrivals = Arc::new(Arrivals::default());
        let first = arrivals.admit(peer(), Duration::from_secs(1), stop_rx);
        first.marker().mark();
        let long = tokio::time::sleep(Duration::from_secs(10));
        assert!(first.within(long).await.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_cuts_a_silent_connection_at_once() {
        let (stop, stop_rx) = watch::channel(None);
        let arrivals = Arc::new(Arrivals::default());
        let first = arrivals.admit(peer(), Duration::from_secs(60), stop_rx);
        tokio::time::advance(SETTLE).await;
        stop.send(Some(Duration::from_secs(30))).unwrap();
        let start = Instant::now();
        assert!(first.within(std::future::pending::<()>()).await.is_none());
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_leaves_a_new_connection_time_for_its_first_request() {
        let (stop, stop_rx) = watch::channel(None);
        let arrivals = Arc::new(Arrivals::default());
        let first = arrivals.admit(peer(), Duration::from_secs(60), stop_rx.clone());
        stop.send(Some(Duration::from_secs(30))).unwrap();
        let start = Instant::now();
        arrivals.settle(SETTLE).await;
        assert_eq!(start.elapsed(), SETTLE);
        assert!(first.within(std::future::pending::<()>()).await.is_none());
        assert_eq!(start.elapsed(), SETTLE);
        // One that sends its request meanwhile is not cut, and no longer waited for.
        let served = arrivals.admit(peer(), Duration::from_secs(60), stop_rx);
        served.marker().mark();
        let start = Instant::now();
        arrivals.settle(SETTLE).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        let work = tokio::time::sleep(Duration::from_secs(5));
        assert!(served.within(work).await.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn eviction_takes_the_oldest_waiting_connections() {
        let (_stop, stop_rx) = watch::channel(None);
        let arrivals = Arc::new(Arrivals::default());
        let oldest = arrivals.admit(peer(), Duration::from_secs(60), stop_rx.clone());
        let served = arrivals.admit(peer(), Duration::from_secs(60), stop_rx.clone());
        served.marker().mark();
        let newest = arrivals.admit(peer(), Duration::from_secs(60), stop_rx);
        let young = Duration::from_secs(1);
        assert_eq!(arrivals.evict_oldest(1, young), 0, "all are too young");
        tokio::time::advance(young).await;
        assert_eq!(arrivals.evict_oldest(1, young), 1);
        assert!(oldest.within(std::future::pending::<()>()).await.is_none());
        assert_eq!(arrivals.evict_oldest(1, young), 1);
        assert!(newest.within(std::future::pending::<()>()).await.is_none());
        drop(served);
        assert!(arrivals.waiting.lock().is_empty());
    }
}
