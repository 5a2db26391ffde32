//! The fast path's one crossing into Python: arguments in, finished response out.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use super::form::FormValues;
use super::params::{self, Value};
use super::route::Route;
use crate::body::ResponseBody;
use crate::errors;
use crate::files::SendFile;
use crate::outbound::send_head;
use crate::python::coro::is_coroutine;
use crate::python::wire::{self, body_bytes};
use crate::python::{drive, BridgeInner, Callback, EventLoop, Outcome};

pub type Reply = crate::outbound::HeadSender;

/// What Rust read from the request for the handler.
pub struct Input {
    pub values: Vec<Value>,
    /// Form fields and files, when the route has any.
    pub form: Option<FormValues>,
    /// The whole body, when the route has a body loader.
    pub body: Option<Bytes>,
    /// The raw query string, when the loader reads it too.
    pub query: Option<Bytes>,
    /// The request head, when the handler asks for the `Request`.
    pub head: Option<http::request::Parts>,
}

/// Runs on the loop thread: build the arguments, call the handler, reply when done.
pub fn call(
    py: Python<'_>,
    lp: &EventLoop,
    bridge: &Arc<BridgeInner>,
    route: Arc<Route>,
    input: Input,
    reply: Reply,
) {
    let kwargs = match arguments(py, &route, input) {
        Ok(kwargs) => kwargs,
        Err(err) => return answer(py, bridge, &route, Err(err), reply),
    };
    let handler = route.handler.bind(py);
    let bridge = bridge.clone();
    if route.is_async {
        match handler.call((), Some(&kwargs)) {
            Ok(coro) => {
                let finished = route.clone();
                drive(py, lp, &route.label, coro, move |py, outcome| {
                    answer(py, &bridge, &finished, outcome, reply)
                })
            }
            Err(err) => answer(py, &bridge, &route, Err(err), reply),
        }
    } else {
        let finished = route.clone();
        let done = Callback::new(move |py, future| {
            let outcome = future.call_method0(pyo3::intern!(py, "result"));
            answer(py, &bridge, &finished, outcome, reply);
        });
        if let Err(err) = lp.run_sync(py, handler, &kwargs, done) {
            log_failure(py, &route, err);
        }
    }
}

/// What the handler's outcome becomes.
enum Answer<'py> {
    Now(Response<ResponseBody>),
    /// A StreamingResponse: its body is produced in a Task of its own.
    Stream(Bound<'py, PyAny>),
    /// A coroutine from `finalize` that must await (the ORM, off the loop thread)
    /// or from `on_error` (an async exception handler) before the response exists;
    /// what it returns is answered in turn.
    Later(Bound<'py, PyAny>),
}

fn answer(
    py: Python<'_>,
    bridge: &Arc<BridgeInner>,
    route: &Arc<Route>,
    outcome: Outcome<'_>,
    reply: Reply,
) {
    let started = match respond(py, route, outcome) {
        // The client may be gone; nobody is left to answer.
        Answer::Now(response) => return drop(send_head(reply, response)),
        Answer::Stream(response) => {
            super::stream::start(py, bridge, route.common.name.clone(), response, reply)
        }
        Answer::Later(coro) => later(py, bridge, route, coro, reply),
    };
    if let Err(err) = started {
        log_failure(py, route, err);
    }
}

fn later(
    py: Python<'_>,
    bridge: &Arc<BridgeInner>,
    route: &Arc<Route>,
    coro: Bound<'_, PyAny>,
    reply: Reply,
) -> PyResult<()> {
    let lp = bridge.event_loop()?;
    let (shared, finished) = (bridge.clone(), route.clone());
    drive(py, lp, &route.label, coro, move |py, outcome| {
        answer(py, &shared, &finished, outcome, reply)
    });
    Ok(())
}

fn arguments<'py>(py: Python<'py>, route: &Route, input: Input) -> PyResult<Bound<'py, PyDict>> {
    let (form_fields, files) = match (&route.form, input.form) {
        (Some(spec), Some(form)) => (
            Some(spec.fields.iter().zip(form.fields)),
            Some(spec.files.iter().zip(form.files)),
        ),
        _ => (None, None),
    };
    let values = route.common.params.iter().zip(input.values);
    let kwargs = params::kwargs(
        py,
        &route.common.structs,
        values.chain(form_fields.into_iter().flatten()),
    )?;
    for (file, received) in files.into_iter().flatten() {
        kwargs.set_item(file.name.bind(py), file.to_py(py, received)?)?;
    }
    if let (Some(name), Some(head)) = (&route.request_param, input.head) {
        let body = input.body.clone().unwrap_or_default();
        let request = Bound::new(py, super::request::Request::new(head, body))?;
        kwargs.set_item(name.bind(py), request)?;
    }
    if let Some(loader) = &route.body_loader {
        let body = PyBytes::new(py, input.body.as_deref().unwrap_or_default());
        let loaded = match &input.query {
            Some(query) => loader.bind(py).call1((body, PyBytes::new(py, query)))?,
            None => loader.bind(py).call1((body,))?,
        };
        kwargs.update(loaded.cast::<pyo3::types::PyMapping>()?)?;
    }
    Ok(kwargs)
}

