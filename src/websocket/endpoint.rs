//! What a WebSocket session runs: the ASGI app (`asgi::websocket`) or a Bolt route's
//! handler (`fastpath::websocket`). Both talk to the session through the same Python
//! channel, so the service pairs either with the one session without the two sides
//! knowing each other.

use pyo3::prelude::*;

use crate::python::EventLoop;

pub trait Endpoint: Send + 'static {
    /// Who it is, for the log line of an exception it raises.
    fn name(&self) -> String;

    /// Start it on the loop thread with the session's `channel` (whose `receive` and
    /// `send` carry the ASGI `websocket.*` messages); returns its asyncio Task.
    fn start<'py>(
        self,
        py: Python<'py>,
        lp: &EventLoop,
        head: http::request::Parts,
        channel: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>>;
}
