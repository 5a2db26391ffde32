//! HTTP/3: a QUIC endpoint (quinn) on the TCP port's number over UDP, speaking h3.
//! Each request goes through the same service as HTTP/1.1 and HTTP/2.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use h3::server::{RequestResolver, RequestStream};
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use tokio::sync::{mpsc, watch};

use super::ServerConfig;
use crate::body::BoxError;
use crate::conn::{ConnInfo, Scheme};
use crate::notice::Notice;
use crate::service::{self, AppInner};
use crate::tls::TlsInfo;

type QuicConnection = h3_quinn::Connection;

static PROTOCOL_BROKEN: Notice = Notice::new();

/// Build the QUIC endpoint on `socket` (already bound, possibly SO_REUSEPORT).
pub fn endpoint(
    socket: std::net::UdpSocket,
    tls: rustls::ServerConfig,
    config: &ServerConfig,
) -> std::io::Result<quinn::Endpoint> {
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
        .map_err(|e| std::io::Error::other(format!("TLS settings unusable for QUIC: {e}")))?;
    let mut transport = quinn::TransportConfig::default();
    transport
        .max_idle_timeout(
            quinn::IdleTimeout::try_from(config.keep_alive.max(Duration::from_secs(1))).ok(),
        )
        .max_concurrent_bidi_streams(quinn::VarInt::from_u32(config.max_concurrent_streams));
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    server.transport_config(Arc::new(transport));
    quinn::Endpoint::new(
        quinn::EndpointConfig::default(),
        Some(server),
        socket,
        Arc::new(quinn::TokioRuntime),
    )
}

/// Accept QUIC connections until `stop` fires, then let open requests finish
/// (GOAWAY on each connection) and close the endpoint with a clean application close.
pub async fn serve(
    endpoint: quinn::Endpoint,
    app: Arc<AppInner>,
    config: ServerConfig,
    mut stop: watch::Receiver<Option<Duration>>,
) {
    let (alive, mut all_done) = mpsc::channel::<()>(1);
    let grace = loop {
        tokio::select! {
            incoming = endpoint.accept() => match incoming {
                Some(incoming) => {
                    let task = connection(incoming, app.clone(), config.clone(), stop.clone(), alive.clone());
                    tokio::spawn(task);
                }
                None => break Duration::ZERO,
            },
            _ = stop.changed() => break stop.borrow().unwrap_or_default(),
        }
    };
    drop(alive);
    let _ = tokio::time::timeout(grace, all_done.recv()).await;
    endpoint.close(quinn::VarInt::from_u32(0), b"server shutting down");
    let _ = tokio::time::timeout(Duration::from_secs(1), endpoint.wait_idle()).await;
}

async fn connection(
    incoming: quinn::Incoming,
    app: Arc<AppInner>,
    config: ServerConfig,
    mut stop: watch::Receiver<Option<Duration>>,
    alive: mpsc::Sender<()>,
) {
    let Ok(connection) = incoming.await else {
        return;
    };
    let info = Arc::new(ConnInfo::new(
        Some(connection.remote_address()),
        connection.local_ip().map(|ip| (ip, config.port).into()),
        Scheme::Https,
        Some(Arc::new(TlsInfo::of_quic(&connection))),
    ));
    let built = h3::server::builder()
        .max_field_section_size(config.max_header_size as u64)
        .build::<QuicConnection, Bytes>(h3_quinn::Connection::new(connection.clone()))
        .await;
    let Ok(mut h3) = built else { return };
    let mut stopping = false;
    loop {
        tokio::select! {
            accepted = h3.accept() => match accepted {
                Ok(Some(resolver)) => {
                    // Boxed, as the service's future below: h3's stream and header
                    // futures make this one large, and tokio would copy it whole when it
                    // spawns the task and again when the task completes.
                    let task = request(resolver, app.clone(), info.clone(), connection.clone(), alive.clone());
                    tokio::spawn(Box::pin(task));
                }
                // The client closed, or the GOAWAY we sent has been honoured.
                Ok(None) | Err(_) => break,
            },
            _ = stop.changed(), if !stopping => {
                stopping = true;
                let _ = h3.shutdown(0).await;
            }
        }
    }
    // quinn closed it for breaking QUIC's rules (more streams than allowed, ...).
    if let Some(quinn::ConnectionError::TransportError(err)) = connection.close_reason() {
        let peer = connection.remote_address();
        PROTOCOL_BROKEN.print(|| format!("closed {peer}: QUIC {err}"));
    }
}

