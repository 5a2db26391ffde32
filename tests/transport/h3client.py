"""A small HTTP/3 client on aioquic for the tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aioquic.asyncio.client import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ConnectionTerminated


class H3Response:
    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = bytearray()


class H3Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.http = H3Connection(self._quic)
        self.responses: dict[int, H3Response] = {}
        self.waiters: dict[int, asyncio.Future] = {}
        self.terminated: ConnectionTerminated | None = None

    def quic_event_received(self, event) -> None:
        if isinstance(event, ConnectionTerminated):
            self.terminated = event
            for waiter in self.waiters.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError(f"connection closed: {event!r}"))
        for h3_event in self.http.handle_event(event):
            if not isinstance(h3_event, HeadersReceived | DataReceived):
                continue
            response = self.responses.setdefault(h3_event.stream_id, H3Response())
            if isinstance(h3_event, HeadersReceived):
                for name, value in h3_event.headers:
                    if name == b":status":
                        response.status = int(value)
                    else:
                        response.headers[name.decode()] = value.decode()
            else:
                response.body += h3_event.data
            waiter = self.waiters.get(h3_event.stream_id)
            if h3_event.stream_ended and waiter and not waiter.done():
                waiter.set_result(response)

    async def request(
        self, method: str, path: str, body: bytes = b"", timeout: float = 20
    ) -> H3Response:
        stream_id = self._quic.get_next_available_stream_id()
        headers = [
            (b":method", method.encode()),
            (b":scheme", b"https"),
            (b":authority", b"127.0.0.1"),
            (b":path", path.encode()),
        ]
        if body:
            headers.append((b"content-length", str(len(body)).encode()))
        self.http.send_headers(stream_id, headers, end_stream=not body)
        if body:
            self.http.send_data(stream_id, body, end_stream=True)
        waiter = asyncio.get_running_loop().create_future()
        self.waiters[stream_id] = waiter
        self.transmit()
        return await asyncio.wait_for(waiter, timeout)


def configuration(ca: Path) -> QuicConfiguration:
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
    config.load_verify_locations(str(ca))
    config.server_name = "127.0.0.1"
    return config


def run(port: int, ca: Path, calls) -> list[H3Response]:
    """Open one HTTP/3 connection and make ``calls`` [(method, path, body)] in parallel."""

    async def main():
        async with connect(
            "127.0.0.1", port, configuration=configuration(ca), create_protocol=H3Client
        ) as client:
            return await asyncio.gather(*(client.request(*call) for call in calls))

    return asyncio.run(main())
