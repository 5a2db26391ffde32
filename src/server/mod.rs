//! Listeners and connections: hyper serves HTTP/1.1 and HTTP/2 on a TCP port (in the
//! clear or over rustls), quinn + h3 serve HTTP/3 on the same port number over UDP;
//! all with the limits and timeouts of [`ServerConfig`] and a graceful shutdown.

mod first_request;
mod gather;
mod graceful;
mod h3;
mod listener;
mod preface;
mod resets;

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::access_log::AccessLog;
use crate::app::App;
use crate::body::ResponseBody;
use crate::conn::{ConnInfo, Scheme};
use crate::notice::Notice;
use crate::python::{complete_later, runtime};
use crate::service::{self, AppInner};
use crate::tls::{CertStore, TlsFiles, TlsInfo};
use first_request::{Arrivals, FirstRequest};
use gather::Gather;
use graceful::{Graceful, Watcher};
use resets::ResetBudget;

/// Streams an HTTP/2 connection may make this server reset (see `http2_builder`).
const MAX_ERROR_RESETS: usize = 100;

/// Connection-level settings, the same for every protocol.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The port actually bound (HTTP/3 listens on the same number).
    pub port: u16,
    pub backlog: i32,
    pub reuse_port: bool,
    /// Idle time allowed on a connection (HTTP/1.1 between requests, HTTP/2 ping
    /// interval, QUIC idle timeout).
    pub keep_alive: Duration,
    /// Time allowed to send a request head (but see [`ServerConfig::head_timeout`]).
    pub header_timeout: Duration,
    /// Request head size (HTTP/1.1 buffer, HTTP/2 header list, HTTP/3 field section).
    pub max_header_size: usize,
    /// Streams per connection on HTTP/2 and HTTP/3.
    pub max_concurrent_streams: u32,
    pub tls: Option<Arc<CertStore>>,
    pub http3: bool,
}

impl ServerConfig {
    /// The time a request head may take: from accept for the first one (TLS
    /// handshake included), from the previous response for the next. Waiting for
    /// the first bytes of a head is idling, so keep-alive bounds it too.
    fn head_timeout(&self) -> Duration {
        self.keep_alive.min(self.header_timeout)
    }

    /// HTTP/1.1, with upgrades to WebSocket (`preface` has already told HTTP/2 apart).
    fn http1_builder(&self) -> http1::Builder {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            // hyper starts this timer whenever it waits for a request head, so it bounds
            // both a slow head and an idle kept-alive connection. (The first head's
            // deadline runs from accept: see `first_request`.)
            .header_read_timeout(self.head_timeout())
            // The head's own limit: the buffer's (hyper's minimum is 8 KiB) is checked
            // only between reads, and one read may carry a head past it.
            .max_header_size(self.max_header_size)
            .max_buf_size(self.max_header_size.max(8192))
            .keep_alive(true);
        builder
    }

