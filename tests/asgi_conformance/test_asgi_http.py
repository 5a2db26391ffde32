"""ASGI HTTP conformance over real sockets. Each test that takes ``protocol`` runs over
HTTP/1.1 and HTTP/2 (h2c) against the shared ``server`` and over HTTP/3 against the
shared TLS ``h3_server``; ``served`` is the one in use."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid

import h2.events
import h3sync
import httpx
import pytest
import support

MIB = 1024 * 1024
SPEC_VERSIONS = {"2.0", "2.1", "2.2", "2.3", "2.4", "2.5"}
WIRE_AND_SCOPE_VERSIONS = {
    "http1": ("HTTP/1.1", "1.1"),
    "http2": ("HTTP/2", "2"),
    "http3": ("HTTP/3", "3"),
}


@pytest.fixture(params=support.ALL_PROTOCOLS)
def protocol(request) -> str:
    """Every test here that takes ``protocol`` also runs over HTTP/3."""
    return request.param


def expected_http_version(protocol: str) -> tuple[str, str]:
    """(the response's http_version, the scope's http_version)."""
    return WIRE_AND_SCOPE_VERSIONS[protocol]


def state(server, key: str):
    with support.make_client(server.base_url, "http1", verify=server.verify) as probe:
        return probe.get("/state", params={"id": key}).json()["state"]


def new_key() -> str:
    return uuid.uuid4().hex


def stream_payload(total: int, chunk: int):
    """Deterministic pseudo-random bytes in ``chunk``-sized pieces, and their sha256."""
    block = hashlib.sha256(b"conformance").digest() * (chunk // 32 + 1)
    pieces = []
    digest = hashlib.sha256()
    sent = 0
    index = 0
    while sent < total:
        size = min(chunk, total - sent)
        piece = bytes([index % 256]) + block[: size - 1]
        pieces.append(piece)
        digest.update(piece)
        sent += size
        index += 1
    return pieces, digest.hexdigest()


# ---- the scope -------------------------------------------------------------------------


def test_scope(client, protocol, served):
    server = served
    response = client.get(
        "/scope/caf%C3%A9/a%2Fb?a=1&b=%20x&a=2",
        headers=[("X-Custom", "Mixed Case Value"), ("X-Dup", "one"), ("X-Dup", "two")],
    )
    assert response.status_code == 200
    wire_version, scope_version = expected_http_version(protocol)
    assert response.http_version == wire_version
    scope = response.json()

    assert scope["type"] == "http"
    assert scope["asgi"]["version"] == "3.0"
    assert scope["asgi"].get("spec_version", "2.0") in SPEC_VERSIONS
    assert scope["http_version"] == scope_version
    assert scope["method"] == "GET"
    assert scope["scheme"] == ("https" if protocol == "http3" else "http")
    assert scope["path"] == "/scope/café/a/b"
    assert scope["raw_path"] == "/scope/caf%C3%A9/a%2Fb"
    assert scope["root_path"] == ""
    assert scope["query_string"] == "a=1&b=%20x&a=2"
    assert scope["types"] == {
        "path": "str",
        "raw_path": "bytes",
        "root_path": "str",
        "query_string": "bytes",
        "method": "str",
    }

    headers = scope["headers"]
    assert scope["header_types"] == ["bytes,bytes"]
    assert scope["header_lengths"] == [2]
    assert all(name == name.lower() for name, _ in headers)
    assert not [name for name, _ in headers if name.startswith(":")], "pseudo headers leaked"
    assert ["x-custom", "Mixed Case Value"] in headers
    assert [value for name, value in headers if name == "x-dup"] == ["one", "two"]
    hosts = [value for name, value in headers if name == "host"]
    assert hosts == [f"{server.host}:{server.port}"]
    if protocol != "http1":
        # ":authority ... must be added to the start of the iterable with host as the name"
        assert headers[0] == ["host", f"{server.host}:{server.port}"]

    assert scope["client"][0] == "127.0.0.1"
    assert scope["client_types"] == ["str", "int"]
    assert scope["server"] == [server.host, server.port]
    assert scope["server_types"] == ["str", "int"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE"])
def test_scope_method(client, method):
    response = client.request(method, "/scope", content=b"x" if method != "OPTIONS" else None)
    assert response.status_code == 200
    assert response.json()["method"] == method


def test_head_has_no_body_and_keeps_the_connection_usable(client):
    """The app sends a body for HEAD (as frameworks do); the server must drop it. On
    HTTP/2 DATA frames in a HEAD response make it malformed (RFC 9113 section 8.1.1)."""
    response = client.head("/scope")
    assert response.status_code == 200
    assert response.content == b""
    # Had the server written a body after the HEAD response, this one would be garbage.
    follow_up = client.get("/ok")
    assert follow_up.status_code == 200
    assert follow_up.json() == {"ok": True}


def test_root_path_option():
    with support.serve_asgi("apps:main", "--root-path", "/mounted") as server:
        response = httpx.get(f"{server.base_url}/scope", timeout=10)
    assert response.status_code == 200
    assert response.json()["root_path"] == "/mounted"


def test_client_is_the_peer_address_http1(server):
    with support.connect(server.address) as sock:
        sock.sendall(b"GET /scope HTTP/1.1\r\nHost: conformance\r\n\r\n")
        status, _, body = support.read_http1_response(sock)
        local = sock.getsockname()
    assert status == 200
    scope = json.loads(body)
    assert scope["client"] == [local[0], local[1]]
    assert ["host", "conformance"] in scope["headers"]


def test_client_is_the_peer_address_http2(server):
    with support.H2Connection(server.address) as conn:
        status, _, body = conn.request("GET", "/scope", headers=[("x-h2", "yes")])
        local = conn.sock.getsockname()
    assert status == 200
    scope = json.loads(body)
    assert scope["http_version"] == "2"
    assert scope["client"] == [local[0], local[1]]
    assert scope["headers"][0] == ["host", f"{server.host}:{server.port}"]
    assert ["x-h2", "yes"] in scope["headers"]


# ---- request bodies --------------------------------------------------------------------


def test_empty_body_is_one_final_request_message(client):
    response = client.get("/echo")
    assert response.status_code == 200
    result = response.json()
    assert result["length"] == 0
    assert result["sha256"] == hashlib.sha256(b"").hexdigest()
    assert result["messages"] >= 1


def test_small_body_with_content_length(client):
    body = b"hello, conformance \x00\xff" * 10
    response = client.post("/echo", content=body)
    assert response.status_code == 200
    result = response.json()
    assert result["length"] == len(body)
    assert result["sha256"] == hashlib.sha256(body).hexdigest()
    assert result["body_types"] == ["bytes"]


def test_large_body_with_content_length(client):
    body = os.urandom(5 * MIB)
    response = client.post("/echo", content=body)
    assert response.status_code == 200
    result = response.json()
    assert result["length"] == len(body)
    assert result["sha256"] == hashlib.sha256(body).hexdigest()


def test_large_body_streamed_by_the_client(client, protocol):
    """5 MiB sent in 64 KiB pieces: chunked transfer encoding on HTTP/1.1, DATA frames
    on HTTP/2. The app must see every byte, in order, ending with more_body=False."""
    pieces, digest = stream_payload(5 * MIB, 64 * 1024)

    def generate():
        yield from pieces

    response = client.post("/echo", content=generate())
    assert response.status_code == 200
    result = response.json()
    assert result["length"] == 5 * MIB
    assert result["sha256"] == digest
    assert result["messages"] >= 1
    assert result["body_types"] == ["bytes"]


def test_concurrent_streams_on_one_http2_connection(server):
    """Two requests multiplexed on one connection get their own scope and response;
    the quick one is not held behind the slow one."""
    key = new_key()
    with support.H2Connection(server.address) as conn:
        slow = conn.start_request("GET", f"/slow?seconds=0.6&id={key}")
        quick = conn.start_request("POST", "/echo", body=b"quick body")
        quick_status, _, quick_body = conn.response(quick)
        slow_status, _, slow_body = conn.response(slow)
        ended = [e.stream_id for e in conn.events if isinstance(e, h2.events.StreamEnded)]
    assert quick_status == 200
    assert json.loads(quick_body)["length"] == len(b"quick body")
    assert slow_status == 200
    assert slow_body == b"slow response complete"
    assert ended.index(quick) < ended.index(slow)


# ---- responses -------------------------------------------------------------------------


def test_large_streamed_response(client, protocol):
    chunks, size = 80, 64 * 1024  # 5 MiB in 80 more_body=True messages
    expected = hashlib.sha256()
    for index in range(chunks):
        expected.update(bytes([index % 251]) * size)
    digest = hashlib.sha256()
    length = 0
    with client.stream("GET", "/stream", params={"chunks": chunks, "size": size}) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        if protocol == "http1":
            assert response.headers["transfer-encoding"] == "chunked"
        for data in response.iter_bytes():
            digest.update(data)
            length += len(data)
    assert length == chunks * size
    assert digest.hexdigest() == expected.hexdigest()


def test_streamed_response_with_content_length(client, protocol):
    with client.stream(
        "GET", "/stream", params={"chunks": 8, "size": 1000, "content_length": 1}
    ) as response:
        body = response.read()
    assert response.status_code == 200
    assert response.headers["content-length"] == "8000"
    assert "transfer-encoding" not in response.headers
    assert body == b"".join(bytes([i]) * 1000 for i in range(8))


def test_streamed_response_is_not_buffered(client):
    """The first chunk reaches the client while the app is still sleeping before the
    second one: send() flushes, the server does not collect the whole body."""
    started = time.monotonic()
    arrivals = []
    with client.stream(
        "GET", "/stream", params={"chunks": 2, "size": 16, "delay": 1.0}
    ) as response:
        for data in response.iter_raw():
            if data:
                arrivals.append((time.monotonic() - started, len(data)))
    assert sum(size for _, size in arrivals) == 32
    assert arrivals[0][0] < 0.7, f"first chunk only after {arrivals[0][0]:.2f} s"
    assert arrivals[-1][0] >= 0.9


def test_duplicate_response_headers_are_preserved(client):
    response = client.get("/headers")
    assert response.status_code == 200
    assert response.content == b"headers"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert response.headers["x-conformance"] == "first"
    assert response.cookies["a"] == "1"
    assert response.cookies["b"] == "2"


def test_app_transfer_encoding_header_is_ignored(client):
    """The spec: "You may send a Transfer-Encoding header in this message, but the
    server must ignore it." The body must arrive intact on every protocol."""
    response = client.get("/headers", params={"te": 1})
    assert response.status_code == 200
    assert response.content == b"headers"


