"""A blocking, httpx-shaped HTTP/3 client on aioquic, so the conformance checks written
against ``httpx.Client`` also run over HTTP/3; :func:`serve_tls` runs a server with TLS
and HTTP/3, and :func:`client_for` gives a client for any of the three protocols.

:class:`H3SyncClient` keeps one QUIC connection open on an event loop in a background
thread. ``get``/``post``/``head``/``request`` return ``httpx.Response`` objects (with
``http_version`` "HTTP/3"); ``stream`` yields one whose ``iter_bytes``/``iter_raw`` hand
out DATA as it arrives. A stream the server resets, or a closed connection, raises
``httpx.RemoteProtocolError`` like a broken response does in httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import support
from aioquic.asyncio.client import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ConnectionTerminated, StreamReset

H3_REQUEST_CANCELLED = 0x10C


@contextlib.contextmanager
def serve_tls(target: str, certs, *options: str, **kwargs) -> Iterator[support.ServerProcess]:
    """``django-bolt serve target --cert --key --http3``: HTTPS (h1, h2 by ALPN) on TCP
    and HTTP/3 on UDP, same port; ``base_url`` is https and ``ca`` trusts it."""
    tls = ("--cert", str(certs.cert), "--key", str(certs.key), "--http3")
    with support.serve_asgi(target, *tls, *options, **kwargs) as server:
        server.base_url = server.base_url.replace("http://", "https://")
        server.ca = certs.ca
        yield server


def client_for(server: support.ServerProcess, protocol: str, **kwargs):
    """An httpx client for "http1"/"http2" (h2c, or ALPN on a TLS server) or an
    :class:`H3SyncClient` for "http3" (the server must run :func:`serve_tls`)."""
    if protocol == "http3":
        return H3SyncClient(server.port, server.ca, **kwargs)
    return support.make_client(server.base_url, protocol, verify=server.verify, **kwargs)


class _H3Connection(H3Connection):
    """aioquic checks a response's content-length against its DATA even for HEAD, whose
    content-length is the size a GET would get (RFC 9110 section 8.6); skip those."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.head_requests: set[int] = set()

    def _check_content_length(self, stream) -> None:
        if stream.stream_id not in self.head_requests:
            super()._check_content_length(stream)


