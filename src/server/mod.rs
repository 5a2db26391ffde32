//! Listeners and connections: hyper serves HTTP/1.1 and HTTP/2 (h2c) on one port,
//! with the limits and timeouts from [`ServerConfig`] and a graceful shutdown.

mod listener;
pub mod runtime;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::App;
use crate::asgi::ConnInfo;
use crate::service::{self, AppInner};
pub use runtime::runtime;

/// Connection-level settings.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub backlog: i32,
    pub reuse_port: bool,
    /// Idle time allowed between requests on a kept-alive connection.
    pub keep_alive: Duration,
    /// Time allowed to send a request head.
    pub header_timeout: Duration,
    pub max_header_size: usize,
    pub h2_max_concurrent_streams: u32,
}

impl ServerConfig {
    fn builder(&self) -> auto::Builder<TokioExecutor> {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            // hyper starts this timer whenever it waits for a request head, so it bounds
            // both a slow head and an idle kept-alive connection.
            .header_read_timeout(self.keep_alive.min(self.header_timeout))
            .max_buf_size(self.max_header_size.max(8192))
            .keep_alive(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(self.h2_max_concurrent_streams)
            .max_header_list_size(self.max_header_size as u32)
            .keep_alive_interval(Some(self.keep_alive.max(Duration::from_secs(1))));
        builder
    }
}

/// A listening server: `start()` binds and serves; `shutdown()` stops gracefully.
#[pyclass(module = "django_bolt._core")]
pub struct Server {
    app: Arc<AppInner>,
    addr: std::net::SocketAddr,
    config: ServerConfig,
    stop: Option<watch::Sender<Option<Duration>>>,
    finished: Option<tokio::sync::oneshot::Receiver<()>>,
    bound: Option<std::net::SocketAddr>,
}

#[pymethods]
impl Server {
    #[new]
    #[pyo3(signature = (app, host="127.0.0.1", port=8000, *, backlog=1024, reuse_port=false,
        keep_alive=5.0, header_timeout=30.0, max_header_size=65536, h2_max_concurrent_streams=200))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        app: &App,
        host: &str,
        port: u16,
        backlog: i32,
        reuse_port: bool,
        keep_alive: f64,
        header_timeout: f64,
        max_header_size: usize,
        h2_max_concurrent_streams: u32,
    ) -> PyResult<Self> {
        let addr = listener::resolve(host, port)?;
        let seconds = |s: f64, what: &str| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "{what} must be a number of seconds ≥ 0"
                ))
            })
        };
        Ok(Server {
            app: app.inner.clone(),
            addr,
            config: ServerConfig {
                backlog,
                reuse_port,
                keep_alive: seconds(keep_alive, "keep_alive")?,
                header_timeout: seconds(header_timeout, "header_timeout")?,
                max_header_size,
                h2_max_concurrent_streams,
            },
            stop: None,
            finished: None,
            bound: None,
        })
    }

    /// Bind and start serving on the runtime; raises OSError naming the address.
    fn start(&mut self) -> PyResult<()> {
        if self.stop.is_some() {
            return Err(PyRuntimeError::new_err("the server is already started"));
        }
        let std_listener = listener::bind(self.addr, self.config.backlog, self.config.reuse_port)?;
        self.bound = Some(std_listener.local_addr()?);
        let rt = runtime();
        let listener = {
            let _guard = rt.enter();
            TcpListener::from_std(std_listener)?
        };
        let (stop_tx, stop_rx) = watch::channel(None);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        rt.spawn(accept_loop(
            listener,
            self.app.clone(),
            self.config.clone(),
            stop_rx,
            done_tx,
        ));
        self.stop = Some(stop_tx);
        self.finished = Some(done_rx);
        Ok(())
    }

    /// The address actually bound (port 0 asks the system for a free port).
    #[getter]
    fn port(&self) -> Option<u16> {
        self.bound.map(|a| a.port())
    }

    /// Stop accepting, let in-flight requests finish for up to `grace` seconds.
    /// Returns an asyncio future completed when the server has stopped.
    fn shutdown<'py>(&mut self, py: Python<'py>, grace: f64) -> PyResult<Bound<'py, PyAny>> {
        let lp = self
            .app
            .bridge
            .event_loop()
            .ok_or_else(|| PyRuntimeError::new_err("no event loop is attached"))?;
        let future = lp.create_future(py)?;
        let (Some(stop), Some(finished)) = (self.stop.take(), self.finished.take()) else {
            future.call_method1("set_result", (py.None(),))?;
            return Ok(future);
        };
        let _ = stop.send(Some(Duration::from_secs_f64(grace.max(0.0))));
        let done = future.clone().unbind();
        let bridge = self.app.bridge.clone();
        runtime().spawn(async move {
            let _ = finished.await;
            bridge.submit(Box::new(move |py, _| {
                crate::python::settle(done.bind(py), Ok(py.None().into_bound(py)));
            }));
        });
        Ok(future)
    }
}

async fn accept_loop(
    listener: TcpListener,
    app: Arc<AppInner>,
    config: ServerConfig,
    mut stop: watch::Receiver<Option<Duration>>,
    done: tokio::sync::oneshot::Sender<()>,
) {
    let builder = Arc::new(config.builder());
    let graceful = GracefulShutdown::new();
    let server_addr = listener.local_addr().ok();
    let grace = loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let conn = Arc::new(ConnInfo { client: Some(peer), server: server_addr, scheme: "http" });
                    serve_connection(&builder, &graceful, TokioIo::new(stream), app.clone(), conn);
                }
                Err(err) => {
                    // Out of descriptors or a connection reset before accept: keep serving.
                    eprintln!("django-bolt: accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = stop.changed() => break stop.borrow().unwrap_or_default(),
        }
    };
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {
            eprintln!("django-bolt: grace period over, closing the remaining connections");
        }
    }
    let _ = done.send(());
}

fn serve_connection<I>(
    builder: &Arc<auto::Builder<TokioExecutor>>,
    graceful: &GracefulShutdown,
    io: I,
    app: Arc<AppInner>,
    conn: Arc<ConnInfo>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let app = app.clone();
        let conn = conn.clone();
        async move { Ok::<_, Infallible>(service::handle(app, conn, request).await) }
    });
    let connection = builder
        .serve_connection_with_upgrades(io, service)
        .into_owned();
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        // Errors here are the client's (reset, bad request already answered by hyper).
        let _ = connection.await;
    });
}