async fn request(
    resolver: RequestResolver<QuicConnection, Bytes>,
    app: Arc<AppInner>,
    info: Arc<ConnInfo>,
    connection: quinn::Connection,
    _alive: mpsc::Sender<()>,
) {
    let Ok((head, stream)) = resolver.resolve_request().await else {
        return;
    };
    let (mut send, recv) = stream.split();
    // Boxed: the service's future is large, and this task's future would otherwise
    // hold all of it, copied whole each time tokio moves the task (spawn, first poll,
    // completion): 5% of an HTTP/3 request's CPU.
    let handled = Box::pin(service::handle(
        app,
        info,
        head.map(|()| RequestBody::new(recv)),
    ));
    let response = tokio::select! {
        response = handled => response,
        // The client closed the connection: dropping the request tells the app.
        _ = connection.closed() => return,
    };
    let (mut head, mut body) = response.into_parts();
    strip_connection_headers(&mut head.headers);
    if send
        .send_response(http::Response::from_parts(head, ()))
        .await
        .is_err()
    {
        return;
    }
    while let Some(frame) = body.frame().await {
        let sent = match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => send.send_data(data).await,
                Err(frame) => match frame.into_trailers() {
                    Ok(trailers) => send.send_trailers(trailers).await,
                    Err(_) => Ok(()),
                },
            },
            // The producer broke off (an ASGI app failed mid-response): reset the stream.
            Err(_) => {
                send.stop_stream(h3::error::Code::H3_INTERNAL_ERROR);
                return;
            }
        };
        if sent.is_err() {
            return;
        }
    }
    let _ = send.finish().await;
}

/// The request body as it arrives on the QUIC stream, then its trailers.
struct RequestBody {
    stream: RequestStream<h3_quinn::RecvStream, Bytes>,
    data_done: bool,
    finished: bool,
}

impl RequestBody {
    fn new(stream: RequestStream<h3_quinn::RecvStream, Bytes>) -> Self {
        RequestBody {
            stream,
            data_done: false,
            finished: false,
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        if !self.data_done {
            match self.stream.poll_recv_data(cx) {
                Poll::Ready(Ok(Some(mut data))) => {
                    let bytes = data.copy_to_bytes(data.remaining());
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                Poll::Ready(Ok(None)) => self.data_done = true,
                Poll::Ready(Err(err)) => return Poll::Ready(Some(Err(err.into()))),
                Poll::Pending => return Poll::Pending,
            }
        }
        let trailers = match self.stream.poll_recv_trailers(cx) {
            Poll::Ready(Ok(trailers)) => trailers,
            Poll::Ready(Err(err)) => return Poll::Ready(Some(Err(err.into()))),
            Poll::Pending => return Poll::Pending,
        };
        self.finished = true;
        Poll::Ready(trailers.map(|t| Ok(Frame::trailers(t))))
    }

    fn is_end_stream(&self) -> bool {
        self.finished
    }
}

/// HTTP/3 has no connection-specific header fields (RFC 9114 §4.2): an app's
/// `Connection`, the fields it lists, `Keep-Alive`, `Proxy-Connection`,
/// `Transfer-Encoding` and `Upgrade` go no further.
fn strip_connection_headers(headers: &mut http::HeaderMap) {
    use http::header::{HeaderName, CONNECTION, TRANSFER_ENCODING, UPGRADE};
    const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
    const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
    if headers.contains_key(CONNECTION) {
        let listed: Vec<HeaderName> = headers
            .get_all(CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
            .collect();
        for name in listed {
            headers.remove(name);
        }
    }
    for name in [
        CONNECTION,
        KEEP_ALIVE,
        PROXY_CONNECTION,
        TRANSFER_ENCODING,
        UPGRADE,
    ] {
        headers.remove(name);
    }
}