    fn http2_builder(&self) -> http2::Builder<TokioExecutor> {
        let mut builder = http2::Builder::new(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .max_concurrent_streams(self.max_concurrent_streams)
            // Streams this server resets for the client's errors (refused streams
            // past the limit above, malformed requests) before GOAWAY; h2's 1024
            // lets a client make the server reset a thousand streams first.
            .max_local_error_reset_streams(MAX_ERROR_RESETS)
            // WebSockets over HTTP/2 (RFC 8441).
            .enable_connect_protocol()
            .max_header_list_size(self.max_header_size as u32)
            .keep_alive_interval(Some(self.keep_alive.max(Duration::from_secs(1))));
        builder
    }

    fn alt_svc(&self) -> Option<HeaderValue> {
        self.http3
            .then(|| HeaderValue::from_str(&format!("h3=\":{}\"; ma=86400", self.port)).ok())
            .flatten()
    }
}

/// A listening server: `start()` binds and serves; `shutdown()` stops gracefully.
#[pyclass(module = "django_bolt._core")]
pub struct Server {
    app: Arc<AppInner>,
    addr: std::net::SocketAddr,
    /// A listening socket bound by a supervisor (see [`listen`]): accepted from
    /// instead of binding one.
    inherited: Option<i32>,
    /// The same for HTTP/3's UDP socket.
    inherited_udp: Option<i32>,
    config: ServerConfig,
    stop: Option<watch::Sender<Option<Duration>>>,
    tasks: Vec<JoinHandle<()>>,
}

#[pymethods]
impl Server {
    #[new]
    #[pyo3(signature = (app, host="127.0.0.1", port=8000, *, backlog=1024, reuse_port=false,
        keep_alive=5.0, header_timeout=30.0, max_header_size=65536, max_concurrent_streams=200,
        cert=None, key=None, key_password=None, client_ca=None, http3=false, fd=None,
        udp_fd=None))]
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
        max_concurrent_streams: u32,
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
        key_password: Option<String>,
        client_ca: Option<PathBuf>,
        http3: bool,
        fd: Option<i32>,
        udp_fd: Option<i32>,
    ) -> PyResult<Self> {
        let addr = listener::resolve(host, port)?;
        let seconds = |s: f64, what: &str| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                PyValueError::new_err(format!("{what} must be a number of seconds ≥ 0"))
            })
        };
        let tls = match (cert, key) {
            (Some(cert), Some(key)) => {
                let store = CertStore::load(TlsFiles {
                    cert,
                    key,
                    key_password,
                    client_ca,
                })
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
                Some(store)
            }
            (None, None) if client_ca.is_none() => None,
            _ => {
                return Err(PyValueError::new_err(
                    "TLS needs both a certificate and a key",
                ))
            }
        };
        if http3 && tls.is_none() {
            return Err(PyValueError::new_err(
                "HTTP/3 needs TLS: give a certificate and a key",
            ));
        }
        Ok(Server {
            app: app.inner.clone(),
            addr,
            inherited: fd,
            inherited_udp: udp_fd,
            config: ServerConfig {
                port,
                backlog,
                reuse_port,
                keep_alive: seconds(keep_alive, "keep_alive")?,
                header_timeout: seconds(header_timeout, "header_timeout")?,
                max_header_size,
                max_concurrent_streams,
                tls,
                http3,
            },
            stop: None,
            tasks: Vec::new(),
        })
    }

    /// Bind and start serving on the runtime; raises OSError naming the address.
    fn start(&mut self) -> PyResult<()> {
        if self.stop.is_some() {
            return Err(PyRuntimeError::new_err("the server is already started"));
        }
        let tcp = match self.inherited.take() {
            Some(fd) => listener::inherit(fd)?,
            None => listener::bind(self.addr, self.config.backlog, self.config.reuse_port)?,
        };
        let bound = tcp.local_addr()?;
        self.config.port = bound.port();
        let udp = match (self.config.http3, self.inherited_udp.take()) {
            (true, Some(fd)) => Some(listener::inherit_udp(fd)?),
            (true, None) => Some(listener::bind_udp(bound, self.config.reuse_port)?),
            (false, _) => None,
        };
        let tls = self.tls_configs()?;
        let rt = runtime();
        let _guard = rt.enter();
        let (stop_tx, stop_rx) = watch::channel(None);
        let tcp = TcpListener::from_std(tcp)?;
        let acceptor = tls
            .as_ref()
            .map(|(tcp_tls, _)| TlsAcceptor::from(tcp_tls.clone()));
        let accept = accept_loop(
            tcp,
            acceptor,
            self.app.clone(),
            self.config.clone(),
            stop_rx.clone(),
        );
        self.tasks.push(rt.spawn(accept));
        if let (Some(udp), Some((_, quic_tls))) = (udp, tls) {
            let endpoint = h3::endpoint(udp, quic_tls, &self.config)?;
            let serve = h3::serve(endpoint, self.app.clone(), self.config.clone(), stop_rx);
            self.tasks.push(rt.spawn(serve));
        }
        self.stop = Some(stop_tx);
        Ok(())
    }

    /// The port actually bound (port 0 asks the system for a free one).
    #[getter]
    fn port(&self) -> Option<u16> {
        self.stop.as_ref().map(|_| self.config.port)
    }

    /// Read the certificate and key files again (SIGHUP). New connections use the
    /// new certificate; open ones keep theirs. On error the old one stays in use.
    fn reload_tls(&self) -> PyResult<()> {
        match &self.config.tls {
            Some(store) => store
                .reload()
                .map_err(|e| PyValueError::new_err(e.to_string())),
            None => Err(PyRuntimeError::new_err("this server does not use TLS")),
        }
    }

    /// Requests answered so far (every protocol), for recycling the process.
    #[getter]
    fn requests(&self) -> u64 {
        self.app.lifecycle.requests()
    }

    /// Stop accepting, let in-flight requests finish for up to `grace` seconds, and
    /// close open WebSockets with `websocket_close` (1001, going away; 1012, service
    /// restart, when another process takes over). Returns an asyncio future completed
    /// when the server has stopped.
    #[pyo3(signature = (grace, websocket_close=1001))]
    fn shutdown<'py>(
        &mut self,
        py: Python<'py>,
        grace: f64,
        websocket_close: u16,
    ) -> PyResult<Bound<'py, PyAny>> {
        // Checked first, so a server that cannot report its end is not stopped.
        self.app.bridge.event_loop()?;
        self.app.lifecycle.stopping(websocket_close);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(Some(Duration::from_secs_f64(grace.max(0.0))));
        }
        let tasks = std::mem::take(&mut self.tasks);
        complete_later(
            py,
            &self.app.bridge,
            async move {
                for task in tasks {
                    let _ = task.await;
                }
            },
            |py, ()| Ok(py.None().into_bound(py)),
        )
    }
}

