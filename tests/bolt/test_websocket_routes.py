"""``@api.websocket`` routes through TestClient (in process, the server's own session)
and through a real ``runbolt`` process with the ``websockets`` client (HTTP/1.1) and
``h2`` (HTTP/2 extended CONNECT). The routes live in ``project/wsapp/api.py``."""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from pathlib import Path
from typing import Annotated

import httpx
import msgspec
import pytest
import support
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from django_bolt import BoltAPI, Depends, WebSocket, WebSocketDisconnect
from django_bolt.param_functions import Form, Query
from django_bolt.routing import RouteDefinitionError
from django_bolt.testing import TestClient
from django_bolt.testing_websocket import WebSocketRejected

PROJECT = Path(__file__).resolve().parent / "project"


@pytest.fixture(scope="module")
def ws_api():
    sys.path.insert(0, str(PROJECT))
    try:
        yield importlib.import_module("wsapp.api")
    finally:
        sys.path.remove(str(PROJECT))


@pytest.fixture
def client(ws_api):
    with TestClient(ws_api.api) as client:
        yield client


# ---- TestClient ---------------------------------------------------------------------


def test_spec_echo_through_the_test_client(client):
    with client.websocket_connect("/ws/echo") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "Echo: hello"
        ws.send_text("again")
        assert ws.receive_text() == "Echo: again"


def test_spec_chat_with_a_typed_query_param(client):
    with client.websocket_connect("/ws/chat", params={"room": "lobby"}) as ws:
        ws.send_json({"user": "ann", "text": "hi"})
        assert ws.receive_json() == {"room": "lobby", "user": "ann", "text": "hi"}


def test_missing_or_bad_param_refuses_the_handshake_with_422(client):
    with pytest.raises(WebSocketRejected) as refused:
        client.websocket_connect("/ws/chat")
    assert refused.value.response.status_code == 422
    assert refused.value.response.json()["detail"][0]["loc"] == ["query", "room"]
    with pytest.raises(WebSocketRejected) as refused:
        client.websocket_connect("/ws/items/abc", params={"page": "x"})
    assert [e["loc"] for e in refused.value.response.json()["detail"]] == [
        ["path", "item_id"],
        ["query", "page"],
    ]


def test_connection_details_reach_the_handler(client):
    with client.websocket_connect(
        "/ws/items/7?page=2&extra=yes", headers={"X-Token": "t1"}, cookies={"sid": "abc"}
    ) as ws:
        details = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1000
    assert details == {
        "item_id": 7,
        "page": 2,
        "path_params": {"item_id": 7},
        "query_params": {"page": "2", "extra": "yes"},
        "path": "/ws/items/7",
        "url": "ws://testserver/ws/items/7?page=2&extra=yes",
        "client_port_is_int": True,
        "token": "t1",
        "cookies": {"sid": "abc"},
    }


def test_subprotocol_and_accept_headers(client):
    with client.websocket_connect("/ws/protocols", subprotocols=["chat.v2", "chat.v1"]) as ws:
        assert ws.subprotocol == "chat.v2"
        assert ws.headers["x-served-by"] == "bolt"
        assert ws.receive_text() == "offered: chat.v2,chat.v1"


def test_bytes_and_json_iterators(client):
    with client.websocket_connect("/ws/bytes") as ws:
        ws.send_bytes(b"\x00\x01\x02")
        assert ws.receive_bytes() == b"\x02\x01\x00"
    with client.websocket_connect("/ws/json") as ws:
        ws.send_json([1, {"a": None}])
        assert ws.receive_json() == {"got": [1, {"a": None}]}
        ws.send_text("{not json")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
    assert closed.value.code == 1007
    assert closed.value.reason.startswith("Invalid JSON")


def test_message_over_the_default_limit_closes_with_1009(client):
    with client.websocket_connect("/ws/bytes") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            # The server closes while the message is still being sent.
            ws.send_bytes(b"x" * (10 * 1024 * 1024 + 1))  # TestClient's limit: 10 MiB
        with pytest.raises(WebSocketDisconnect):
            ws.send_text("after the close")
    assert (closed.value.code, closed.value.reason) == (1009, "message too big")


