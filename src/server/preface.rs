//! Answering a broken HTTP/2 connection preface with GOAWAY (RFC 9113 §3.4), which
//! hyper's protocol sniffing would otherwise treat as a bad HTTP/1.1 request, and a
//! request line ended by a bare LF with 400 (hyper would take it; a proxy in front
//! may read the request otherwise, which is how requests get smuggled).
//!
//! The first bytes of each connection are read here and then handed on to hyper
//! unchanged through [`Replay`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// GOAWAY, last stream 0, PROTOCOL_ERROR.
const GOAWAY_PROTOCOL_ERROR: &[u8] = &[0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// Bytes enough to judge the first line of an HTTP/1 request.
const FIRST_LINE: usize = 64;

/// 400 for a request line ended by a bare LF.
const BARE_LF_ANSWER: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 51\r\nConnection: close\r\n\r\n{\"detail\":\"Lines of a request must end with CR LF\"}";

/// Read the start of a connection and hand it on, unless it is HTTP/2 gone wrong
/// (then GOAWAY, PROTOCOL_ERROR) or a request line ended by a bare LF (then 400):
/// `None` then, as when the client closes first. `h2` says ALPN already chose
/// HTTP/2. The caller bounds the time this takes.
pub async fn screen<I>(mut io: I, h2: bool) -> Option<Replay<I>>
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    let mut seen = Vec::with_capacity(FIRST_LINE);
    let mut buf = [0u8; FIRST_LINE];
    while !decidable(&seen) {
        match io.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let answer = if broken_http2(&seen, h2) {
        Some(GOAWAY_PROTOCOL_ERROR)
    } else if bare_lf(&seen) {
        Some(BARE_LF_ANSWER)
    } else {
        None
    };
    if let Some(answer) = answer {
        let _ = io.write_all(answer).await;
        let _ = io.shutdown().await;
        return None;
    }
    Some(Replay {
        io,
        http2: h2 || seen.starts_with(PREFACE),
        head: seen,
        at: 0,
    })
}

fn decidable(seen: &[u8]) -> bool {
    let preface_open = seen.len() < PREFACE.len() && PREFACE.starts_with(seen);
    let line_open = seen.len() < FIRST_LINE && !seen.contains(&b'\n');
    !(preface_open || line_open)
}

/// Whether the client meant HTTP/2 and broke its preface: after ALPN h2, anything but
/// the preface; in the clear, a broken `PRI * HTTP/2.0` preface, or a first line
/// shaped like a request line whose protocol is not HTTP at all.
fn broken_http2(seen: &[u8], h2: bool) -> bool {
    if seen.starts_with(PREFACE) {
        return false;
    }
    if h2 || seen.starts_with(&PREFACE[..14]) {
        return true;
    }
    let Some(end) = seen.windows(2).position(|w| w == b"\r\n") else {
        return false;
    };
    let words: Vec<&[u8]> = seen[..end].split(|b| *b == b' ').collect();
    words.len() == 3 && !words[2].starts_with(b"HTTP/")
}

/// Whether the first line ends with a LF that no CR comes before.
fn bare_lf(seen: &[u8]) -> bool {
    match seen.iter().position(|b| *b == b'\n') {
        Some(0) => true,
        Some(end) => seen[end - 1] != b'\r',
        None => false,
    }
}

/// An IO that first gives back the bytes [`screen`] read.
pub struct Replay<I> {
    io: I,
    http2: bool,
    head: Vec<u8>,
    at: usize,
}

impl<I> Replay<I> {
    /// Whether the connection speaks HTTP/2 (its preface was seen).
    pub fn http2(&self) -> bool {
        self.http2
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Replay<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.at < self.head.len() {
            let n = buf.remaining().min(self.head.len() - self.at);
            let at = self.at;
            buf.put_slice(&self.head[at..at + n]);
            self.at += n;
            if self.at == self.head.len() {
                self.head = Vec::new();
                self.at = 0;
                // What followed those bytes goes in the same read: hyper sizes its
                // read buffer for one read, and a head that comes in two makes it
                // grow the buffer to twice that, held for the connection's life.
                if let Poll::Ready(Err(err)) = Pin::new(&mut self.io).poll_read(cx, buf) {
                    return Poll::Ready(Err(err));
                }
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Replay<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::duplex;

    async fn screen_bytes(sent: &[u8]) -> (Option<Vec<u8>>, Vec<u8>) {
        let (mut client, server) = duplex(1024);
        client.write_all(sent).await.unwrap();
        let screened = screen(server, false);
        let (replay, answer) = tokio::join!(screened, async {
            let mut answer = vec![0u8; 64];
            let n = tokio::time::timeout(Duration::from_millis(200), client.read(&mut answer))
                .await
                .map(|r| r.unwrap_or(0))
                .unwrap_or(0);
            answer.truncate(n);
            answer
        });
        let replayed = match replay {
            Some(mut replay) => {
                let mut out = vec![0u8; sent.len()];
                replay.read_exact(&mut out).await.unwrap();
                Some(out)
            }
            None => None,
        };
        (replayed, answer)
    }

    #[tokio::test]
    async fn http1_requests_pass_through_unchanged() {
        let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(screen_bytes(request).await.0.as_deref(), Some(&request[..]));
    }

    #[tokio::test]
    async fn the_replay_and_what_follows_come_in_one_read() {
        let request = b"GET /a-path-long-enough-to-pass-the-first-line HTTP/1.1\r\nHost: x\r\n\r\n";
        let (mut client, server) = duplex(1024);
        client.write_all(request).await.unwrap();
        let mut replay = screen(server, false).await.unwrap();
        let mut out = vec![0u8; 1024];
        let n = replay.read(&mut out).await.unwrap();
        assert_eq!(&out[..n], &request[..]);
    }

    #[tokio::test]
    async fn a_valid_preface_passes_through() {
        assert_eq!(screen_bytes(PREFACE).await.0.as_deref(), Some(PREFACE));
    }

    #[tokio::test]
    async fn a_first_line_that_is_not_http_gets_goaway() {
        let (replayed, answer) = screen_bytes(b"INVALID CONNECTION PREFACE\r\n\r\n").await;
        assert!(replayed.is_none());
        assert_eq!(answer, GOAWAY_PROTOCOL_ERROR);
    }

    #[tokio::test]
    async fn malformed_http1_is_left_to_hyper() {
        for garbage in [&b"GARBAGE\r\n\r\n"[..], b"GET / HTTP/9.9\r\n\r\n"] {
            assert_eq!(screen_bytes(garbage).await.0.as_deref(), Some(garbage));
        }
    }

    #[tokio::test]
    async fn a_request_line_ended_by_a_bare_lf_gets_400() {
        let (replayed, answer) = screen_bytes(b"GET / HTTP/1.1\nHost: x\n\n").await;
        assert!(replayed.is_none());
        assert!(answer.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
        let body = &BARE_LF_ANSWER[BARE_LF_ANSWER
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap()
            + 4..];
        assert!(String::from_utf8_lossy(BARE_LF_ANSWER)
            .contains(&format!("Content-Length: {}\r\n", body.len())));
    }

    #[tokio::test]
    async fn a_broken_preface_gets_goaway() {
        let (replayed, answer) = screen_bytes(b"PRI * HTTP/2.0\r\n\r\nINVALID!").await;
        assert!(replayed.is_none());
        assert_eq!(answer, GOAWAY_PROTOCOL_ERROR);
    }
}