def test_connection_specific_headers_from_the_app(client, protocol):
    """An app that sets Connection/Keep-Alive (legal in HTTP/1.1) must not break an
    HTTP/2 or HTTP/3 response: those fields are forbidden on their wire, and dropped."""
    response = client.get("/headers", params={"hop": 1})
    assert response.status_code == 200
    assert response.content == b"headers"
    assert response.headers["x-conformance"] == "first"
    if protocol != "http1":
        assert "connection" not in response.headers
        assert "keep-alive" not in response.headers
    assert client.get("/ok").status_code == 200


# ---- applications that fail ------------------------------------------------------------


def test_exception_before_response_start_is_500(client):
    response = client.get("/raise-before-start")
    assert response.status_code == 500
    assert client.get("/ok").json() == {"ok": True}


def test_returning_without_a_response_is_500(client):
    response = client.get("/no-response")
    assert response.status_code == 500
    assert client.get("/ok").json() == {"ok": True}


@pytest.mark.parametrize("path", ["/raise-after-start", "/return-mid-stream"])
def test_response_cut_short_is_an_error_for_the_client(client, served, protocol, path):
    """Once the body has started, the server cannot change the status: the client must
    see a broken response (connection closed / stream reset), never a clean one."""
    with pytest.raises(httpx.HTTPError):
        response = client.get(path)
        raise AssertionError(f"a complete response: {response.status_code} {response.content!r}")
    with h3sync.client_for(served, protocol) as fresh:
        assert fresh.get("/ok").json() == {"ok": True}
    assert client.get("/ok").json() == {"ok": True}


