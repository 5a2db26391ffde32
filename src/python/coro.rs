//! Running Python coroutines from the loop thread without a Task when they need none.
//!
//! A handler's coroutine is stepped once, in its own copy of the context. Most finish
//! on that first step and never cost an asyncio Task; one that suspends is handed to a
//! Task (same context) that resumes it where it stopped.
//!
//! Every step runs on the loop thread, so a step that blocks (`time.sleep`, a sync
//! database driver) holds up every other Python route. When the server watches for
//! that, each step is timed (two clock reads) and one past the threshold is logged
//! with the route's label.

use std::time::Instant;

use pyo3::ffi;
use pyo3::prelude::*;

use super::callback::Callback;
use super::event_loop::EventLoop;

/// What becomes of an awaitable: its value or its exception.
pub type Outcome<'py> = PyResult<Bound<'py, PyAny>>;

/// Run `coro` (the handler of `label`, e.g. "GET /items") to completion; `done` gets its
/// outcome, at once or when its Task ends.
pub fn drive<F>(py: Python<'_>, lp: &EventLoop, label: &str, coro: Bound<'_, PyAny>, done: F)
where
    F: for<'py> FnOnce(Python<'py>, Outcome<'py>) + Send + 'static,
{
    let watch = lp.slow_step().map(|threshold| (threshold, Instant::now()));
    let step = first_step(py, &coro);
    if let Some((threshold, started)) = watch {
        let blocked = started.elapsed();
        if blocked >= threshold {
            lp.warn_blocked(py, label, blocked);
        }
    }
    match step {
        Ok(Step::Returned(value)) => done(py, Ok(value)),
        Ok(Step::Suspended { pending, context }) => {
            match lp.resume_task(py, &coro, &pending, &context, label) {
                Ok(task) => when_done(py, &task, done),
                Err(err) => done(py, Err(err)),
            }
        }
        Err(err) => done(py, Err(err)),
    }
}

/// Where a coroutine's first step left it.
enum Step<'py> {
    /// It finished with this value.
    Returned(Bound<'py, PyAny>),
    /// It awaits `pending`; a Task resumes it in `context`, the copy it started in.
    Suspended {
        pending: Bound<'py, PyAny>,
        context: Bound<'py, PyAny>,
    },
}

/// Step `coro` once inside a copy of the current context, entered through the C API.
#[cfg(not(feature = "abi3"))]
fn first_step<'py>(py: Python<'py>, coro: &Bound<'py, PyAny>) -> PyResult<Step<'py>> {
    // SAFETY: we hold the GIL; every pointer is checked, and owned ones are wrapped in
    // Bound right away so they are released on every path.
    let (sent, context) = unsafe {
        let context = ffi::PyContext_CopyCurrent();
        if context.is_null() {
            return Err(fetch_error(py));
        }
        let context = Bound::from_owned_ptr(py, context);
        if ffi::PyContext_Enter(context.as_ptr()) != 0 {
            return Err(fetch_error(py));
        }
        let sent = send_none(py, coro);
        ffi::PyContext_Exit(context.as_ptr());
        (sent, context)
    };
    Ok(match sent? {
        (true, value) => Step::Returned(value),
        (false, pending) => Step::Suspended { pending, context },
    })
}

/// Step `coro` once inside a copy of the current context. The stable ABI cannot enter
/// a context, so `Context.run` calls [`step_once`] in it: two Python calls more.
#[cfg(feature = "abi3")]
fn first_step<'py>(py: Python<'py>, coro: &Bound<'py, PyAny>) -> PyResult<Step<'py>> {
    static COPY_CONTEXT: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    static STEP_ONCE: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    let context = COPY_CONTEXT
        .import(py, "contextvars", "copy_context")?
        .call0()?;
    let step = STEP_ONCE.get_or_try_init(py, || {
        PyResult::Ok(wrap_pyfunction!(step_once, py)?.into_any().unbind())
    })?;
    let (returned, value): (bool, Bound<'py, PyAny>) = context
        .call_method1(pyo3::intern!(py, "run"), (step.bind(py), coro))?
        .extract()?;
    Ok(if returned {
        Step::Returned(value)
    } else {
        Step::Suspended {
            pending: value,
            context,
        }
    })
}

/// `(True, value)` when `coro` returned, `(False, awaited)` when it suspended.
#[cfg(feature = "abi3")]
#[pyfunction]
fn step_once<'py>(coro: &Bound<'py, PyAny>) -> PyResult<(bool, Bound<'py, PyAny>)> {
    send_none(coro.py(), coro)
}

