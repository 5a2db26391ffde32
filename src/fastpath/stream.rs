//! Streamed Bolt responses (`StreamingResponse`, SSE): the body is produced by a
//! Python iterator in its own Task and sent through the same bounded channel, with the
//! same backpressure and disconnect handling, as an ASGI app's streamed response.

use std::sync::Arc;

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::outbound::{HeadSender, Outbound};
use crate::python::backpressure::forward;
use crate::python::{log, when_done, BridgeInner, ClientDisconnected, Level, Outcome};

/// `send(message)` for the Python side of a streamed response.
#[pyclass(frozen, module = "django_bolt._core")]
pub struct BodySender {
    bridge: Arc<BridgeInner>,
    outbound: Mutex<Outbound>,
}

#[pymethods]
impl BodySender {
    fn send<'py>(
        &self,
        py: Python<'py>,
        message: Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pending = self.outbound.lock().step(&message)?;
        forward(py, &self.bridge, pending)
    }
}

impl BodySender {
    fn finish(&self, py: Python<'_>, route: &str, outcome: Outcome<'_>) {
        let problem = self.outbound.lock().finish();
        match outcome {
            // The client left; the iterator has been closed.
            Err(err) if err.is_instance_of::<ClientDisconnected>(py) => {}
            Err(err) => log(
                py,
                Level::Error,
                &format!("Exception while streaming the response of route {route}"),
                Some(err),
            ),
            Ok(_) => {
                if let Some(problem) = problem {
                    log(py, Level::Error, problem, None);
                }
            }
        }
    }
}

/// Stream `response` (a StreamingResponse) as the answer to `reply`.
pub fn start(
    py: Python<'_>,
    bridge: &Arc<BridgeInner>,
    route: String,
    response: Bound<'_, PyAny>,
    reply: HeadSender,
) -> PyResult<()> {
    let lp = bridge.event_loop()?;
    let sender = Bound::new(
        py,
        BodySender {
            bridge: bridge.clone(),
            outbound: Mutex::new(Outbound::Idle(reply)),
        },
    )?;
    let coro = lp.stream_body(py, &response, &sender.getattr(pyo3::intern!(py, "send"))?)?;
    let task = lp.create_task(py, &coro, None)?;
    let sender = sender.unbind();
    when_done(py, &task, move |py, outcome| {
        sender.get().finish(py, &route, outcome)
    });
    Ok(())
}
