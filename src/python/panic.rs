//! A panic in Rust code that the loop thread runs stays with the one job it broke: the
//! rest of the batch still runs, and an awaitable the job was to settle gets the error
//! instead of waiting for ever.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::panic::PanicException;
use pyo3::prelude::*;

use super::log::log_error;

/// Run `f`; a panic in it is logged and comes back as a `PanicException` (what PyO3
/// raises for a panic that reaches Python).
pub fn contain<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let err = PanicException::new_err(message(&*payload));
        log_error(
            py,
            "a job on the event loop thread panicked",
            Some(err.clone_ref(py)),
        );
        Err(err)
    })
}

/// The text a panic was raised with.
fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic from Rust code".to_owned()
    }
}