/// Send None into `coro` (in whatever context is current): whether it returned, and
/// the value it returned or yielded.
fn send_none<'py>(
    py: Python<'py>,
    coro: &Bound<'py, PyAny>,
) -> PyResult<(bool, Bound<'py, PyAny>)> {
    let mut value: *mut ffi::PyObject = std::ptr::null_mut();
    // SAFETY: we hold the GIL; PyIter_Send hands back a new reference or null.
    let status = unsafe { ffi::PyIter_Send(coro.as_ptr(), ffi::Py_None(), &mut value) };
    if value.is_null() {
        return Err(fetch_error(py));
    }
    // SAFETY: a new, non-null reference, owned from here on.
    let value = unsafe { Bound::from_owned_ptr(py, value) };
    match status {
        ffi::PySendResult::PYGEN_RETURN => Ok((true, value)),
        ffi::PySendResult::PYGEN_NEXT => Ok((false, value)),
        _ => Err(fetch_error(py)),
    }
}

/// Whether `value` is exactly a native coroutine (what an `async def` call makes).
#[cfg(not(feature = "abi3"))]
pub fn is_coroutine(value: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a type check on a live object, with the GIL held.
    unsafe { ffi::PyCoro_CheckExact(value.as_ptr()) != 0 }
}

/// Whether `value` is exactly a native coroutine (what an `async def` call makes).
#[cfg(feature = "abi3")]
pub fn is_coroutine(value: &Bound<'_, PyAny>) -> bool {
    static COROUTINE: pyo3::sync::PyOnceLock<Py<pyo3::types::PyType>> =
        pyo3::sync::PyOnceLock::new();
    COROUTINE
        .import(value.py(), "types", "CoroutineType")
        .is_ok_and(|coroutine| value.get_type().is(coroutine))
}

/// Call `done` with the outcome of `future` (an asyncio Future or Task) when it ends.
pub fn when_done<F>(py: Python<'_>, future: &Bound<'_, PyAny>, done: F)
where
    F: for<'py> FnOnce(Python<'py>, Outcome<'py>) + Send + 'static,
{
    let callback = Callback::new(move |py, finished| {
        done(py, finished.call_method0(pyo3::intern!(py, "result")))
    });
    if let Err(err) = future.call_method1(pyo3::intern!(py, "add_done_callback"), (callback,)) {
        err.write_unraisable(py, Some(future));
    }
}

/// Whether an asyncio future is already done (or cancelled); a broken one counts as done.
pub fn is_done(future: &Bound<'_, PyAny>) -> bool {
    future
        .call_method0(pyo3::intern!(future.py(), "done"))
        .and_then(|done| done.is_truthy())
        .unwrap_or(true)
}

/// Complete an asyncio future with `outcome`, unless it was cancelled meanwhile.
pub fn settle(future: &Bound<'_, PyAny>, outcome: Outcome<'_>) {
    if is_done(future) {
        return;
    }
    let py = future.py();
    let set = match outcome {
        Ok(value) => future.call_method1(pyo3::intern!(py, "set_result"), (value,)),
        Err(err) => future.call_method1(pyo3::intern!(py, "set_exception"), (err.into_value(py),)),
    };
    if let Err(err) = set {
        super::log::log_error(py, "could not complete a future", Some(err));
    }
}

pub fn fetch_error(py: Python<'_>) -> PyErr {
    PyErr::take(py).unwrap_or_else(|| {
        pyo3::exceptions::PySystemError::new_err("a Python call failed without an exception")
    })
}
