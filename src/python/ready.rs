//! An awaitable that is already finished: what `send()` and a `receive()` with data
//! waiting return, so the common case costs no Future and no trip through the loop.

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;

#[pyclass(frozen, module = "django_bolt._core")]
pub struct Ready {
    value: Py<PyAny>,
}

impl Ready {
    pub fn new(value: Py<PyAny>) -> Self {
        Ready { value }
    }

    /// The finished awaitable of `None` that every non-waiting `send()` returns: one
    /// shared object (it holds no state) instead of one per message.
    pub fn none(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        static NONE: pyo3::sync::PyOnceLock<Py<Ready>> = pyo3::sync::PyOnceLock::new();
        let ready = NONE.get_or_try_init(py, || Py::new(py, Ready::new(py.None())))?;
        Ok(ready.bind(py).clone().into_any())
    }

    fn stop(&self, py: Python<'_>) -> PyErr {
        PyStopIteration::new_err((self.value.clone_ref(py),))
    }
}

#[pymethods]
impl Ready {
    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Finished: a `None` value ends the iteration with no exception at all (what an
    /// `await` reads as None, and what every plain `send()` returns); another value
    /// goes in a StopIteration. Never yields.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if self.value.is_none(py) {
            return Ok(None);
        }
        Err(self.stop(py))
    }

    fn send(&self, py: Python<'_>, _value: Bound<'_, PyAny>) -> PyResult<()> {
        Err(self.stop(py))
    }

    #[pyo3(signature = (exc, *_rest))]
    fn throw(&self, exc: Bound<'_, PyAny>, _rest: Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
        Err(PyErr::from_value(exc))
    }

    fn close(&self) {}
}
