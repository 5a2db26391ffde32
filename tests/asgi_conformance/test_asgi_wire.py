"""Bad and unusual input over raw sockets. After each, the server must keep serving."""

from __future__ import annotations

import json
import time

import pytest
import support

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
FRAME_GOAWAY = 0x7


@pytest.fixture(scope="module")
def limited_server():
    """A server with an 8 KiB header limit and a 1 s header timeout."""
    with support.serve_asgi(
        "apps:main", "--max-header-size", "8192", "--header-timeout", "1"
    ) as server:
        yield server


def status_line(response: bytes) -> str:
    return response.split(b"\r\n", 1)[0].decode("latin-1")


def assert_still_serving(server) -> None:
    with support.connect(server.address) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, body = support.read_http1_response(sock)
    assert (status, body) == (200, b'{"ok": true}')
    with support.H2Connection(server.address) as conn:
        status, _, body = conn.request("GET", "/ok")
    assert (status, body) == (200, b'{"ok": true}')


def h2_frames(data: bytes) -> list[tuple[int, int, int, bytes]]:
    """(type, flags, stream id, payload) of every whole frame in ``data``."""
    frames = []
    while len(data) >= 9:
        length = int.from_bytes(data[:3], "big")
        if len(data) < 9 + length:
            break
        stream = int.from_bytes(data[5:9], "big") & 0x7FFFFFFF
        frames.append((data[3], data[4], stream, data[9 : 9 + length]))
        data = data[9 + length :]
    return frames


def test_malformed_request_line_is_400(server):
    response = support.raw_exchange(server.address, b"GARBAGE\r\n\r\n")
    assert status_line(response) == "HTTP/1.1 400 Bad Request"
    assert_still_serving(server)


def test_conflicting_content_lengths_are_400(server):
    response = support.raw_exchange(
        server.address,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    )
    assert status_line(response) == "HTTP/1.1 400 Bad Request"
    assert_still_serving(server)


def test_http11_request_without_host_is_400(server):
    response = support.raw_exchange(
        server.address, b"GET /ok HTTP/1.1\r\nConnection: close\r\n\r\n"
    )
    assert status_line(response) == "HTTP/1.1 400 Bad Request"


def test_http11_request_with_two_hosts_is_400(server):
    response = support.raw_exchange(
        server.address,
        b"GET /ok HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n",
    )
    assert status_line(response) == "HTTP/1.1 400 Bad Request"


def test_header_over_the_limit_is_431_http1(limited_server):
    big = b"a" * 20 * 1024
    response = support.raw_exchange(
        limited_server.address, b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n"
    )
    assert status_line(response) == "HTTP/1.1 431 Request Header Fields Too Large"
    assert_still_serving(limited_server)


def test_header_over_the_limit_is_431_http2(limited_server):
    with support.H2Connection(limited_server.address) as conn:
        status, _, _ = conn.request("GET", "/ok", headers=[("x-big", "a" * 20 * 1024)])
        assert status == 431
        # The connection itself survives a refused stream.
        status, _, body = conn.request("GET", "/ok")
        assert (status, body) == (200, b'{"ok": true}')
    assert_still_serving(limited_server)


def test_header_under_the_limit_is_served(limited_server):
    response = support.raw_exchange(
        limited_server.address,
        b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Small: "
        + b"a" * 4096
        + b"\r\n\r\n",
    )
    assert status_line(response) == "HTTP/1.1 200 OK"


def test_slow_request_head_is_cut_off(limited_server):
    """--header-timeout 1: a head still incomplete after a second loses its connection."""
    with support.connect(limited_server.address, timeout=10) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        support.read_until_closed(sock)
        waited = time.monotonic() - started
    assert 0.5 <= waited < 5, f"closed after {waited:.2f} s"
    assert_still_serving(limited_server)


