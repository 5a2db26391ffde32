"""The test client's WebSocket: ``with client.websocket_connect("/ws") as ws:`` (the
async ``WebSocketTestClient`` in ``testing.py`` builds on it).

The handshake goes through the server's own service and the frames through an
in-process pipe into the server's own WebSocket session, so close codes, size limits
and refusals are the server's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from .websocket import WebSocketDisconnect

__all__ = ["WebSocketRejected", "WebSocketTestSession"]


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
