"""Django Channels (``channels_app.py``) through ``django-bolt serve``: a
``ProtocolTypeRouter`` with Django for HTTP and consumers behind a ``URLRouter`` for
WebSockets, talked to with the ``websockets`` client."""

from __future__ import annotations

import json
import uuid

import pytest
import support
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

pytest.importorskip("channels")


@pytest.fixture(scope="module")
def server():
    with support.serve_asgi(
        "channels_app:application", env={"DJANGO_SETTINGS_MODULE": "channels_settings"}
    ) as server:
        yield server


def ws_url(server, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_http_goes_to_django(server, protocol):
    with support.make_client(server.base_url, protocol) as client:
        response = client.get("/hello/")
    assert response.status_code == 200
    assert response.json() == {"hello": "django through channels", "path": "/hello/"}


def test_echo_consumer_text_bytes_and_server_close(server):
    with connect(ws_url(server, "/ws/echo/")) as ws:
        ws.send("hello channels")
        assert ws.recv() == "hello channels"
        ws.send(b"\x00\xffbytes")
        assert ws.recv() == b"\x00\xffbytes"
        ws.send("close")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd.code == 4000


def test_json_consumer(server):
    with connect(ws_url(server, "/ws/json/")) as ws:
        ws.send(json.dumps({"n": 1, "text": "café"}))
        assert json.loads(ws.recv()) == {"echo": {"n": 1, "text": "café"}, "path": "/ws/json/"}


def test_client_close_reaches_the_consumer(server):
    key = uuid.uuid4().hex
    with connect(ws_url(server, f"/ws/echo/?id={key}")) as ws:
        ws.send("hi")
        assert ws.recv() == "hi"
        ws.close(code=4321)

    def close_code():
        with support.make_client(server.base_url, "http1") as client:
            return client.get("/close-code/", params={"id": key}).json()["code"]

    assert support.wait_for(close_code) == 4321


def test_channel_layer_group_broadcast(server):
    """Two consumers in one group (InMemoryChannelLayer): what one sends reaches both."""
    with connect(ws_url(server, "/ws/room/")) as alice, connect(ws_url(server, "/ws/room/")) as bob:
        alice.send(json.dumps({"text": "hi all"}))
        assert json.loads(alice.recv(timeout=5)) == {"room": "hi all"}
        assert json.loads(bob.recv(timeout=5)) == {"room": "hi all"}


def test_unrouted_websocket_path_is_refused(server):
    """URLRouter raises for a path it has no route for: the handshake is refused (the
    spec names no status for an app that raises before accepting; 403 or 500), the
    exception is logged, and the server goes on serving."""
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server, "/ws/nowhere/"))
    assert refused.value.response.status_code in (403, 500)
    assert support.wait_for(lambda: "No route found for path 'ws/nowhere/'" in server.stderr())
    with connect(ws_url(server, "/ws/echo/")) as ws:
        ws.send("still here")
        assert ws.recv() == "still here"


def test_no_lifespan_errors(server):
    """ProtocolTypeRouter has no "lifespan" entry and raises for it: the server must
    carry on without lifespan and without logging an error."""
    with support.make_client(server.base_url, "http1") as client:
        assert client.get("/hello/").status_code == 200
    # (Other tests here log errors of their own; none may be about lifespan.)
    assert "lifespan" not in server.stderr().lower(), server.stderr()
