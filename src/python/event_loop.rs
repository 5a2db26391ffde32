//! The asyncio loop as Rust sees it: the few methods the bridge calls, looked up once.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::coro::Callback;

pub struct EventLoop {
    pub event_loop: Py<PyAny>,
    create_future: Py<PyAny>,
    create_task: Py<PyAny>,
    /// `django_bolt._loop.resume`: continues a coroutine that suspended on its first step.
    resume: Py<PyAny>,
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
        let kwargs = PyDict::new(py);
        if let Some(context) = context {
            kwargs.set_item(pyo3::intern!(py, "context"), context)?;
        }
        self.create_task.bind(py).call((coro,), Some(&kwargs))
    }

    /// A Task that continues `coro`, which already yielded `pending` on its first step.
    pub fn resume_task<'py>(
        &self,
        py: Python<'py>,
        coro: &Bound<'py, PyAny>,
        pending: &Bound<'py, PyAny>,
        context: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let wrapper = self.resume.bind(py).call1((coro, pending))?;
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
