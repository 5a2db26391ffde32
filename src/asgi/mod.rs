//! The ASGI 3.0 adapter: every request no Bolt route takes goes to the ASGI app.

pub mod exchange;
pub mod scope;
pub mod websocket;

use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body::Body;
use pyo3::prelude::*;
use tokio::sync::oneshot;

use crate::body::{BoxError, ResponseBody};
use crate::fastpath::errors;
use crate::python::BridgeInner;
use exchange::{Exchange, HttpChannel, Lifeline};
pub use scope::{AsgiApp, ConnInfo};

/// Run the ASGI app for one request and return its response as soon as it starts.
pub async fn serve<B>(
    bridge: &Arc<BridgeInner>,
    app: Arc<AsgiApp>,
    conn: Arc<ConnInfo>,
    head: http::request::Parts,
    body: B,
    max_body_size: usize,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError> + Send,
{
    if body.size_hint().lower() > max_body_size as u64 {
        return errors::payload_too_large(max_body_size);
    }
    let (head_tx, head_rx) = oneshot::channel();
    let exchange = Exchange::new(bridge.clone(), head_tx);
    if body.is_end_stream() {
        exchange.body_complete();
    } else {
        crate::server::runtime().spawn(exchange.clone().read_body(body, max_body_size));
    }
    let lifeline = Lifeline(exchange.clone());
    bridge.submit(Box::new(move |py, lp| {
        let channel = HttpChannel {
            exchange: exchange.clone(),
        };
        let started = scope::connection_scope(py, scope::Protocol::Http, &head, &conn, &app)
            .and_then(|scope| start_app(py, lp, &app, scope, channel));
        match started {
            Ok(task) => crate::python::when_done(py, &task, move |py, outcome| {
                exchange.app_finished(py, outcome)
            }),
            Err(err) => exchange.app_finished(py, Err(err)),
        }
    }));
    match head_rx.await {
        Ok(mut response) => {
            response.body_mut().keep(lifeline);
            response
        }
        Err(_) => errors::internal_error(),
    }
}

/// Call `app(scope, channel.receive, channel.send)` in a real asyncio Task.
fn start_app<'py, C: pyo3::PyClass + Into<pyo3::PyClassInitializer<C>>>(
    py: Python<'py>,
    lp: &crate::python::EventLoop,
    app: &AsgiApp,
    scope: pyo3::Bound<'py, pyo3::types::PyDict>,
    channel: C,
) -> PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
    let channel = pyo3::Bound::new(py, channel)?.into_any();
    let receive = channel.getattr(pyo3::intern!(py, "receive"))?;
    let send = channel.getattr(pyo3::intern!(py, "send"))?;
    let coro = app.app.bind(py).call1((scope, receive, send))?;
    lp.create_task(py, &coro, None)
}
