"""Edge cases of HTTP/1.x and faulty apps: 100-continue, HTTP/1.0, a response timeout."""

from __future__ import annotations

import time

import httpx
import support


def test_expect_100_continue_gets_interim_response_then_body_is_read():
    with support.serve_asgi("apps:main") as server, support.connect(server.address) as sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        interim = sock.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"hello")
        reader = support.Http1Reader(sock)
        reader.buffer = interim.split(b"\r\n\r\n", 1)[1]
        status, _, body = reader.response()
    assert status == 200
    assert httpx.Response(200, content=body).json()["length"] == 5


def test_http10_gets_no_chunked_encoding():
    with support.serve_asgi("apps:main") as server:
        response = support.raw_exchange(
            server.address, b"GET /stream?chunks=3&size=10 HTTP/1.0\r\n\r\n"
        )
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200")
        assert b"transfer-encoding" not in head.lower()
        assert len(body) == 30


def test_http10_scope_version():
    with support.serve_asgi("apps:main") as server:
        response = support.raw_exchange(server.address, b"GET /scope HTTP/1.0\r\n\r\n")
    assert b'"http_version":"1.0"' in response.replace(b" ", b"")


def test_an_app_that_never_answers_gets_504_and_is_cancelled():
    with support.serve_asgi("apps:main", "--response-timeout", "0.5") as server:
        started = time.monotonic()
        response = httpx.get(f"{server.base_url}/slow", params={"seconds": 30, "id": "stuck"})
        elapsed = time.monotonic() - started
        assert response.status_code == 504
        assert "0.5" in response.json()["detail"]
        assert elapsed < 5
        state = httpx.get(f"{server.base_url}/state", params={"id": "stuck"}).json()["state"]
        assert state == "started"  # cancelled mid-sleep, never "done"
        assert httpx.get(f"{server.base_url}/ok").status_code == 200
        assert "timed out" in server.stderr()


def test_idle_keep_alive_connection_is_closed_after_keep_alive_seconds():
    request = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"
    with support.serve_asgi("apps:main", "--keep-alive", "1") as server:
        with support.connect(server.address) as sock:
            reader = support.Http1Reader(sock)
            sock.sendall(request)
            assert reader.response()[0] == 200
            time.sleep(0.3)  # well within the limit: the connection is reused
            sock.sendall(request)
            assert reader.response()[0] == 200
            sock.settimeout(5)
            started = time.monotonic()
            assert sock.recv(1024) == b""  # the server closes the idle connection
            assert 0.5 < time.monotonic() - started < 3
