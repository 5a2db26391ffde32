//! The one place that crosses into Python: the loop thread, its batches, its coroutines,
//! the tokio runtime that flushes those batches, and HTTP pieces read from Python objects.

pub mod bridge;
pub mod coro;
pub mod event_loop;
pub mod log;
pub mod ready;
pub mod runtime;
pub mod wire;

pub use bridge::{Bridge, BridgeInner};
pub use coro::{drive, is_done, settle, when_done, Callback, Outcome};
pub use event_loop::EventLoop;
pub use log::{log, log_error, Level};

pyo3::create_exception!(
    django_bolt,
    ClientDisconnected,
    pyo3::exceptions::PyOSError,
    "send() was called after the client disconnected."
);
pub use ready::Ready;
pub use runtime::runtime;
