//! The asyncio loop as Rust sees it: the few methods the bridge calls, looked up once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::callback::Callback;

pub struct EventLoop {
    pub event_loop: Py<PyAny>,
    create_future: Py<PyAny>,
    create_task: Py<PyAny>,
    /// `django_bolt._loop.resume`: continues a coroutine that suspended on its first step.
    resume: Py<PyAny>,
    /// `django_bolt._loop.warn_blocked`: the log line of a step that held the loop.
    warn_blocked: Py<PyAny>,
    /// A handler step that holds the loop this long is logged (nanoseconds; 0: never).
    slow_step: AtomicU64,
    /// `django_bolt._loop.run_sync`: runs a sync callable in the worker thread pool.
    run_sync: Py<PyAny>,
    /// `django_bolt._loop.stream_body`: sends a StreamingResponse as ASGI messages.
    stream_body: Py<PyAny>,
}

impl EventLoop {
    pub fn new(py: Python<'_>, event_loop: Bound<'_, PyAny>) -> PyResult<Self> {
        let helpers = py.import("django_bolt._loop")?;
        Ok(EventLoop {
            create_future: event_loop.getattr("create_future")?.unbind(),
            create_task: event_loop.getattr("create_task")?.unbind(),
            resume: helpers.getattr("resume")?.unbind(),
            warn_blocked: helpers.getattr("warn_blocked")?.unbind(),
            slow_step: AtomicU64::new(0),
            run_sync: helpers.getattr("run_sync")?.unbind(),
            stream_body: helpers.getattr("stream_body")?.unbind(),
            event_loop: event_loop.unbind(),
        })
    }

    pub fn create_future<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.create_future.bind(py).call0()
    }

    /// A real asyncio Task running `coro` in `context` (None: a copy of the current one).
    pub fn create_task<'py>(
        &self,
        py: Python<'py>,
        coro: &Bound<'py, PyAny>,
        context: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let create_task = self.create_task.bind(py);
        let Some(context) = context else {
            return create_task.call1((coro,));
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item(pyo3::intern!(py, "context"), context)?;
        create_task.call((coro,), Some(&kwargs))
    }

    /// Log handler steps that hold the loop for `threshold` or more (zero: never).
    pub fn set_slow_step(&self, threshold: Duration) {
        let nanos = u64::try_from(threshold.as_nanos()).unwrap_or(u64::MAX);
        self.slow_step.store(nanos, Ordering::Relaxed);
    }

    /// How long a handler step may hold the loop before it is logged, if watched.
    pub fn slow_step(&self) -> Option<Duration> {
        match self.slow_step.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// Log that the handler of `label` held the loop for `blocked`.
    pub fn warn_blocked(&self, py: Python<'_>, label: &str, blocked: Duration) {
        let args = (label, blocked.as_secs_f64());
        if let Err(err) = self.warn_blocked.bind(py).call1(args) {
            super::log::log_error(py, "could not log a blocked event loop", Some(err));
        }
    }

    /// A Task that continues `coro`, which already yielded `pending` on its first step;
    /// its later steps are timed too when slow steps are watched.
    pub fn resume_task<'py>(
        &self,
        py: Python<'py>,
        coro: &Bound<'py, PyAny>,
        pending: &Bound<'py, PyAny>,
        context: &Bound<'py, PyAny>,
        label: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let resume = self.resume.bind(py);
        let wrapper = match self.slow_step() {
            None => resume.call1((coro, pending))?,
            Some(threshold) => resume.call1((coro, pending, label, threshold.as_secs_f64()))?,
        };
        self.create_task(py, &wrapper, Some(context))
    }

    /// The coroutine that sends `response` through `send`.
    pub fn stream_body<'py>(
        &self,
        py: Python<'py>,
        response: &Bound<'py, PyAny>,
        send: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.stream_body.bind(py).call1((response, send))
    }

    /// Run `func(**kwargs)` in the sync worker pool; `done` gets the finished future.
    pub fn run_sync(
        &self,
        py: Python<'_>,
        func: &Bound<'_, PyAny>,
        kwargs: &Bound<'_, PyDict>,
        done: Callback,
    ) -> PyResult<()> {
        let args = PyTuple::new(py, [func.as_any(), kwargs.as_any()])?;
        let future = self.run_sync.bind(py).call1(args)?;
        future.call_method1(pyo3::intern!(py, "add_done_callback"), (done,))?;
        Ok(())
    }
}
