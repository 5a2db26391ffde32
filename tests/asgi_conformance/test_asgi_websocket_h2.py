"""WebSockets over HTTP/2 (RFC 8441 extended CONNECT) with the h2 library: the server
advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and the ASGI app sees a websocket scope."""

from __future__ import annotations

import json

import h2.settings
import pytest
import support
from support import H2WebSocket


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
