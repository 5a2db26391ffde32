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
}

#[pymethods]
impl Ready {
    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<()> {
        Err(PyStopIteration::new_err((self.value.clone_ref(py),)))
    }

    fn send(&self, py: Python<'_>, _value: Bound<'_, PyAny>) -> PyResult<()> {
        self.__next__(py)
    }

    #[pyo3(signature = (exc, *_rest))]
    fn throw(&self, exc: Bound<'_, PyAny>, _rest: Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
        Err(PyErr::from_value(exc))
    }

    fn close(&self) {}
}