/// Bind a socket for a supervisor to hand to the processes it starts (each passes it
/// to `Server(fd=...)` or `Server(udp_fd=...)`): TCP listening (backlog `backlog`) or,
/// with `udp`, UDP for HTTP/3; with SO_REUSEPORT, so the supervisor binds one of each
/// per process place and the kernel spreads clients over them. A socket outlives the
/// process accepting from it: connections queued when that process dies wait for its
/// replacement, which is handed the same socket. Returns the descriptor, which the
/// caller owns, and the port bound (port 0 asks the system for a free one).
#[pyfunction]
#[pyo3(signature = (host, port, backlog=1024, *, udp=false))]
pub fn listen(host: &str, port: u16, backlog: i32, udp: bool) -> PyResult<(i32, u16)> {
    use std::os::fd::IntoRawFd;
    let addr = listener::resolve(host, port)?;
    // Blocking, as a descriptor handed to another process is expected to be; each
    // server sets its own copy non-blocking.
    if udp {
        let socket = listener::bind_udp(addr, true)?;
        socket.set_nonblocking(false)?;
        let port = socket.local_addr()?.port();
        return Ok((socket.into_raw_fd(), port));
    }
    let socket = listener::bind(addr, backlog, true)?;
    socket.set_nonblocking(false)?;
    let port = socket.local_addr()?.port();
    Ok((socket.into_raw_fd(), port))
}

impl Server {
    /// rustls configs for TCP (ALPN h2, http/1.1) and QUIC (ALPN h3).
    fn tls_configs(&self) -> PyResult<Option<(Arc<rustls::ServerConfig>, rustls::ServerConfig)>> {
        let Some(store) = &self.config.tls else {
            return Ok(None);
        };
        let invalid = |e: crate::tls::TlsError| PyValueError::new_err(e.to_string());
        let tcp = store
            .server_config(&[b"h2", b"http/1.1"])
            .map_err(invalid)?;
        let quic = store.server_config(&[b"h3"]).map_err(invalid)?;
        Ok(Some((Arc::new(tcp), quic)))
    }
}

/// Pause after a failed accept, doubled up to [`ACCEPT_PAUSE_MAX`] while accepting
/// keeps failing: the connection that could not be taken is still queued, and
/// retrying at once would spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(10);
const ACCEPT_PAUSE_MAX: Duration = Duration::from_millis(500);
/// Connections without a request closed for each accept that finds no descriptor...
const EVICT_PER_FAILED_ACCEPT: usize = 4;
/// ...among those that have had this long to send one.
const EVICT_MIN_AGE: Duration = Duration::from_millis(100);

static ACCEPT_FAILED: Notice = Notice::new();
static CONNECTION_FAILED: Notice = Notice::new();
static RESETS_EXHAUSTED: Notice = Notice::new();

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Arc<AppInner>,
    config: ServerConfig,
    mut stop: watch::Receiver<Option<Duration>>,
) {
    let connections = Arc::new(Connections {
        http1: config.http1_builder(),
        http2: config.http2_builder(),
        tls,
        app,
        server_addr: listener.local_addr().ok(),
        alt_svc: config.alt_svc(),
    });
    let arrivals = Arc::new(Arrivals::default());
    let head_timeout = config.head_timeout();
    let graceful = Graceful::new();
    let mut pause = ACCEPT_PAUSE;
    let mut paused_until = None;
    let grace = loop {
        tokio::select! {
            accepted = listener.accept(), if paused_until.is_none() => match accepted {
                Ok((stream, peer)) => {
                    pause = ACCEPT_PAUSE;
                    let _ = stream.set_nodelay(true);
                    let first = arrivals.admit(peer, head_timeout, stop.clone());
                    let watcher = graceful.watcher();
                    tokio::spawn(connections.clone().serve(stream, peer, first, watcher));
                }
                Err(err) => {
                    // Out of descriptors: those held by clients that sent nothing go
                    // first. Other errors (a connection reset before accept) pass.
                    let evicted = match out_of_descriptors(&err) {
                        true => arrivals.evict_oldest(EVICT_PER_FAILED_ACCEPT, EVICT_MIN_AGE),
                        false => 0,
                    };
                    ACCEPT_FAILED.print(|| format!(
                        "accept failed: {err}; closing {evicted} connections that sent no request"
                    ));
                    paused_until = Some(tokio::time::Instant::now() + pause);
                    pause = (pause * 2).min(ACCEPT_PAUSE_MAX);
                }
            },
            _ = tokio::time::sleep_until(paused_until.unwrap_or_else(tokio::time::Instant::now)),
                if paused_until.is_some() => paused_until = None,
            _ = stop.changed() => break stop.borrow().unwrap_or_default(),
        }
    };
    drop(listener);
    connections.app.lifecycle.close_websockets();
    let deadline = tokio::time::Instant::now() + grace;
    // Connections accepted a moment ago get their first request in before hyper's
    // graceful shutdown, which closes a connection that has not sent one.
    arrivals.settle(first_request::SETTLE.min(grace)).await;
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep_until(deadline) => {
            eprintln!("django-bolt: grace period over, closing the remaining connections");
        }
    }
}