class _Protocol(QuicConnectionProtocol):
    """Queues each stream's events: ("headers", list), ("data", bytes), ("end", None),
    ("reset", error code) or ("closed", ConnectionTerminated)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.http = _H3Connection(self._quic)
        self.queues: dict[int, asyncio.Queue] = {}

    def quic_event_received(self, event) -> None:
        if isinstance(event, ConnectionTerminated):
            for queue in self.queues.values():
                queue.put_nowait(("closed", event))
        elif isinstance(event, StreamReset) and event.stream_id in self.queues:
            self.queues[event.stream_id].put_nowait(("reset", event.error_code))
        for h3_event in self.http.handle_event(event):
            queue = self.queues.get(getattr(h3_event, "stream_id", None))
            if queue is None:
                continue
            if isinstance(h3_event, HeadersReceived):
                queue.put_nowait(("headers", h3_event.headers))
            elif isinstance(h3_event, DataReceived) and h3_event.data:
                queue.put_nowait(("data", h3_event.data))
            if h3_event.stream_ended:
                queue.put_nowait(("end", None))


class _ByteStream(httpx.SyncByteStream):
    def __init__(self, client: H3SyncClient, stream_id: int) -> None:
        self.client = client
        self.stream_id = stream_id

    def __iter__(self) -> Iterator[bytes]:
        while True:
            kind, value = self.client.next_event(self.stream_id)
            if kind == "data":
                yield value
            elif kind == "end":
                return
            # a second HEADERS (trailers) carries no body bytes


class H3SyncClient:
    def __init__(self, port: int, ca: Path, timeout: float = 20.0) -> None:
        self.port = port
        self.authority = f"127.0.0.1:{port}"
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._stack = contextlib.AsyncExitStack()
        config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
        config.load_verify_locations(str(ca))
        config.server_name = "127.0.0.1"
        self.protocol: _Protocol = self._run(
            self._stack.enter_async_context(
                connect("127.0.0.1", port, configuration=config, create_protocol=_Protocol)
            )
        )

    # ---- plumbing --------------------------------------------------------------------

    def _run(self, coro, timeout: float | None = None):
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout or self.timeout)

    def _call(self, function, *args):
        async def call():
            result = function(*args)
            self.protocol.transmit()
            return result

        return self._run(call())

    def next_event(self, stream_id: int) -> tuple[str, object]:
        """The next event of ``stream_id``; a reset or a closed connection raises."""

        async def get():
            return await self.protocol.queues[stream_id].get()

        try:
            kind, value = self._run(asyncio.wait_for(get(), self.timeout), self.timeout + 1)
        except TimeoutError:
            raise httpx.ReadTimeout(f"no event on HTTP/3 stream {stream_id}") from None
        if kind == "reset":
            raise httpx.RemoteProtocolError(f"stream {stream_id} reset with {value:#x}")
        if kind == "closed":
            raise httpx.RemoteProtocolError(f"connection closed: {value!r}")
        return kind, value

    # ---- lower level: streams ----------------------------------------------------------

    def open_stream(
        self,
        method: str,
        path: str,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes | Iterable[bytes] = b"",
        end_stream: bool = True,
    ) -> int:
        """Send a request head and ``body`` (bytes: with content-length; an iterable:
        piece by piece, without); leave the stream open when ``end_stream`` is false."""

        async def start() -> int:
            quic = self.protocol._quic
            stream_id = quic.get_next_available_stream_id()
            self.protocol.queues[stream_id] = asyncio.Queue()
            if method == "HEAD":
                self.protocol.http.head_requests.add(stream_id)
            fields = [
                (b":method", method.encode()),
                (b":scheme", b"https"),
                (b":authority", self.authority.encode()),
                (b":path", path.encode()),
                *((name.lower().encode(), value.encode("latin-1")) for name, value in headers),
            ]
            pieces = [body] if isinstance(body, bytes) else body
            if isinstance(body, bytes) and body and end_stream:
                fields.append((b"content-length", str(len(body)).encode()))
            self.protocol.http.send_headers(
                stream_id, fields, end_stream=end_stream and isinstance(body, bytes) and not body
            )
            self.protocol.transmit()
            for piece in pieces:
                if piece:
                    self.protocol.http.send_data(stream_id, piece, end_stream=False)
                    self.protocol.transmit()
                    await asyncio.sleep(0)
            if end_stream and not (isinstance(body, bytes) and not body):
                self.protocol.http.send_data(stream_id, b"", end_stream=True)
                self.protocol.transmit()
            return stream_id

        return self._run(start())

    def reset_stream(self, stream_id: int, error_code: int = H3_REQUEST_CANCELLED) -> None:
        """RESET_STREAM: abandon the request body (no effect once it was all sent)."""
        self._call(self.protocol._quic.reset_stream, stream_id, error_code)

    def stop_stream(self, stream_id: int, error_code: int = H3_REQUEST_CANCELLED) -> None:
        """STOP_SENDING: tell the server the response is no longer wanted."""
        self._call(self.protocol._quic.stop_stream, stream_id, error_code)

    def response_head(self, method: str, path: str, stream_id: int) -> httpx.Response:
        """Wait for the response head of ``stream_id``; the body streams from it."""
        kind, value = self.next_event(stream_id)
        while kind != "headers":
            kind, value = self.next_event(stream_id)
        status = 0
        headers = []
        for name, field in value:
            if name == b":status":
                status = int(field)
            elif not name.startswith(b":"):
                headers.append((name.decode("latin-1"), field.decode("latin-1")))
        return httpx.Response(
            status,
            headers=headers,
            stream=_ByteStream(self, stream_id),
            extensions={"http_version": b"HTTP/3"},
            request=httpx.Request(method, f"https://{self.authority}{path}"),
        )

    # ---- the httpx.Client subset -------------------------------------------------------

    @staticmethod
    def _target(url: str, params) -> str:
        if params:
            query = str(httpx.QueryParams(params))
            url += ("&" if "?" in url else "?") + query
        return url

    @contextlib.contextmanager
    def stream(self, method: str, url: str, *, params=None, headers=None, content=None):
        path = self._target(url, params)
        headers = list(headers.items()) if isinstance(headers, dict) else list(headers or ())
        stream_id = self.open_stream(method, path, headers, content or b"")
        response = self.response_head(method, path, stream_id)
        try:
            yield response
        finally:
            response.close()

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        with self.stream(method, url, **kwargs) as response:
            response.read()
        return response

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs) -> httpx.Response:
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        if self.loop.is_closed():
            return
        with contextlib.suppress(Exception):  # closing a dead connection is fine
            self._run(self._stack.aclose(), timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    def __enter__(self) -> H3SyncClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
