//! The one place that crosses into Python: the loop thread, its batches, its coroutines,
//! the tokio runtime that flushes those batches, and HTTP pieces read from Python objects.

pub mod backpressure;
pub mod bridge;
pub mod callback;
pub mod coro;
pub mod courier;
pub mod event_loop;
pub mod later;
pub mod log;
pub mod mailbox;
pub mod panic;
pub mod ready;
pub mod runtime;
pub mod wire;

pub use bridge::{Bridge, BridgeInner};
pub use callback::Callback;
pub use coro::{drive, when_done, Outcome};
pub use event_loop::EventLoop;
pub use later::complete_later;
pub use log::{log, log_error, Level};
pub use mailbox::{Mailbox, Recipient};
pub use runtime::runtime;

pyo3::create_exception!(
    django_bolt,
    ClientDisconnected,
    pyo3::exceptions::PyOSError,
    "send() was called after the client disconnected."
);
pub use ready::Ready;
