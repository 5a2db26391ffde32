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

use crate::admission::{Gate, Refusal};
use crate::body::{BoxError, ResponseBody};
use crate::conn::ConnInfo;
use crate::errors;
use crate::python::BridgeInner;
use exchange::{Exchange, HttpChannel, Lifeline, Prefetch};
pub use scope::AsgiApp;

/// Body bytes read before the app is started: most request bodies whole, so a client
/// that announces a body and stalls never holds a place in the queue; a larger body
/// streams into the app once it runs, under the same pace. Below HTTP/2's default
/// stream window (64 KiB - 1), so a client never waits on a window update for it.
const PREFETCH: usize = 16 * 1024;

/// Run the ASGI app for one request, once enough of its body is in and it has a place
/// in the queue, and return its response as soon as it starts: a body over
/// `max_body_size` is a 413, an app that has not started its response within
/// `response_timeout` a 504.
#[allow(clippy::too_many_arguments)]
pub async fn serve<B>(
    bridge: &Arc<BridgeInner>,
    app: Arc<AsgiApp>,
    conn: Arc<ConnInfo>,
    head: http::request::Parts,
    body: B,
    gate: Gate,
    max_body_size: usize,
    response_timeout: Option<std::time::Duration>,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError> + Send,
{
    if body.size_hint().lower() > max_body_size as u64 {
        return errors::payload_too_large(max_body_size);
    }
    let (head_tx, mut head_rx) = oneshot::channel();
    // Kept for an `http.response.pathsend` answer; the app gets the head.
    let method = head.method.clone();
    let conditions = crate::files::conditions(&head.headers);
    let exchange = Exchange::new(bridge.clone(), head_tx);
    if body.is_end_stream() {
        exchange.body_complete();
    } else {
        crate::python::runtime().spawn(exchange.clone().read_body(body, max_body_size));
    }
    let lifeline = Lifeline(exchange.clone());
    let place = match exchange.prefetch(PREFETCH).await {
        Prefetch::Ready => gate.enter().map_err(Refusal::response),
        Prefetch::Failed => Err((&mut head_rx)
            .await
            .unwrap_or_else(|_| errors::internal_error())),
    };
    // Held until the response head is ready.
    let _place = match place {
        Ok(place) => place,
        Err(refusal) => return refusal,
    };
    let watched = exchange.clone();
    bridge.submit(Box::new(move |py, lp| {
        // Reset while it waited in the batch: the app is not started for nobody.
        if exchange.abandoned() {
            return exchange.disconnect();
        }
        let channel = HttpChannel {
            exchange: exchange.clone(),
        };
        let started = scope::connection_scope(py, scope::Protocol::Http, &head, &conn, &app)
            .and_then(|scope| {
                let channel = pyo3::Bound::new(py, channel)?.into_any();
                start_app(py, lp, &app, scope, channel)
            });
        match started {
            Ok(task) => {
                exchange.watch(&task);
                crate::python::when_done(py, &task, move |py, outcome| {
                    exchange.app_finished(py, outcome)
                })
            }
            Err(err) => exchange.app_finished(py, Err(err)),
        }
    }));
    let answer = match response_timeout {
        None => head_rx.await,
        Some(limit) => match tokio::time::timeout(limit, &mut head_rx).await {
            Ok(answer) => answer,
            Err(_) => {
                watched.time_out(limit);
                head_rx.await
            }
        },
    };
    match answer {
        Ok(mut response) => {
            if let Some(file) = response.extensions_mut().remove::<crate::files::SendFile>() {
                let (app, conditions) = ("ASGI application", &conditions);
                response =
                    crate::files::serve(bridge, app, &file, response, &method, conditions).await;
            }
            response.body_mut().keep(lifeline);
            response
        }
        Err(_) => errors::internal_error(),
    }
}

/// Call `app(scope, channel.receive, channel.send)` in a real asyncio Task.
fn start_app<'py>(
    py: Python<'py>,
    lp: &crate::python::EventLoop,
    app: &AsgiApp,
    scope: pyo3::Bound<'py, pyo3::types::PyDict>,
    channel: pyo3::Bound<'py, pyo3::PyAny>,
) -> PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
    let receive = channel.getattr(pyo3::intern!(py, "receive"))?;
    let send = channel.getattr(pyo3::intern!(py, "send"))?;
    let coro = app.app.bind(py).call1((scope, receive, send))?;
    lp.create_task(py, &coro, None)
}
