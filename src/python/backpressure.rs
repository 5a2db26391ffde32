//! What a Python `send()` returns when its item goes into a bounded tokio channel: a
//! finished awaitable while there is room, or a future that completes once there is
//! (backpressure from a slow client). Shared by ASGI apps' responses and WebSocket
//! messages and by Bolt streamed responses.

use std::sync::Arc;

use pyo3::prelude::*;

use super::{BridgeInner, ClientDisconnected};

/// What `send()` raises once the client is gone (ASGI 2.4: a subclass of OSError).
pub fn disconnected() -> PyErr {
    ClientDisconnected::new_err("the client disconnected")
}

/// An item the app must wait to hand over because its channel is full.
pub type Pending<T> = Option<(tokio::sync::mpsc::Sender<T>, T)>;

/// Queue `item` if there is room; otherwise hand it back to be sent when there is.
/// Err means the receiving side (the client) is gone.
pub fn try_push<T>(sender: tokio::sync::mpsc::Sender<T>, item: T) -> Result<Pending<T>, ()> {
    use tokio::sync::mpsc::error::TrySendError;
    match sender.try_send(item) {
        Ok(()) => Ok(None),
        Err(TrySendError::Full(item)) => Ok(Some((sender, item))),
        Err(TrySendError::Closed(_)) => Err(()),
    }
}

/// What `send()` returns: a finished awaitable, or a future that completes once the
/// pending item has gone into its channel (backpressure from a slow client).
pub fn forward<'py, T: Send + 'static>(
    py: Python<'py>,
    bridge: &Arc<BridgeInner>,
    pending: Pending<T>,
) -> PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
    let Some((sender, item)) = pending else {
        return super::Ready::none(py);
    };
    super::complete_later(
        py,
        bridge,
        async move { sender.send(item).await },
        |py, sent| {
            sent.map(|_| py.None().into_bound(py))
                .map_err(|_| disconnected())
        },
    )
}