def test_wrong_message_kind_closes_with_1003(client):
    with client.websocket_connect("/ws/echo") as ws:
        ws.send_bytes(b"binary")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
    assert (closed.value.code, closed.value.reason) == (1003, "Expected a text message")


def test_handler_error_closes_with_1011_and_is_logged(client, caplog):
    with client.websocket_connect("/ws/fail") as ws:
        ws.send_text("go")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
    assert closed.value.code == 1011
    assert "the handler broke" in caplog.text
    assert "WebSocket route wsapp.api.fail" in caplog.text


def test_a_reserved_close_code_is_a_handler_error(client, caplog):
    with client.websocket_connect("/ws/bad-close") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
    assert closed.value.code == 1011
    assert "1005 is not a close code a server may send" in caplog.text


def test_handler_that_never_accepts_is_403(client):
    with pytest.raises(WebSocketRejected) as refused:
        client.websocket_connect("/ws/refuse")
    assert refused.value.response.status_code == 403


def test_handler_error_before_accept_is_500(client, caplog):
    with pytest.raises(WebSocketRejected) as refused:
        client.websocket_connect("/ws/broken")
    assert refused.value.response.status_code == 500
    assert "broken before accepting" in caplog.text


def test_server_close_code_and_reason(client):
    with client.websocket_connect("/ws/bye") as ws:
        assert ws.receive_text() == "closing"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert (closed.value.code, closed.value.reason) == (4001, "bye for now")
    with client.websocket_connect("/ws/done") as ws:
        assert ws.receive_text() == "done"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1000


def test_client_close_runs_the_handlers_finally(client, ws_api):
    with client.websocket_connect("/ws/tracked/tc") as ws:
        ws.send_text("one")
        assert ws.receive_text() == "ok"
    # Leaving the block closed the socket and waited for the handler to finish.
    assert ws_api.finished["tc"] == ["one"]


def test_send_after_the_client_left_raises_websocket_disconnect(client, ws_api):
    with client.websocket_connect("/ws/ticker/tc-ticker") as ws:
        assert ws.receive_text() == "tick"
    assert ws_api.finished["tc-ticker"] == ["send raised 1006"]


def test_routes_answer_with_the_trailing_slash_toggled(client):
    with client.websocket_connect("/ws/echo/") as ws:
        ws.send_text("slash")
        assert ws.receive_text() == "Echo: slash"


def test_plain_http_to_a_websocket_path_is_426(client):
    response = client.get("/ws/echo")
    assert response.status_code == 426
    assert response.headers["upgrade"] == "websocket"
    assert "WebSocket" in response.json()["detail"]
    # A path with both an HTTP route and a WebSocket route serves each.
    assert client.get("/ws/tracked/nobody").json() == {"finished": None}


def test_unknown_websocket_path_is_404(client):
    with pytest.raises(WebSocketRejected) as refused:
        client.websocket_connect("/ws/nowhere")
    assert refused.value.response.status_code == 404


def test_the_test_client_opens_asgi_websockets_too():
    async def asgi_echo(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.accept"})
        message = await receive()
        await send({"type": "websocket.send", "text": f"asgi: {message['text']}"})
        await send({"type": "websocket.close", "code": 4000})

    with TestClient(asgi=asgi_echo) as client, client.websocket_connect("/anywhere") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "asgi: hi"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
    assert closed.value.code == 4000


def test_declaration_mistakes_fail_at_import():
    api = BoltAPI()
    with pytest.raises(RouteDefinitionError, match="async def"):

        @api.websocket("/sync")
        def sync_handler(websocket: WebSocket):
            pass

    with pytest.raises(RouteDefinitionError, match="annotated WebSocket"):

        @api.websocket("/none")
        async def no_socket(room: str):
            pass

    with pytest.raises(RouteDefinitionError, match="@api.websocket"):

        @api.get("/http")
        async def http_with_socket(ws: WebSocket):
            pass

    with pytest.raises(TypeError, match="is not one of django_bolt's guards"):
        api.websocket("/guarded", guards=[object()])


def test_duplicate_websocket_routes_name_both_handlers():
    api = BoltAPI()

    @api.websocket("/ws")
    async def first(websocket: WebSocket):
        pass

    @api.websocket("/ws")
    async def second(websocket: WebSocket):
        pass

    with pytest.raises(ValueError, match="duplicate WebSocket route /ws") as failed:
        TestClient(api)
    assert "first" in str(failed.value) and "second" in str(failed.value)


# ---- a real server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with support.serve_django(
        PROJECT,
        "--settings",
        "boltproj.settings_ws",
        "--asgi",
        "wsapp.asgi:application",
        "--max-body-size",
        "4096",
    ) as server:
        yield server


