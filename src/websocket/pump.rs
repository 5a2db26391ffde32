//! The frame pump: after the handshake, one task takes the socket over, hands each
//! message the client sends to the session's [`Peer`], and writes what the session
//! sends, until either side closes.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::Upgrade;
use crate::lifecycle::close_reason;

/// The side of a session that hears what the client sends: the app's inbox.
pub trait Peer: Send + Sync + 'static {
    /// A text message arrived.
    fn text(self: &Arc<Self>, text: String);
    /// A binary message arrived.
    fn binary(self: &Arc<Self>, data: Bytes);
    /// The server closes the socket itself with `code`, unless the app has closed it
    /// already.
    fn close(&self, code: u16, reason: &str);
    /// The connection is over: the client closed with `code` (1005 when its close
    /// frame had none), or it went away without one (1006).
    fn gone(self: &Arc<Self>, code: u16, reason: &str);
}

/// A close frame with `code` and `reason`.
pub fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_owned().into(),
    }))
}

/// Take the socket over once the handshake is answered, then pump frames: those read
/// go to `peer`, those in `outbound` are written. A frame or message larger than
/// `max_message_size` closes the socket with 1009; the server stopping closes it with
/// the code `closing` takes (1012 when another process replaces this one).
pub async fn run<P: Peer>(
    upgrade: Upgrade,
    max_message_size: usize,
    outbound: mpsc::Receiver<Message>,
    closing: watch::Receiver<Option<u16>>,
    peer: Arc<P>,
) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(max_message_size))
        .max_frame_size(Some(max_message_size));
    match upgrade {
        Upgrade::Hyper(upgrade) => match upgrade.await {
            Ok(upgraded) => pump(TokioIo::new(upgraded), config, outbound, closing, peer).await,
            Err(_) => peer.gone(1006, ""),
        },
        Upgrade::InProcess(socket) => pump(socket.stream, config, outbound, closing, peer).await,
    }
}

/// Once the server stops, tell the client with a close frame (the session sends it
/// through the pump's writer, and the client's answering close ends the pump); never
/// finishes, so the pump decides when the socket is done.
async fn stopping<P: Peer>(mut closing: watch::Receiver<Option<u16>>, peer: Arc<P>) {
    if let Ok(code) = closing.wait_for(Option::is_some).await {
        let code = code.unwrap_or(1001);
        peer.close(code, close_reason(code));
    }
    std::future::pending::<()>().await
}

/// Pump frames both ways until either side closes.
async fn pump<S, P>(
    io: S,
    config: WebSocketConfig,
    mut outbound: mpsc::Receiver<Message>,
    closing: watch::Receiver<Option<u16>>,
    peer: Arc<P>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
    P: Peer,
{
    let socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let (mut sink, mut stream) = socket.split();
    let writer = async move {
        while let Some(message) = outbound.recv().await {
            let last = matches!(message, Message::Close(_));
            if sink.send(message).await.is_err() || last {
                break;
            }
        }
        let _ = sink.close().await;
    };
    let reader = async {
        loop {
            match stream.next().await {
                Some(Ok(Message::Text(text))) => peer.text(text.as_str().to_owned()),
                Some(Ok(Message::Binary(data))) => peer.binary(data),
                Some(Ok(Message::Close(frame))) => {
                    break match frame {
                        Some(frame) => peer.gone(frame.code.into(), &frame.reason),
                        None => peer.gone(1005, ""),
                    };
                }
                Some(Ok(_)) => {} // ping and pong are answered by tungstenite
                Some(Err(WsError::Capacity(_))) => {
                    peer.close(CloseCode::Size.into(), "message too big");
                    break peer.gone(1009, "message too big");
                }
                Some(Err(_)) | None => break peer.gone(1006, ""),
            }
        }
    };
    tokio::select! {
        _ = async { tokio::join!(reader, writer) } => {}
        _ = stopping(closing, peer.clone()) => {}
    }
}
