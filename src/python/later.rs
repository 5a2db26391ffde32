//! Python awaiting tokio: an asyncio future whose result is worked out on the runtime
//! and carried back through the bridge, so the loop thread never blocks on I/O.

use std::future::Future;
use std::sync::Arc;

use pyo3::prelude::*;

use super::bridge::BridgeInner;
use super::runtime::runtime;

/// An asyncio future completed with `convert(output)` once `work`, spawned on tokio,
/// is done; `convert` runs on the loop thread with the GIL. Fails only when the bridge
/// has no event loop.
pub fn complete_later<'py, T, W, C>(
    py: Python<'py>,
    bridge: &Arc<BridgeInner>,
    work: W,
    convert: C,
) -> PyResult<Bound<'py, PyAny>>
where
    W: Future<Output = T> + Send + 'static,
    T: Send + 'static,
    C: for<'a> FnOnce(Python<'a>, T) -> PyResult<Bound<'a, PyAny>> + Send + 'static,
{
    let future = bridge.event_loop()?.create_future(py)?;
    let done = future.clone().unbind();
    let waker = bridge.clone();
    runtime().spawn(async move {
        let output = work.await;
        waker.submit_settlement(done, Box::new(move |py| convert(py, output)));
    });
    Ok(future)
}
