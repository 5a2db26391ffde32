//! HTTP/2 rapid reset (CVE-2023-44487): a client that opens streams and resets them at
//! once makes the server start work it never gets to finish, at no cost to itself.
//! The h2 crate only limits resets of streams not yet handed to the server; this
//! budget counts every stream the client cancels before its response is ready, and
//! the connection is closed once a client cancels faster than the budget allows.

use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::Notify;

/// Streams a connection may cancel before their response in a burst.
pub const BURST: u32 = 32;
/// Cancelled streams regained per second, up to [`BURST`].
pub const PER_SECOND: u32 = 8;

/// One connection's budget of cancelled streams (a token bucket).
pub struct ResetBudget {
    bucket: Mutex<Bucket>,
    exhausted: Notify,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl ResetBudget {
    pub fn new() -> Arc<Self> {
        Arc::new(ResetBudget {
            bucket: Mutex::new(Bucket {
                tokens: f64::from(BURST),
                at: Instant::now(),
            }),
            exhausted: Notify::new(),
        })
    }

    /// Ready once the client has cancelled more streams than the budget allows.
    pub async fn exhausted(&self) {
        self.exhausted.notified().await
    }

    /// A guard for one stream's response: dropped before [`Pending::answered`], it
    /// counts a cancelled stream.
    pub fn pending(self: &Arc<Self>) -> Pending {
        Pending(Some(self.clone()))
    }

    fn spend(&self) {
        let now = Instant::now();
        let mut bucket = self.bucket.lock();
        let regained = now.duration_since(bucket.at).as_secs_f64() * f64::from(PER_SECOND);
        bucket.tokens = (bucket.tokens + regained).min(f64::from(BURST)) - 1.0;
        bucket.at = now;
        if bucket.tokens < 0.0 {
            self.exhausted.notify_one();
        }
    }
}

/// One stream waiting for its response (see [`ResetBudget::pending`]).
pub struct Pending(Option<Arc<ResetBudget>>);

impl Pending {
    pub fn answered(mut self) {
        self.0 = None;
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(budget) = self.0.take() {
            budget.spend();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn the_budget_bites_after_a_burst_of_cancelled_streams() {
        let budget = ResetBudget::new();
        for _ in 0..BURST {
            drop(budget.pending());
            budget.pending().answered();
        }
        let bite = tokio::time::timeout(Duration::from_millis(50), budget.exhausted());
        assert!(bite.await.is_err(), "the burst is allowed");
        drop(budget.pending());
        let bite = tokio::time::timeout(Duration::from_millis(50), budget.exhausted());
        assert!(bite.await.is_ok(), "one more cancelled stream is not");
    }
}