def ws_url(server, path: str) -> str:
    return f"ws://{support.HOST}:{server.port}{path}"


def test_spec_echo_and_chat_over_a_socket(server):
    with connect(ws_url(server, "/ws/echo")) as ws:
        ws.send("hello")
        assert ws.recv() == "Echo: hello"
    with connect(ws_url(server, "/ws/chat?room=lobby")) as ws:
        ws.send('{"user": "bob", "text": "hey"}')
        assert ws.recv() == '{"room":"lobby","user":"bob","text":"hey"}'


def test_bad_param_is_refused_before_accept_over_a_socket(server):
    with pytest.raises(InvalidStatus) as refused:
        with connect(ws_url(server, "/ws/items/abc")):
            pass
    response = refused.value.response
    assert response.status_code == 422
    assert b'"loc":["path","item_id"]' in response.body


def test_connection_details_over_a_socket(server):
    with connect(ws_url(server, "/ws/items/3?page=4"), additional_headers={"X-Token": "t"}) as ws:
        details = json.loads(ws.recv())
    assert details["url"] == f"ws://{support.HOST}:{server.port}/ws/items/3?page=4"
    assert (details["item_id"], details["page"], details["token"]) == (3, 4, "t")
    assert details["client_port_is_int"] is True


def test_cookies_are_read_as_django_reads_them_over_a_socket(server):
    # A name sent twice keeps its last value; a quoted value is unquoted.
    cookie = {"Cookie": r'sid=first; other="a\"b"; sid=last'}
    with connect(ws_url(server, "/ws/items/3"), additional_headers=cookie) as ws:
        details = json.loads(ws.recv())
    assert details["cookies"] == {"sid": "last", "other": 'a"b'}


def test_a_handshake_for_another_host_is_refused_over_a_socket(server):
    with support.connect(server.address) as sock:
        sock.sendall(support.websocket_handshake("/ws/echo", host="evil.example"))
        status, _, body = support.read_http1_response(sock)
    assert status == 400
    assert json.loads(body) == {"detail": 'The host "evil.example" is not allowed (ALLOWED_HOSTS)'}


def test_subprotocol_over_a_socket(server):
    with connect(ws_url(server, "/ws/protocols"), subprotocols=["v1", "v2"]) as ws:
        assert ws.subprotocol == "v1"
        assert ws.response.headers["x-served-by"] == "bolt"
        assert ws.recv() == "offered: v1,v2"


def test_handler_error_is_1011_and_refusal_is_403_over_a_socket(server):
    with connect(ws_url(server, "/ws/fail")) as ws:
        ws.send("go")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd.code == 1011
    # The close frame goes out before the traceback is written.
    assert support.wait_for(lambda: "the handler broke" in server.stderr())
    with pytest.raises(InvalidStatus) as refused:
        with connect(ws_url(server, "/ws/refuse")):
            pass
    assert refused.value.response.status_code == 403


def test_message_over_the_limit_closes_with_1009(server):
    with connect(ws_url(server, "/ws/echo"), max_size=None) as ws:
        ws.send("x" * 5000)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd.code == 1009


def test_server_close_code_and_reason_over_a_socket(server):
    with connect(ws_url(server, "/ws/bye")) as ws:
        assert ws.recv() == "closing"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4001, "bye for now")