APP_EXCEPTION_LOG = "Exception in ASGI application"


@pytest.mark.parametrize(
    ("kind", "at"),
    [
        ("no-type", "before"),
        ("unknown-type", "before"),
        ("not-a-dict", "before"),
        ("body-before-start", "before"),
        ("start-twice", "before"),
        ("no-type", "mid"),
        ("unknown-type", "mid"),
        ("not-a-dict", "mid"),
        ("start-twice", "mid"),
    ],
)
def test_invalid_message_from_the_app(client, served, protocol, kind, at):
    """A message no server may take (a dict without "type", an unknown type, not a dict,
    body before start, start twice): send() raises, the app's exception is logged, and
    the client gets a 500 when nothing was sent yet, a broken response otherwise. The
    server keeps serving."""
    key = new_key()
    logged_before = served.stderr().count(APP_EXCEPTION_LOG)
    params = {"kind": kind, "at": at, "id": key}
    if at == "before":
        response = client.get("/garbage", params=params)
        assert response.status_code == 500
    else:
        with pytest.raises(httpx.HTTPError):
            response = client.get("/garbage", params=params)
            raise AssertionError(f"a complete response: {response.status_code}")
    raised = state(served, key)
    assert raised not in (None, "accepted"), f"send() took the {kind} message: {raised!r}"

    def logged() -> bool:
        return served.stderr().count(APP_EXCEPTION_LOG) > logged_before

    assert support.wait_for(logged), f"nothing logged:\n{served.stderr()[-2000:]}"
    assert f"\n{raised}: " in served.stderr(), f"no {raised} traceback in the log"
    assert client.get("/ok").json() == {"ok": True}
    with h3sync.client_for(served, protocol) as fresh:
        assert fresh.get("/ok").json() == {"ok": True}