/// Turn the handler's outcome into a response; Python's `finalize`/`on_error` shape
/// everything but a plain dict or list, which is encoded straight away. Either may
/// return a coroutine, whose result (an `Encoded`) is answered in turn.
fn respond<'py>(py: Python<'py>, route: &Route, outcome: Outcome<'py>) -> Answer<'py> {
    let response = match outcome {
        Ok(value) => match &route.encode {
            Some(encode)
                if value.is_exact_instance_of::<PyDict>()
                    || value.is_exact_instance_of::<PyList>() =>
            {
                encode
                    .bind(py)
                    .call1((value,))
                    .and_then(|body| json(route.status, &body))
            }
            _ => match route.finalize.bind(py).call1((value,)) {
                Ok(wire) if is_coroutine(&wire) => return Answer::Later(wire),
                Ok(wire) if !wire.is_instance_of::<PyTuple>() => return Answer::Stream(wire),
                Ok(wire) => from_wire(&wire),
                // A result that does not fit the response model, answered as an error.
                Err(err) => return fail(py, route, err),
            },
        },
        Err(err) => return fail(py, route, err),
    };
    Answer::Now(response.unwrap_or_else(|err| {
        log_failure(py, route, err);
        errors::internal_error()
    }))
}

/// The answer to an exception: `on_error`'s response, or the coroutine of a custom
/// async exception handler.
fn fail<'py>(py: Python<'py>, route: &Route, err: PyErr) -> Answer<'py> {
    let response = match route.on_error.bind(py).call1((err.into_value(py),)) {
        Ok(wire) if is_coroutine(&wire) => return Answer::Later(wire),
        Ok(wire) => from_wire(&wire),
        Err(err) => Err(err),
    };
    Answer::Now(response.unwrap_or_else(|err| {
        log_failure(py, route, err);
        errors::internal_error()
    }))
}

fn json(status: StatusCode, body: &Bound<'_, PyAny>) -> PyResult<Response<ResponseBody>> {
    let mut response = Response::new(ResponseBody::full(body_bytes(body)?));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// `(status, [(name, value), ...], body)` from Python into a response; the body is
/// `bytes`, or a `SendFile` naming a file to send.
fn from_wire(wire: &Bound<'_, PyAny>) -> PyResult<Response<ResponseBody>> {
    let wire = wire.cast::<PyTuple>()?;
    let (status, headers, body): (u16, Bound<'_, PyList>, Bound<'_, PyAny>) = wire.extract()?;
    let mut response = match body.cast::<SendFile>() {
        // The file is opened back on tokio, where the request's headers are.
        Ok(file) => {
            let mut response = Response::new(ResponseBody::empty());
            response.extensions_mut().insert(file.get().clone());
            response
        }
        Err(_) => Response::new(ResponseBody::full(body_bytes(&body)?)),
    };
    *response.status_mut() = wire::status(status)?;
    *response.headers_mut() = wire::header_map(
        headers
            .iter()
            .map(|pair| pair.extract::<(String, String)>()),
    )?;
    Ok(response)
}

fn log_failure(py: Python<'_>, route: &Route, err: PyErr) {
    crate::python::log_error(
        py,
        &format!("route {} could not build its response", route.common.name),
        Some(err),
    );
}
