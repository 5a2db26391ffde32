//! Errors met on the loop thread go to Python's `logging`, where the project's
//! logging configuration (Django's LOGGING) decides what happens to them.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

#[derive(Clone, Copy, Debug)]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    fn method(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Log `message` on the `django_bolt` logger, with the traceback of `err` if any.
pub fn log(py: Python<'_>, level: Level, message: &str, err: Option<PyErr>) {
    static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let logged = LOGGER
        .get_or_try_init(py, || {
            py.import("logging")?
                .call_method1("getLogger", ("django_bolt",))
                .map(Bound::unbind)
        })
        .and_then(|logger| {
            let kwargs = PyDict::new(py);
            if let Some(err) = &err {
                kwargs.set_item("exc_info", err.value(py))?;
            }
            logger
                .bind(py)
                .call_method(level.method(), (message,), Some(&kwargs))?;
            Ok(())
        });
    if let Err(failed) = logged {
        eprintln!("django-bolt: {message}");
        failed.print(py);
    }
}

pub fn log_error(py: Python<'_>, message: &str, err: Option<PyErr>) {
    log(py, Level::Error, message, err);
}
