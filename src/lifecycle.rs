//! What a supervisor needs to know of one server process and tell it: the requests it
//! has answered (`--max-requests` recycles a process after so many) and, once it
//! stops, the close code its open WebSockets get, so their clients reconnect at once
//! (1012, service restart, when another process replaces this one).

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};

use tokio::sync::watch;

pub struct Lifecycle {
    requests: AtomicU64,
    /// The close code chosen when the process was told to stop.
    stop_code: AtomicU16,
    closing: watch::Sender<Option<u16>>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            requests: AtomicU64::new(0),
            stop_code: AtomicU16::new(1001),
            closing: watch::Sender::new(None),
        }
    }
}

impl Lifecycle {
    /// One more request: a relaxed add, the only cost on a request's path.
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The process is stopping: its WebSockets will be closed with `code`.
    pub fn stopping(&self, code: u16) {
        self.stop_code.store(code, Ordering::Relaxed);
    }

    /// Close every open WebSocket, and those opened from now on, with the code given
    /// to [`Lifecycle::stopping`]. Called once the listener is closed: a client told to
    /// reconnect must not reach this process again.
    pub fn close_websockets(&self) {
        let code = self.stop_code.load(Ordering::Relaxed);
        self.closing.send_replace(Some(code));
    }

    /// What a WebSocket pump watches for the close code.
    pub fn closing(&self) -> watch::Receiver<Option<u16>> {
        self.closing.subscribe()
    }
}

/// The reason sent with a close `code` the server chose when stopping.
pub fn close_reason(code: u16) -> &'static str {
    match code {
        1012 => "service restart",
        _ => "server shutting down",
    }
}
