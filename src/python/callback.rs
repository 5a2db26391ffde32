//! Rust closures handed to Python as callables: what asyncio calls back when a future
//! is done. Below both the event loop and the coroutine driver, which each hand one over.

use parking_lot::Mutex;
use pyo3::prelude::*;

type CallbackFn = Box<dyn FnOnce(Python<'_>, &Bound<'_, PyAny>) + Send>;

/// A Python callable that runs a Rust closure once: used as a future's done callback.
#[pyclass(frozen, module = "django_bolt._core")]
pub struct Callback {
    f: Mutex<Option<CallbackFn>>,
}

impl Callback {
    pub fn new(f: impl FnOnce(Python<'_>, &Bound<'_, PyAny>) + Send + 'static) -> Self {
        Callback {
            f: Mutex::new(Some(Box::new(f))),
        }
    }
}

#[pymethods]
impl Callback {
    fn __call__(&self, py: Python<'_>, arg: Bound<'_, PyAny>) {
        let f = self.f.lock().take();
        if let Some(f) = f {
            f(py, &arg);
        }
    }
}