@pytest.mark.parametrize(
    "garbage",
    [
        b"this is not an HTTP/2 frame at all, not even close",
        # SETTINGS with a length that is not a multiple of 6: FRAME_SIZE_ERROR.
        b"\x00\x00\x04\x04\x00\x00\x00\x00\x00abcd",
        # HEADERS on stream 0 before any SETTINGS: PROTOCOL_ERROR.
        b"\x00\x00\x01\x01\x05\x00\x00\x00\x00\x82",
    ],
    ids=["text", "bad-settings", "headers-on-stream-0"],
)
def test_invalid_http2_frames_get_goaway(server, garbage):
    data = support.raw_exchange(server.address, H2_PREFACE + garbage)
    if data:  # the server may also just close; if it says anything, it is GOAWAY
        goaways = [f for f in h2_frames(data) if f[0] == FRAME_GOAWAY]
        assert goaways, f"no GOAWAY in {data!r}"
        error_code = int.from_bytes(goaways[-1][3][4:8], "big")
        assert error_code != 0, "GOAWAY with NO_ERROR for a protocol violation"
    assert_still_serving(server)


def test_corrupted_http2_preface(server):
    """Not quite the preface: the server must refuse it (not hang, not serve it)."""
    data = support.raw_exchange(server.address, b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")
    if data.startswith(b"HTTP/"):
        status = int(status_line(data).split()[1])
        assert 400 <= status < 600
    else:
        goaways = [f for f in h2_frames(data) if f[0] == FRAME_GOAWAY]
        assert not data or goaways, f"unexpected answer {data!r}"
    assert_still_serving(server)


def test_connection_closed_mid_head(server):
    with support.connect(server.address) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHo")
    assert_still_serving(server)


def test_connection_closed_mid_body(server):
    with support.connect(server.address) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc")
        time.sleep(0.1)
    assert_still_serving(server)


# ---- unusual but valid ------------------------------------------------------------------


def test_http10_request(server):
    response = support.raw_exchange(server.address, b"GET /scope HTTP/1.0\r\n\r\n")
    head, _, body = response.partition(b"\r\n\r\n")
    assert status_line(head).split()[1] == "200"
    scope = json.loads(body)
    assert scope["http_version"] == "1.0"
    assert scope["method"] == "GET"


def test_expect_100_continue(server):
    """The client waits for 100 Continue before sending the body."""
    with support.connect(server.address) as sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = sock.recv(4096)
            assert chunk, "connection closed instead of 100 Continue"
            interim += chunk
        assert status_line(interim) == "HTTP/1.1 100 Continue"
        sock.sendall(b"hello")
        status, _, body = support.read_http1_response(sock)
    assert status == 200
    assert json.loads(body)["length"] == 5


def test_chunked_request_body_with_extensions_and_trailers(server):
    body = b"5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: yes\r\n\r\n"
    with support.connect(server.address) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        status, _, answer = support.read_http1_response(sock)
    assert status == 200
    assert json.loads(answer)["length"] == len(b"hello world")


def test_pipelined_requests_answered_in_order(server):
    with support.connect(server.address) as sock:
        sock.sendall(
            b"GET /scope/first HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /scope/second HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        reader = support.Http1Reader(sock)
        first = reader.response()
        second = reader.response()
    assert json.loads(first[2])["path"] == "/scope/first"
    assert json.loads(second[2])["path"] == "/scope/second"


def test_http2_prior_knowledge_and_http1_share_the_port(server):
    """Both protocols on one port, on separate connections at the same time."""
    h1 = support.connect(server.address)
    try:
        with support.H2Connection(server.address) as h2:
            h1.sendall(b"GET /scope HTTP/1.1\r\nHost: x\r\n\r\n")
            _, _, body2 = h2.request("GET", "/scope")
            _, _, body1 = support.read_http1_response(h1)
    finally:
        h1.close()
    assert json.loads(body1)["http_version"] == "1.1"
    assert json.loads(body2)["http_version"] == "2"


def test_many_connections_at_once(server):
    socks = [support.connect(server.address) for _ in range(50)]
    try:
        for sock in socks:
            sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        for sock in socks:
            status, _, _ = support.read_http1_response(sock)
            assert status == 200
    finally:
        for sock in socks:
            sock.close()
