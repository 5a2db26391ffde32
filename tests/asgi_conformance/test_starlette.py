"""A Starlette app (``starlette_app.py``) through ``django-bolt serve``: over HTTP/1.1
and h2c on one server, over HTTP/3 on a TLS one, and its WebSocket endpoint with the
``websockets`` client."""

from __future__ import annotations

import json

import h3sync
import pytest
import support
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

pytest.importorskip("starlette")

from starlette_app import STREAM_CHUNKS  # noqa: E402

TARGET = "starlette_app:app"
WIRE_VERSION = {"http1": "HTTP/1.1", "http2": "HTTP/2", "http3": "HTTP/3"}
SCOPE_VERSION = {"http1": "1.1", "http2": "2", "http3": "3"}


@pytest.fixture(scope="module")
def cleartext():
    with support.serve_asgi(TARGET) as server:
        yield server


@pytest.fixture(scope="module")
def tls(certs):
    with h3sync.serve_tls(TARGET, certs) as server:
        yield server


@pytest.fixture(params=support.ALL_PROTOCOLS)
def protocol(request) -> str:
    return request.param


@pytest.fixture
def client(request, protocol):
    server = request.getfixturevalue("tls" if protocol == "http3" else "cleartext")
    with h3sync.client_for(server, protocol) as client:
        yield client


def test_json_route_sees_the_lifespan_state(client, protocol):
    response = client.get("/info", params={"q": "bolt"})
    assert response.status_code == 200
    assert response.http_version == WIRE_VERSION[protocol]
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "framework": "starlette",
        "greeting": "hello from the lifespan state",
        "started_by": "lifespan startup",
        "http_version": SCOPE_VERSION[protocol],
        "path": "/info",
        "query": {"q": "bolt"},
    }


def test_post_json_echo(client):
    payload = {"name": "Widget", "tags": ["a", "b"], "price": 2.5, "text": "café"}
    raw = json.dumps(payload, ensure_ascii=False).encode()
    response = client.post("/echo", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 201
    assert response.json() == {"echo": payload, "bytes": len(raw)}


def test_streaming_response(client, protocol):
    with client.stream("GET", "/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert "content-length" not in response.headers
        if protocol == "http1":
            assert response.headers["transfer-encoding"] == "chunked"
        body = b"".join(response.iter_bytes())
    assert body == b"".join(STREAM_CHUNKS)


def test_http_exception_418(client):
    response = client.get("/teapot")
    assert response.status_code == 418
    assert response.text == "short and stout"
    assert client.get("/info").status_code == 200


def test_unknown_route_is_starlettes_404(client):
    response = client.get("/no-such-route")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_websocket_echo_text_json_and_close(cleartext):
    with connect(f"ws://127.0.0.1:{cleartext.port}/ws") as ws:
        ws.send("hello starlette")
        assert ws.recv() == "hello starlette"
        ws.send(json.dumps({"n": 1, "items": [1, 2]}))
        assert json.loads(ws.recv()) == {"echo": {"n": 1, "items": [1, 2]}}
        ws.send("close")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4000, "bye")


def test_websocket_client_close_then_server_still_serves(cleartext):
    with connect(f"ws://127.0.0.1:{cleartext.port}/ws") as ws:
        ws.send("one")
        assert ws.recv() == "one"
        ws.close(code=1000)
    with support.make_client(cleartext.base_url, "http1") as client:
        assert client.get("/info").status_code == 200


def test_lifespan_shutdown_runs_on_sigterm():
    with support.serve_asgi(TARGET) as server:
        with support.make_client(server.base_url, "http1") as client:
            assert client.get("/info").status_code == 200
        assert server.terminate() == 0, server.stderr()
    assert "starlette: lifespan shutdown" in server.stderr()
    assert "Traceback" not in server.stderr()