def test_client_disconnect_runs_the_handlers_finally(server):
    conn_id = uuid.uuid4().hex
    with connect(ws_url(server, f"/ws/tracked/{conn_id}")) as ws:
        ws.send("first")
        assert ws.recv() == "ok"
        ws.send("second")
        assert ws.recv() == "ok"
    url = f"{server.base_url}/ws/tracked/{conn_id}"
    result = support.wait_for(lambda: httpx.get(url).json()["finished"])
    assert result == ["first", "second"]


def test_bolt_websocket_asgi_websocket_and_django_share_the_port(server):
    with connect(ws_url(server, "/ws/echo")) as bolt, connect(ws_url(server, "/chat")) as asgi:
        bolt.send("one")
        asgi.send("two")
        assert bolt.recv() == "Echo: one"
        assert asgi.recv() == "asgi: two"
    assert httpx.get(f"{server.base_url}/django/hello").json() == {"from": "django"}


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_plain_http_to_a_websocket_path_is_426_over_a_socket(server, protocol):
    with support.make_client(server.base_url, protocol) as http:
        plain = http.get("/ws/echo")
    assert plain.status_code == 426
    assert plain.json() == {"detail": "This path only accepts WebSocket connections"}


def test_websocket_route_over_http2_extended_connect(server):
    ws = support.H2WebSocket(server, "/ws/chat?room=h2")
    try:
        assert dict(ws.response.headers)[b":status"] == b"200"
        ws.send(0x1, b'{"user": "h2", "text": "over CONNECT"}')
        assert ws.receive() == (0x1, b'{"room":"h2","user":"h2","text":"over CONNECT"}')
    finally:
        ws.close()
    refused = support.H2WebSocket(server, "/ws/chat")
    try:
        assert dict(refused.response.headers)[b":status"] == b"422"
    finally:
        refused.close()


def test_shutdown_closes_open_websockets_with_1001():
    with support.serve_django(PROJECT, "--settings", "boltproj.settings_ws") as server:
        with connect(ws_url(server, "/ws/echo")) as ws:
            ws.send("before")
            assert ws.recv() == "Echo: before"
            server.send_signal()
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
        assert server.process.wait(10) == 0
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "server shutting down")
    assert "Exception" not in server.stderr()


def test_a_recycled_process_closes_its_websockets_with_1012():
    """``--max-requests 1``: the handshake is the process's one request, so it is
    replaced, and its WebSocket is told to reconnect (1012), to the new process."""
    options = ("--settings", "boltproj.settings_ws", "--max-requests", "1")
    with support.serve_django(PROJECT, *options) as server:
        with connect(ws_url(server, "/ws/echo")) as ws:
            ws.send("before")
            assert ws.recv(timeout=10) == "Echo: before"
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=30)
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1012, "service restart")
        with connect(ws_url(server, "/ws/echo")) as ws:
            ws.send("after")
            assert ws.recv(timeout=10) == "Echo: after"
    assert "served 1 requests (--max-requests 1)" in server.stderr()


class Room(msgspec.Struct):
    name: str
    size: int = 10


def test_struct_query_params_and_no_forms_or_depends_on_websocket_routes():
    api = BoltAPI()

    @api.websocket("/ws/room")
    async def room(websocket: WebSocket, room: Annotated[Room, Query()]):
        await websocket.accept()
        await websocket.send_json({"name": room.name, "size": room.size})
        await websocket.close()

    with TestClient(api) as client:
        with client.websocket_connect("/ws/room?name=blue&size=3") as ws:
            assert ws.receive_json() == {"name": "blue", "size": 3}
        with pytest.raises(WebSocketRejected) as rejected:
            client.websocket_connect("/ws/room?size=x").__enter__()
        assert rejected.value.response.status_code == 422

    async def uses_form(websocket: WebSocket, name: Annotated[str, Form()]):
        pass

    async def uses_depends(websocket: WebSocket, who: Annotated[str, Depends(str)]):
        pass

    with pytest.raises(RouteDefinitionError, match="reads no form"):
        BoltAPI().websocket("/ws/form")(uses_form)
    with pytest.raises(RouteDefinitionError, match="takes no Depends"):
        BoltAPI().websocket("/ws/depends")(uses_depends)
