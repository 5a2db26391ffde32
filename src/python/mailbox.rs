//! The inbox behind an ASGI `receive()` that tokio fills: what the peer sent, held
//! under one lock, and the asyncio future of at most one `receive()` that found
//! nothing yet. However many messages arrive before the loop thread gets to it, one
//! bridge job wakes that future.

use std::sync::Arc;

use parking_lot::{MappedMutexGuard, Mutex, MutexGuard};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use super::bridge::BridgeInner;
use super::coro::{is_done, settle};
use super::panic::contain;
use super::ready::Ready;

/// What owns a mailbox: it knows how what the mailbox holds becomes messages.
pub trait Recipient: Send + Sync + 'static {
    /// What arrives from tokio and waits for `receive()`.
    type Held: Send;

    fn mailbox(&self) -> &Mailbox<Self::Held>;

    fn bridge(&self) -> &Arc<BridgeInner>;

    /// Take the next message out of `held`, or None if there is none yet.
    fn next_message<'py>(
        &self,
        py: Python<'py>,
        held: &mut Self::Held,
    ) -> PyResult<Option<Bound<'py, PyAny>>>;
}

pub struct Mailbox<S> {
    slot: Mutex<Slot<S>>,
}

struct Slot<S> {
    held: S,
    /// The future of a `receive()` that found nothing to return yet.
    waiter: Option<Py<PyAny>>,
    /// A job that wakes the waiter is queued on the bridge already.
    wake_queued: bool,
}

impl<S: Send> Mailbox<S> {
    pub fn new(held: S) -> Self {
        Mailbox {
            slot: Mutex::new(Slot {
                held,
                waiter: None,
                wake_queued: false,
            }),
        }
    }

    /// What is held, to read or change without waking a `receive()`.
    pub fn lock(&self) -> MappedMutexGuard<'_, S> {
        MutexGuard::map(self.slot.lock(), |slot| &mut slot.held)
    }

    /// Tokio side: apply `change`, which says whether it gave `receive()` something
    /// new (a message, the end, the peer gone); if so and a `receive()` waits, queue
    /// the one job that hands it over.
    pub fn post<R: Recipient<Held = S>>(owner: &Arc<R>, change: impl FnOnce(&mut S) -> bool) {
        let mut slot = owner.mailbox().slot.lock();
        if !change(&mut slot.held) || slot.waiter.is_none() || slot.wake_queued {
            return;
        }
        slot.wake_queued = true;
        let recipient = owner.clone();
        owner
            .bridge()
            .submit(Box::new(move |py, _| Mailbox::deliver(&*recipient, py)));
    }

    /// `receive()`: the next message as a finished awaitable, or a future completed
    /// when there is one.
    pub fn receive<'py, R: Recipient<Held = S>>(
        owner: &R,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut slot = owner.mailbox().slot.lock();
        if let Some(message) = owner.next_message(py, &mut slot.held)? {
            return Ok(Bound::new(py, Ready::new(message.unbind()))?.into_any());
        }
        if slot.waiter.is_some() {
            return Err(PyRuntimeError::new_err(
                "receive() called while another receive() is pending",
            ));
        }
        let future = owner.bridge().event_loop()?.create_future(py)?;
        slot.waiter = Some(future.clone().unbind());
        Ok(future)
    }

    /// Loop thread: complete the waiting `receive()` with the next message, if any.
    fn deliver<R: Recipient<Held = S>>(owner: &R, py: Python<'_>) {
        let mut slot = owner.mailbox().slot.lock();
        slot.wake_queued = false;
        let Some(waiter) = slot.waiter.take() else {
            return;
        };
        let waiter = waiter.into_bound(py);
        if is_done(&waiter) {
            return; // cancelled: what is held stays for the next receive()
        }
        match contain(py, || owner.next_message(py, &mut slot.held)) {
            Ok(Some(message)) => settle(&waiter, Ok(message)),
            Ok(None) => slot.waiter = Some(waiter.unbind()),
            Err(err) => settle(&waiter, Err(err)),
        }
    }
}