fn out_of_descriptors(err: &std::io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// The TLS handshake, or `None` if it fails or the client speaks plain HTTP (which is
/// answered 400, and logged in `log` when the access log is on).
async fn handshake(
    acceptor: &TlsAcceptor,
    mut stream: TcpStream,
    log: Option<(&Arc<AccessLog>, std::net::SocketAddr)>,
) -> Option<TlsStream<TcpStream>> {
    if speaks_plain_http(&stream).await {
        if let Some((log, peer)) = log {
            log.refused(400, http::Version::HTTP_11, Some(peer.ip()));
        }
        let _ = stream.write_all(PLAIN_HTTP_ANSWER).await;
        let _ = stream.shutdown().await;
        return None;
    }
    acceptor.accept(stream).await.ok()
}

const PLAIN_HTTP_ANSWER: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 46\r\nConnection: close\r\n\r\nThis port speaks HTTPS; plain HTTP was sent.\r\n";

/// A TLS ClientHello starts with 0x16; a plain HTTP request starts with a method name.
async fn speaks_plain_http(stream: &TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(stream.peek(&mut first).await, Ok(1) if first[0].is_ascii_uppercase())
}

/// A connection's protocol, served until the connection closes.
type Served = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// What every connection of one listener shares.
struct Connections {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
    tls: Option<TlsAcceptor>,
    app: Arc<AppInner>,
    server_addr: Option<std::net::SocketAddr>,
    alt_svc: Option<HeaderValue>,
}

impl Connections {
    /// Serve one accepted connection until it closes, over TLS when the listener
    /// has a certificate. The TLS handshake is part of the time `first` allows.
    ///
    /// This future is the connection's task, held for as long as the connection is
    /// open, idle ones included: each step that needs much state (the handshake, the
    /// plain or TLS connection, each protocol's connection) is boxed, so a connection
    /// holds only what its own path needs rather than the largest of them all.
    async fn serve(
        self: Arc<Self>,
        stream: TcpStream,
        peer: std::net::SocketAddr,
        first: FirstRequest,
        watcher: Watcher,
    ) {
        let Some(acceptor) = self.tls.clone() else {
            if let Some(served) = Box::pin(self.run(stream, peer, None, first, watcher)).await {
                served.await;
            }
            return;
        };
        // A failed or slow handshake only concerns that client.
        let log = self.app.access_log.as_ref().map(|log| (log, peer));
        let handshake = Box::pin(first.within(handshake(&acceptor, stream, log)));
        if let Some(Some(tls)) = handshake.await {
            let info = Arc::new(TlsInfo::of(tls.get_ref().1));
            if let Some(served) = Box::pin(self.run(tls, peer, Some(info), first, watcher)).await {
                served.await;
            }
        }
    }

    /// HTTP/1.1 or HTTP/2 on `io`, to be served until the connection closes; `None`
    /// if the connection ends while its first bytes are screened. Returned rather than
    /// awaited here, so the connection holds none of this step's state.
    async fn run<I>(
        self: Arc<Self>,
        io: I,
        peer: std::net::SocketAddr,
        tls: Option<Arc<TlsInfo>>,
        first: FirstRequest,
        watcher: Watcher,
    ) -> Option<Served>
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let h2 = tls.as_ref().is_some_and(|tls| tls.h2);
        let io = Box::pin(first.within(preface::screen(io, h2))).await??;
        let scheme = if tls.is_some() {
            Scheme::Https
        } else {
            Scheme::Http
        };
        let info = Arc::new(ConnInfo::new(Some(peer), self.server_addr, scheme, tls));
        Some(if io.http2() {
            Box::pin(self.serve_http2(io, peer, info, first, watcher))
        } else {
            Box::pin(self.serve_http1(io, peer, info, first, watcher))
        })
    }

    async fn serve_http2<I>(
        self: Arc<Self>,
        io: I,
        peer: std::net::SocketAddr,
        info: Arc<ConnInfo>,
        first: FirstRequest,
        watcher: Watcher,
    ) where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let io = TokioIo::new(Gather::new(io));
        let resets = ResetBudget::new();
        let budget = resets.clone();
        let marker = first.marker();
        // Each stream's future is moved into a task of its own: boxed, moving it
        // copies a pointer instead of the whole request's state.
        let shared = self.clone();
        let service = service_fn(move |request| {
            marker.mark();
            let pending = budget.pending();
            Box::pin(shared.clone().respond(&info, request, Some(pending)))
        });
        let connection = watcher.watch(self.http2.serve_connection(io, service));
        tokio::select! {
            served = first.within(connection) => {
                if let Some(Err(err)) = served {
                    report_http2_error(peer, &err);
                }
            }
            _ = resets.exhausted() => RESETS_EXHAUSTED.print(|| format!(
                "closed {peer}: HTTP/2 streams cancelled faster than {} a second \
                 (bursts of {})", resets::PER_SECOND, resets::BURST
            )),
        }
    }

    async fn serve_http1<I>(
        self: Arc<Self>,
        io: I,
        peer: std::net::SocketAddr,
        info: Arc<ConnInfo>,
        first: FirstRequest,
        watcher: Watcher,
    ) where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let io = TokioIo::new(io);
        let marker = first.marker();
        let shared = self.clone();
        // Boxed per request: hyper keeps the slot of the request in flight for the
        // connection's whole life, so an idle connection holds a pointer, not the
        // request's whole state.
        let service = service_fn(move |request| {
            marker.mark();
            Box::pin(shared.clone().respond(&info, request, None))
        });
        // Boxed: the steps below hold a pointer to it rather than copies.
        let connection = Box::pin(self.http1.serve_connection(io, service).with_upgrades());
        // Errors here are the client's (reset, bad request already answered).
        let served = first.within(watcher.watch(connection)).await;
        if let (Some(Err(err)), Some(log)) = (served, &self.app.access_log) {
            if let Some(status) = parser_answer(&err) {
                log.refused(status, http::Version::HTTP_11, Some(peer.ip()));
            }
        }
    }

    /// The response to one request, with what every response of this listener says.
    /// `pending` (HTTP/2) counts the stream against the reset budget unless it is
    /// answered; it lives in this future so the future is built in place, not moved.
    fn respond(
        self: Arc<Self>,
        info: &Arc<ConnInfo>,
        request: http::Request<hyper::body::Incoming>,
        pending: Option<resets::Pending>,
    ) -> impl std::future::Future<Output = Result<http::Response<ResponseBody>, Infallible>> {
        let info = info.clone();
        async move {
            let mut response = service::handle(self.app.clone(), info, request).await;
            if let Some(pending) = pending {
                pending.answered();
            }
            if let Some(alt_svc) = &self.alt_svc {
                response
                    .headers_mut()
                    .insert(http::header::ALT_SVC, alt_svc.clone());
            }
            Ok(response)
        }
    }
}

/// The status hyper's HTTP/1.1 parser answered a request it could not read with,
/// if it answered one (its service never saw that request).
fn parser_answer(err: &hyper::Error) -> Option<u16> {
    match err {
        err if err.is_parse_too_large() => Some(431),
        err if err.is_parse() && !err.is_parse_version_h2() => Some(400),
        _ => None,
    }
}

/// Log a connection that h2 closed for breaking the protocol or a limit (a
/// CONTINUATION flood, too many refused or reset streams); not the client's own
/// closes and resets.
fn report_http2_error(peer: std::net::SocketAddr, err: &hyper::Error) {
    let cut = std::error::Error::source(err)
        .and_then(|source| source.downcast_ref::<h2::Error>())
        .filter(|h2| h2.is_go_away() && h2.is_library());
    if let Some(h2) = cut {
        CONNECTION_FAILED.print(|| format!("closed {peer}: HTTP/2 {h2}"));
    }
}
