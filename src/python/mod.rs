//! The one place that crosses into Python: the loop thread, its batches, its coroutines.

pub mod bridge;
pub mod coro;
pub mod event_loop;
pub mod log;
pub mod ready;

pub use bridge::{Bridge, BridgeInner};
pub use coro::{drive, when_done, Callback, Outcome};
pub use event_loop::EventLoop;
pub use log::log_error;
pub use ready::Ready;