# ---- disconnects -----------------------------------------------------------------------


def disconnected(server, key: str, timeout: float = 5) -> bool:
    return support.wait_for(lambda: state(server, key) == "http.disconnect", timeout=timeout)


H3_CANCEL_LIMIT = pytest.mark.xfail(
    strict=True,
    reason="known limit: h3-quinn does not expose the QUIC send stream's STOP_SENDING, so "
    "a cancelled HTTP/3 request whose body was complete is noticed only at the first send",
)


def test_http_disconnect_when_the_client_closes_the_connection(served, protocol):
    """An app waiting in receive() gets http.disconnect once its client is gone."""
    server = served
    key = new_key()
    path = f"/wait-disconnect?id={key}"
    if protocol == "http1":
        with support.connect(server.address) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert support.wait_for(lambda: state(server, key)) == "waiting"
    elif protocol == "http2":
        with support.H2Connection(server.address) as conn:
            conn.start_request("GET", path)
            assert support.wait_for(lambda: state(server, key)) == "waiting"
    else:  # leaving the block closes the QUIC connection (CONNECTION_CLOSE)
        with h3sync.H3SyncClient(server.port, server.ca) as conn:
            conn.open_stream("GET", path)
            assert support.wait_for(lambda: state(server, key)) == "waiting"
    assert disconnected(server, key), f"receive() gave {state(server, key)!r}"


def test_http_disconnect_when_an_http2_stream_is_reset(server):
    """RST_STREAM alone (the connection stays open) ends the request for the app; the
    connection goes on serving other streams."""
    key = new_key()
    with support.H2Connection(server.address) as conn:
        stream_id = conn.start_request("GET", f"/wait-disconnect?id={key}")
        assert support.wait_for(lambda: state(server, key)) == "waiting"
        conn.reset(stream_id)
        assert disconnected(server, key), f"receive() gave {state(server, key)!r}"
        status, _, body = conn.request("GET", "/ok")
    assert status == 200
    assert body == b'{"ok": true}'


