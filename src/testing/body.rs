//! The test client's end of a response body, read a piece at a time, so a streamed
//! response (Server-Sent Events, a generator) reaches the test as it is produced and
//! `client.stream(...)` can stop reading halfway.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::IntoPyObjectExt;
use tokio::sync::Mutex;

use crate::body::ResponseBody;
use crate::python::{complete_later, BridgeInner};

#[pyclass(frozen, module = "django_bolt._core")]
pub struct TestBody {
    bridge: Arc<BridgeInner>,
    /// None once the body has ended, broken off or been closed.
    body: Arc<Mutex<Option<ResponseBody>>>,
}

impl TestBody {
    pub fn new(bridge: Arc<BridgeInner>, body: ResponseBody) -> Self {
        TestBody {
            bridge,
            body: Arc::new(Mutex::new(Some(body))),
        }
    }
}

#[pymethods]
impl TestBody {
    /// An asyncio future of the body's next bytes: `b""` once it is over, a
    /// RuntimeError if it broke off (a streamed response whose producer failed).
    fn read<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let body = self.body.clone();
        complete_later(
            py,
            &self.bridge,
            async move {
                let mut slot = body.lock().await;
                while let Some(current) = slot.as_mut() {
                    match current.frame().await {
                        Some(Ok(frame)) => match frame.into_data() {
                            Ok(data) if !data.is_empty() => return Ok(data),
                            // Trailers and empty frames carry nothing to read.
                            _ => continue,
                        },
                        Some(Err(err)) => {
                            *slot = None;
                            return Err(err.to_string());
                        }
                        None => *slot = None,
                    }
                }
                Ok(Bytes::new())
            },
            |py, read| match read {
                Ok(data) => PyBytes::new(py, &data).into_bound_py_any(py),
                Err(err) => Err(PyRuntimeError::new_err(format!(
                    "the response body broke off: {err}"
                ))),
            },
        )
    }

    /// An asyncio future done once the body is dropped: the producer of a streamed
    /// response sees its client gone, as when a real client disconnects.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let body = self.body.clone();
        complete_later(
            py,
            &self.bridge,
            async move { body.lock().await.take().map(drop) },
            |py, _| Ok(py.None().into_bound(py)),
        )
    }
}
