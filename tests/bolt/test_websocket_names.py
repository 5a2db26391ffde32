"""The WebSocket names of the original django-bolt: ``CloseCode`` and the ``WS_1xxx``
constants, ``WebSocketException``/``WebSocketClose`` (raising one closes with its code
and reason), ``WebSocketState``, and the testing names ``WebSocketTestClient`` and
``ConnectionClosed``; through TestClient and a real runbolt process with the
``websockets`` library (routes in tests/bolt/project/namesapp)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import support
from websockets.exceptions import ConnectionClosed as ClientClosed
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

import django_bolt
from django_bolt import websocket
from django_bolt.testing import (
    ConnectionClosed,
    TestClient,
    WebSocketRejected,
    WebSocketTestClient,
)
from django_bolt.websocket import WebSocketDisconnect

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from namesapp.api import api  # noqa: E402

CONSTANTS = {
    "WS_1000_NORMAL_CLOSURE": 1000,
    "WS_1001_GOING_AWAY": 1001,
    "WS_1002_PROTOCOL_ERROR": 1002,
    "WS_1003_UNSUPPORTED_DATA": 1003,
    "WS_1005_NO_STATUS_RCVD": 1005,
    "WS_1006_ABNORMAL_CLOSURE": 1006,
    "WS_1007_INVALID_FRAME_PAYLOAD_DATA": 1007,
    "WS_1008_POLICY_VIOLATION": 1008,
    "WS_1009_MESSAGE_TOO_BIG": 1009,
    "WS_1010_MANDATORY_EXT": 1010,
    "WS_1011_INTERNAL_ERROR": 1011,
    "WS_1012_SERVICE_RESTART": 1012,
    "WS_1013_TRY_AGAIN_LATER": 1013,
}


def test_close_codes_are_ints_under_both_names():
    for name, code in CONSTANTS.items():
        assert getattr(websocket, name) == code
        assert isinstance(getattr(websocket, name), int)
    assert websocket.CloseCode.NORMAL == 1000
    assert websocket.CloseCode.POLICY_VIOLATION == 1008
    assert websocket.CloseCode.INTERNAL_ERROR == 1011


def test_the_root_names_are_the_websocket_modules():
    for name in ("CloseCode", "WebSocketClose", "WebSocketException", "WebSocketState"):
        assert getattr(django_bolt, name) is getattr(websocket, name)
        assert name in django_bolt.__all__


def test_exceptions_carry_their_code_and_reason():
    assert websocket.WebSocketException().code == 1011
    assert websocket.WebSocketClose().code == 1000
    closing = websocket.WebSocketException(4000, "custom")
    assert (closing.code, closing.reason) == (4000, "custom")
    assert issubclass(websocket.WebSocketClose, websocket.WebSocketException)
    with pytest.raises(ValueError, match="not a close code"):
        websocket.WebSocketException(1006)


def test_raising_closes_with_its_code_through_testclient():
    with TestClient(api) as client:
        for message, code, reason in [
            ("kick", 1008, "kicked"),
            ("bye", 1000, ""),
            ("later", 1013, "busy"),
        ]:
            with client.websocket_connect("/names/ws/echo") as ws:
                ws.send_text("hi")
                assert ws.receive_text() == "echo: hi"
                ws.send_text(message)
                with pytest.raises(WebSocketDisconnect) as closed:
                    ws.receive_text()
                assert (closed.value.code, closed.value.reason) == (code, reason)


def test_raising_before_accept_refuses_the_handshake():
    with TestClient(api) as client, pytest.raises(WebSocketRejected) as refused:
        client.websocket_connect("/names/ws/refused")
    assert refused.value.response.status_code == 403


def test_state_moves_from_connecting_to_connected():
    with TestClient(api) as client, client.websocket_connect("/names/ws/state") as ws:
        assert ws.receive_json() == {"before": "CONNECTING", "after": "CONNECTED"}


def test_websocket_test_client_sends_receives_and_sees_the_close():
    async def scenario():
        async with WebSocketTestClient(api, "/names/ws/echo") as ws:
            assert ws.accepted
            await ws.send_text("hello")
            assert await ws.receive_text() == "echo: hello"
            await ws.send_text("kick")
            with pytest.raises(ConnectionClosed) as closed:
                await ws.receive_text()
            assert (closed.value.code, closed.value.reason) == (1008, "kicked")
            assert ws.closed and ws.close_code == 1008
        async with WebSocketTestClient(api, "/names/ws/state") as ws:
            assert await ws.receive_json() == {"before": "CONNECTING", "after": "CONNECTED"}
            assert [message async for message in ws.iter_text()] == []
            assert ws.close_code == 1000

    asyncio.run(scenario())


def test_websocket_test_client_refused_is_a_permission_error_with_the_status():
    async def scenario():
        with pytest.raises(PermissionError) as refused:
            async with WebSocketTestClient(api, "/names/ws/refused"):
                pass
        assert refused.value.status_code == 403
        with pytest.raises(PermissionError) as missing:
            async with WebSocketTestClient(api, "/names/ws/nowhere"):
                pass
        assert missing.value.status_code == 404

    asyncio.run(scenario())


def test_websocket_test_client_times_out_waiting():
    async def scenario():
        async with WebSocketTestClient(api, "/names/ws/echo") as ws:
            with pytest.raises(TimeoutError, match="within 0.2s"):
                await ws.receive_text(timeout=0.2)

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT, "--settings", "boltproj.settings_names") as server:
        yield server


def test_raising_closes_with_its_code_over_a_real_socket(server):
    url = f"ws://{support.HOST}:{server.port}/names/ws/echo"
    for message, code, reason in [
        ("kick", 1008, "kicked"),
        ("bye", 1000, ""),
        ("later", 1013, "busy"),
    ]:
        with connect(url) as ws:
            ws.send("hi")
            assert ws.recv(timeout=5) == "echo: hi"
            ws.send(message)
            with pytest.raises(ClientClosed) as closed:
                ws.recv(timeout=5)
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (code, reason)


def test_raising_before_accept_refuses_over_a_real_socket(server):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://{support.HOST}:{server.port}/names/ws/refused")
    assert refused.value.response.status_code == 403
