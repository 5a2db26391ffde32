"""The test client's WebSocket: ``with client.websocket_connect("/ws") as ws:``, and
``async with WebSocketTestClient(api, "/ws") as ws:`` for async tests.

The handshake goes through the server's own service and the frames through an
in-process pipe into the server's own WebSocket session, so close codes, size limits
and refusals are the server's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import msgspec

from .websocket import WebSocketDisconnect

__all__ = [
    "ConnectionClosed",
    "HandshakeRejected",
    "WebSocketRejected",
    "WebSocketTestClient",
    "WebSocketTestSession",
]


class WebSocketRejected(Exception):
    """The server answered the handshake with an HTTP response instead of accepting;
    ``response`` is that response (a 422 for a bad parameter, 403 when refused)."""

    def __init__(self, response: Any) -> None:
        super().__init__(f"WebSocket handshake refused with {response.status_code}")
        self.response = response


class WebSocketTestSession:
    """An accepted WebSocket. Leaving the ``with`` block closes it (code 1000) and waits
    for the handler to finish."""

    def __init__(
        self, run: Callable[[Callable[[], Awaitable[Any]]], Any], socket: Any, headers: Any
    ) -> None:
        #: Awaits what its argument makes on the server's loop, from the test's thread.
        self._run = run
        self._socket = socket
        #: The 101 response's headers.
        self.headers = headers
        self.subprotocol: str | None = headers.get("sec-websocket-protocol")
        self._closed: tuple[int, str] | None = None

    def __enter__(self) -> WebSocketTestSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send_text(self, data: str) -> None:
        self._send(self._socket.send_text, data)

    def send_bytes(self, data: bytes) -> None:
        self._send(self._socket.send_bytes, bytes(data))

    def _send(self, send: Any, data: str | bytes) -> None:
        """Send, or raise WebSocketDisconnect if the server has closed."""
        if self._closed is None:
            closed = self._run(lambda: send(data))
            if closed is None:
                return
            self._closed = closed
        raise WebSocketDisconnect(*self._closed)

    def send_json(self, data: Any, mode: str = "text") -> None:
        encoded = msgspec.json.encode(data)
        if mode == "binary":
            self.send_bytes(encoded)
        else:
            self.send_text(encoded.decode())

    def receive(self) -> str | bytes:
        """The next message, text or bytes; WebSocketDisconnect once the server closed."""
        if self._closed is not None:
            raise WebSocketDisconnect(*self._closed)
        kind, *payload = self._run(self._socket.receive)
        if kind == "close":
            self._closed = (payload[0], payload[1])
            raise WebSocketDisconnect(*self._closed)
        return payload[0]

    def receive_text(self) -> str:
        message = self.receive()
        if not isinstance(message, str):
            raise TypeError(f"expected a text message, got bytes: {message[:60]!r}")
        return message

    def receive_bytes(self) -> bytes:
        message = self.receive()
        if not isinstance(message, bytes):
            raise TypeError(f"expected a binary message, got text: {message[:60]!r}")
        return message

    def receive_json(self) -> Any:
        return msgspec.json.decode(self.receive())

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close (unless the server has) and wait until the handler has finished."""
        answer = self._run(lambda: self._socket.close(code, reason))
        if self._closed is None:
            self._closed = answer or (1006, "")


