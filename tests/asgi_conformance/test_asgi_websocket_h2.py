"""WebSockets over HTTP/2 (RFC 8441 extended CONNECT) with the h2 library: the server
advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and the ASGI app sees a websocket scope."""

from __future__ import annotations

import json
import os
import socket

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest
import support


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked, unfragmented client frame (payload < 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def server_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each unmasked server frame in ``data``."""
    frames = []
    while data:
        opcode, length = data[0] & 0x0F, data[1] & 0x7F
        start = 2
        if length == 126:
            length, start = int.from_bytes(data[2:4], "big"), 4
        frames.append((opcode, data[start : start + length]))
        data = data[start + length :]
    return frames


class H2WebSocket:
    def __init__(self, server, path: str, subprotocols: str | None = None) -> None:
        self.sock = socket.create_connection(server.address, timeout=5)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        self.settings = self.wait_for(h2.events.RemoteSettingsChanged)
        self.stream_id = self.conn.get_next_available_stream_id()
        headers = [
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "http"),
            (":path", path),
            (":authority", f"127.0.0.1:{server.port}"),
            ("sec-websocket-version", "13"),
        ]
        if subprotocols:
            headers.append(("sec-websocket-protocol", subprotocols))
        self.conn.send_headers(self.stream_id, headers)
        self.sock.sendall(self.conn.data_to_send())
        self.response = self.wait_for(h2.events.ResponseReceived)
        self.buffer = b""

    def wait_for(self, kind):
        while True:
            for event in self.conn.receive_data(self.sock.recv(65536)):
                if isinstance(event, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(
                        event.flow_controlled_length, event.stream_id
                    )
                    self.buffer += event.data
                if isinstance(event, kind):
                    self.sock.sendall(self.conn.data_to_send())
                    return event
            self.sock.sendall(self.conn.data_to_send())

    def send(self, opcode: int, payload: bytes) -> None:
        self.conn.send_data(self.stream_id, client_frame(opcode, payload))
        self.sock.sendall(self.conn.data_to_send())

    def receive(self) -> tuple[int, bytes]:
        while not self.buffer:
            self.wait_for(h2.events.DataReceived)
        [frame] = server_frames(self.buffer)
        self.buffer = b""
        return frame

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def server():
    with support.serve_asgi("apps:main") as server:
        yield server


def test_extended_connect_is_advertised_and_echoes(server):
    ws = H2WebSocket(server, "/ws-echo?via=h2", subprotocols="chat")
    try:
        enabled = ws.settings.changed_settings[h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL]
        assert enabled.new_value == 1
        headers = dict(ws.response.headers)
        assert headers[b":status"] == b"200"
        assert headers[b"sec-websocket-protocol"] == b"chat"
        ws.send(0x1, b"hello over h2")
        assert ws.receive() == (0x1, b"hello over h2")
        ws.send(0x2, b"\x00\x01")
        assert ws.receive() == (0x2, b"\x00\x01")
        ws.send(0x1, b"scope please")
        opcode, payload = ws.receive()
        scope = json.loads(payload)
        assert (scope["type"], scope["http_version"], scope["query_string"]) == (
            "websocket",
            "2",
            "via=h2",
        )
        ws.send(0x1, b"close please")
        opcode, payload = ws.receive()
        assert opcode == 0x8
        assert int.from_bytes(payload[:2], "big") == 4001
    finally:
        ws.close()


def test_refused_handshake_over_h2_is_403(server):
    ws = H2WebSocket(server, "/ws-close")
    try:
        assert dict(ws.response.headers)[b":status"] == b"403"
    finally:
        ws.close()