def test_http_disconnect_when_an_http3_request_body_is_reset(h3_server):
    """RESET_STREAM while the request body is still coming: the app, reading the body,
    gets http.disconnect; the connection goes on serving other streams. (The app starts
    once the first 16 KiB of a body are in: the part sent here is more.)"""
    key = new_key()
    with h3sync.H3SyncClient(h3_server.port, h3_server.ca) as conn:
        stream_id = conn.open_stream(
            "POST", f"/body-disconnect?id={key}", body=b"x" * 20_000, end_stream=False
        )
        # The part sent may reach the app as one message or several.
        assert set(support.wait_for(lambda: state(h3_server, key))) == {"http.request"}
        conn.reset_stream(stream_id)
        seen = support.wait_for(
            lambda: (state(h3_server, key) or [None])[-1] == "http.disconnect", timeout=5
        )
        assert seen, f"the app saw {state(h3_server, key)!r}"
        assert conn.get("/ok").json() == {"ok": True}


@H3_CANCEL_LIMIT
def test_http_disconnect_when_an_http3_request_is_cancelled(h3_server):
    """RFC 9114 4.1.1: a client cancels a request by aborting both directions of its
    stream (STOP_SENDING and RESET_STREAM with H3_REQUEST_CANCELLED), the HTTP/3 form of
    HTTP/2's RST_STREAM. The app waiting in receive() must get http.disconnect."""
    key = new_key()
    with h3sync.H3SyncClient(h3_server.port, h3_server.ca) as conn:
        stream_id = conn.open_stream("GET", f"/wait-disconnect?id={key}")
        assert support.wait_for(lambda: state(h3_server, key)) == "waiting"
        conn.stop_stream(stream_id)
        conn.reset_stream(stream_id)
        assert conn.get("/ok").json() == {"ok": True}
        assert disconnected(h3_server, key, 2), f"receive() gave {state(h3_server, key)!r}"


def test_http_disconnect_after_the_response_is_sent(client, served):
    """receive() after the response has been sent returns http.disconnect."""
    key = new_key()
    response = client.get("/after-response", params={"id": key})
    assert response.status_code == 200
    result = support.wait_for(lambda: state(served, key), timeout=7)
    assert result == "http.disconnect"


def _stream_then_vanish(server, protocol: str, key: str) -> dict:
    """Start /send-after-disconnect, read some of the stream, go away (HTTP/2: reset the
    stream; HTTP/3: STOP_SENDING, the connection staying open); the app's report."""
    path = f"/send-after-disconnect?id={key}"

    def finished():
        return (state(server, key) or {}).get("finished")

    if protocol == "http1":
        with support.connect(server.address) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            received = 0
            while received < 256 * 1024:
                received += len(sock.recv(65536))
    elif protocol == "http2":
        with support.H2Connection(server.address) as conn:
            stream_id = conn.start_request("GET", path)
            received = 0
            while received < 256 * 1024:
                for event in conn.pump():
                    received += len(getattr(event, "data", b"") or b"")
            conn.reset(stream_id)
    else:
        with h3sync.H3SyncClient(server.port, server.ca) as conn:
            stream_id = conn.open_stream("GET", path)
            received = 0
            while received < 256 * 1024:
                kind, data = conn.next_event(stream_id)
                received += len(data) if kind == "data" else 0
            conn.stop_stream(stream_id)
            assert support.wait_for(finished, timeout=10), state(server, key)
    report = support.wait_for(finished, timeout=10)
    assert report, f"the app did not finish after its client left: {state(server, key)!r}"
    return state(server, key)


def test_http_disconnect_during_a_streamed_response(served, protocol):
    report = _stream_then_vanish(served, protocol, new_key())
    assert report["disconnect"] is True, report


def test_send_after_disconnect_raises_oserror(served, protocol):
    """ASGI HTTP spec 2.4: "If send() is called on a closed connection the server should
    raise a server-specific subclass of OSError"."""
    report = _stream_then_vanish(served, protocol, new_key())
    assert report["is_oserror"] is True, report