class ConnectionClosed(Exception):
    """The server closed the connection: raised by ``WebSocketTestClient``'s
    ``receive_*`` with the close frame's ``code`` and ``reason``."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(f"WebSocket closed with code {code}: {reason}")
        self.code = code
        self.reason = reason


class HandshakeRejected(WebSocketRejected, PermissionError):
    """The handshake was answered with ``status_code`` (401/403 from auth or guards, 403
    when the handler closed before accepting, 422 for a bad parameter) instead of a 101.
    A ``PermissionError`` too, as code written for the original django-bolt expects."""

    def __init__(self, response: Any) -> None:
        super().__init__(response)
        self.status_code = response.status_code


class WebSocketTestClient:
    """One WebSocket connection to an ``api`` route, used from async tests:
    ``async with WebSocketTestClient(api, "/ws/echo") as ws: await ws.send_text("hi")``.

    The handshake and frames go through the same in-process server as ``TestClient``
    (auth, guards, parameters checked in Rust). The blocking calls run in a worker
    thread so the test's own event loop keeps running.
    """

    __test__ = False

    def __init__(
        self,
        api: Any,
        path: str,
        headers: Mapping[str, str] | None = None,
        query_string: str = "",
        subprotocols: list[str] | None = None,
        **client_options: Any,
    ) -> None:
        """``client_options`` go to the ``TestClient`` underneath (``cookies``,
        ``base_url``, ``debug``...)."""
        from .testing import TestClient

        self._client = TestClient(api, **client_options)
        self._target = f"{path}?{query_string}" if query_string else path
        self._headers = dict(headers or {})
        self._subprotocols = subprotocols
        self._session: WebSocketTestSession | None = None
        self.close_code: int | None = None
        self.close_reason = ""

    async def __aenter__(self) -> WebSocketTestClient:
        try:
            self._session = await asyncio.to_thread(
                self._client.websocket_connect,
                self._target,
                headers=self._headers,
                subprotocols=self._subprotocols,
            )
        except WebSocketRejected as refused:
            await asyncio.to_thread(self._client.close)
            raise HandshakeRejected(refused.response) from None
        except BaseException:
            await asyncio.to_thread(self._client.close)
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self.close()
        finally:
            await asyncio.to_thread(self._client.close)

    @property
    def _open(self) -> WebSocketTestSession:
        if self._session is None:
            raise RuntimeError("use the WebSocketTestClient in 'async with' first")
        return self._session

    @property
    def accepted(self) -> bool:
        return self._session is not None

    @property
    def closed(self) -> bool:
        return self.close_code is not None

    @property
    def accepted_subprotocol(self) -> str | None:
        return self._open.subprotocol

    async def _call(
        self, method: Callable[..., Any], *args: Any, timeout: float | None = None
    ) -> Any:
        try:
            call = asyncio.to_thread(method, *args)
            return await (call if timeout is None else asyncio.wait_for(call, timeout))
        except WebSocketDisconnect as closed:
            self.close_code, self.close_reason = closed.code, closed.reason
            raise ConnectionClosed(closed.code, closed.reason) from None
        except TimeoutError:
            raise TimeoutError(f"No message received within {timeout}s") from None

    async def send_text(self, data: str) -> None:
        await self._call(self._open.send_text, data)

    async def send_bytes(self, data: bytes) -> None:
        await self._call(self._open.send_bytes, data)

    async def send_json(self, data: Any, mode: str = "text") -> None:
        await self._call(self._open.send_json, data, mode)

    async def receive_text(self, timeout: float = 5.0) -> str:
        return await self._call(self._open.receive_text, timeout=timeout)

    async def receive_bytes(self, timeout: float = 5.0) -> bytes:
        return await self._call(self._open.receive_bytes, timeout=timeout)

    async def receive_json(self, timeout: float = 5.0) -> Any:
        return await self._call(self._open.receive_json, timeout=timeout)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close (unless the server has) and wait until the handler has finished."""
        if self._session is None:
            return
        await asyncio.to_thread(self._session.close, code, reason)
        if self.close_code is None:
            self.close_code, self.close_reason = self._session._closed or (code, reason)

    async def _iterate(
        self, receive: Callable[..., Awaitable[Any]], timeout: float
    ) -> AsyncIterator[Any]:
        while not self.closed:
            try:
                yield await receive(timeout)
            except (ConnectionClosed, TimeoutError):
                return

    def iter_text(self, timeout: float = 5.0) -> AsyncIterator[str]:
        return self._iterate(self.receive_text, timeout)

    def iter_bytes(self, timeout: float = 5.0) -> AsyncIterator[bytes]:
        return self._iterate(self.receive_bytes, timeout)

    def iter_json(self, timeout: float = 5.0) -> AsyncIterator[Any]:
        return self._iterate(self.receive_json, timeout)
