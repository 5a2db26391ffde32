"""The ASGI websocket scope over an HTTP/1.1 upgrade, with the `websockets` client."""

from __future__ import annotations

import json

import httpx
import pytest
import support
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect


@pytest.fixture(scope="module")
def server():
    with support.serve_asgi("apps:main", "--max-body-size", "65536") as server:
        yield server


def ws_url(server, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


def test_echo_text_and_bytes_with_subprotocol_and_headers(server):
    with connect(ws_url(server, "/ws-echo?room=1"), subprotocols=["chat", "other"]) as ws:
        assert ws.subprotocol == "chat"
        assert ws.response.headers["x-accepted-by"] == "conformance"
        ws.send("hello")
        assert ws.recv() == "hello"
        ws.send(b"\x00\x01binary")
        assert ws.recv() == b"\x00\x01binary"
        ws.send("scope please")
        scope = json.loads(ws.recv())
    assert scope["type"] == "websocket"
    assert scope["scheme"] == "ws"
    assert scope["path"] == "/ws-echo"
    assert scope["query_string"] == "room=1"
    assert scope["subprotocols"] == ["chat", "other"]
    assert scope["http_version"] == "1.1"
    assert scope["client_port_is_int"] is True
    assert scope["extensions"] == ["websocket.http.response"]


def test_fragmented_and_large_messages(server):
    with connect(ws_url(server, "/ws-echo")) as ws:
        ws.send(["frag", "mented", " message"])  # one message in three frames
        assert ws.recv() == "fragmented message"
        payload = b"x" * 60_000
        ws.send(payload)
        assert ws.recv() == payload


def test_message_over_the_limit_closes_with_1009(server):
    with connect(ws_url(server, "/ws-echo"), max_size=None) as ws:
        ws.send(b"x" * 100_000)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd.code == 1009


def test_ping_is_answered(server):
    with connect(ws_url(server, "/ws-echo")) as ws:
        assert ws.ping(b"are you there").wait(5)


def test_app_closes_with_code_and_reason(server):
    with connect(ws_url(server, "/ws-echo")) as ws:
        ws.send("close please")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4001, "asked to")


def test_client_close_reaches_the_app_as_disconnect(server):
    with connect(ws_url(server, "/ws-echo")) as ws:
        ws.send("hi")
        ws.recv()
        ws.close(code=4321)

    def last_close():
        with httpx.Client(base_url=server.base_url) as client:
            return client.get("/state", params={"id": "ws-echo-last-close"}).json()["state"]

    assert support.wait_for(lambda: last_close() == 4321, timeout=5)


def test_denial_response_extension(server):
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server, "/ws-deny"))
    response = refused.value.response
    assert response.status_code == 401
    assert response.body == b"no entry"


def test_close_before_accept_is_403(server):
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server, "/ws-close"))
    assert refused.value.response.status_code == 403


def test_app_error_after_accept_closes_with_1011(server):
    with connect(ws_url(server, "/ws-raise")) as ws:
        ws.send("boom")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd.code == 1011
    assert httpx.get(f"{server.base_url}/ok").status_code == 200


def test_bad_handshake_is_400(server):
    response = httpx.get(
        f"{server.base_url}/ws-echo",
        headers={"upgrade": "websocket", "connection": "upgrade", "sec-websocket-version": "8"},
    )
    assert response.status_code == 400
    assert response.headers["sec-websocket-version"] == "13"
