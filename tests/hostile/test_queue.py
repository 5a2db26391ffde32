"""Clients that try to fill the queue of requests waiting for Python: bodies announced
and never sent (HTTP/1.1 and HTTP/2), bodies trickled in, and one client sending more
requests at once than its share. Each attack runs against a real ``runbolt`` while a
normal client checks it is still served as fast as before."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import socket
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import support

TESTS_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS_DIR / "transport"))
sys.path.insert(0, str(TESTS_DIR / "asgi_conformance"))
import certs as test_certs  # noqa: E402
import h3sync  # noqa: E402

PROJECT = support.BOLT_PROJECT_DIR


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def normal_requests(base_url: str, *, http2: bool = False) -> None:
    """What a normal client does: a Bolt GET, a Bolt POST with a body, a Django view."""
    with httpx.Client(base_url=base_url, http2=http2, timeout=5) as client:
        assert client.get("/api/items/7").json()["id"] == 7
        created = client.post("/api/items", json={"name": "pen", "price": 2.5})
        assert created.status_code == 201, created.text
        assert client.get("/django/hello").json() == {"from": "django"}


def baseline(base_url: str, *, http2: bool = False) -> float:
    return statistics.median(
        timed(lambda: normal_requests(base_url, http2=http2)) for _ in range(5)
    )


def assert_still_served(base_url: str, usual: float, *, http2: bool = False) -> None:
    """The normal client is served, within a generous multiple of its usual latency."""
    took = statistics.median(
        timed(lambda: normal_requests(base_url, http2=http2)) for _ in range(3)
    )
    assert took < usual * 5 + 0.5, f"a normal client took {took:.3f} s (usually {usual:.3f} s)"


def stalled_post(address: tuple[str, int], path: str) -> socket.socket:
    """A POST announcing 100 bytes of body and sending 10."""
    sock = support.connect(address, timeout=10)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n".encode()
        + b'{"name": "'
    )
    return sock


def test_stalled_http1_bodies_hold_no_place_and_get_408():
    options = ("--max-pending", "8", "--body-timeout", "2")
    with support.serve_django(PROJECT, *options) as server:
        usual = baseline(server.base_url)
        stalled = [
            stalled_post(server.address, path) for path in ["/api/items", "/django/echo"] * 20
        ]
        try:
            time.sleep(0.3)
            # 40 stalled bodies against 8 places: a normal client is still served.
            assert_still_served(server.base_url, usual)
            answers = []
            for sock in stalled:
                status, headers, body = support.read_http1_response(sock)
                answers.append((status, json.loads(body)["detail"], headers.get("connection")))
        finally:
            for sock in stalled:
                sock.close()
        assert set(answers) == {(408, "The request body did not arrive in time", "close")}
        log = support.wait_for(lambda: server.stderr() if "408 for" in server.stderr() else "")
        assert (
            "408 for POST /api/items from 127.0.0.1: the request body stopped arriving" in log
            or (
                "408 for POST /django/echo from 127.0.0.1: the request body stopped arriving" in log
            )
        ), log
        # Thousands of such lines under attack would drown the log: one a second.
        assert log.count("408 for") < len(stalled)


def test_stalled_http2_streams_hold_no_place_and_get_408():
    options = ("--max-pending", "16", "--body-timeout", "2")
    with support.serve_django(PROJECT, *options) as server:
        usual = baseline(server.base_url, http2=True)
        attacker = support.H2Connection(server.address, timeout=10)
        with attacker:
            streams = []
            for path in ["/api/items", "/django/echo"] * 50:
                stream_id = attacker.conn.get_next_available_stream_id()
                headers = [
                    (":method", "POST"),
                    (":scheme", "http"),
                    (":authority", attacker.authority),
                    (":path", path),
                    ("content-type", "application/json"),
                ]
                attacker.conn.send_headers(stream_id, headers, end_stream=False)
                streams.append(stream_id)
            attacker.flush()
            time.sleep(0.3)
            # 100 open streams against 16 places: a normal client is still served.
            assert_still_served(server.base_url, usual, http2=True)
            statuses = [attacker.response(stream_id)[0] for stream_id in streams]
        assert statuses == [408] * len(streams)


def test_stalled_http3_bodies_hold_no_place_and_get_408(tmp_path):
    certs = test_certs.make(tmp_path)
    options = ("--max-pending", "4", "--body-timeout", "2")
    with h3sync.serve_tls("apps:main", certs, *options) as server:
        with h3sync.H3SyncClient(server.port, server.ca) as normal:
            usual = statistics.median(timed(lambda: normal.get("/ok")) for _ in range(5))
        with h3sync.H3SyncClient(server.port, server.ca) as attacker:
            streams = [
                attacker.open_stream("POST", "/ok", body=b"partial", end_stream=False)
                for _ in range(20)
            ]
            time.sleep(0.3)
            # 20 stalled bodies against 4 places: another client is still served.
            with h3sync.H3SyncClient(server.port, server.ca) as normal:
                started = time.perf_counter()
                assert normal.get("/ok").json() == {"ok": True}
                took = time.perf_counter() - started
            assert took < usual * 5 + 0.5, f"took {took:.3f} s (usually {usual:.3f} s)"
            heads = [attacker.response_head("POST", "/ok", stream) for stream in streams]
        assert [head.status_code for head in heads] == [408] * len(streams)


def send_slowly(address: tuple[str, int], path: str, body: bytes, piece: int, pause: float):
    """POST ``body`` in pieces of ``piece`` bytes with ``pause`` seconds between them;
    the response, or None if the server cut the upload off first."""
    with support.connect(address, timeout=15) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        sock.settimeout(pause)
        for at in range(0, len(body), piece):
            try:
                sock.sendall(body[at : at + piece])
            except OSError:
                break
            with contextlib.suppress(TimeoutError):
                if sock.recv(1, socket.MSG_PEEK):
                    break  # answered before the body was done
        sock.settimeout(15)
        return support.read_http1_response(sock)


def test_a_trickled_body_is_cut_off_but_a_slow_steady_one_is_not():
    options = ("--body-timeout", "1", "--min-body-rate", "200")
    with support.serve_django(PROJECT, *options) as server:
        # 5 bytes a second, never stalled for a whole second: too slow after the grace.
        started = time.monotonic()
        status, _, body = send_slowly(server.address, "/django/echo", b"x" * 100, 1, 0.2)
        assert status == 408, body
        assert time.monotonic() - started < 4
        assert support.wait_for(lambda: "slower than the minimum rate" in server.stderr())
        # About 2,000 bytes a second for 2 s, into a running Django view (past the
        # prefetched first part): well over the minimum, read whole.
        upload = bytes(range(256)) * 400
        status, _, echoed = send_slowly(server.address, "/django/echo", upload, 10_000, 0.1)
        assert status == 200
        assert echoed == upload
        status, _, _ = send_slowly(server.address, "/api/items", b'{"name":"a","price":1}', 4, 0.2)
        assert status == 201


def fetch_from(source: str, base_url: str, path: str) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=base_url, transport=transport, timeout=10) as client:
        return client.get(path)


def test_one_client_cannot_take_every_place():
    options = ("--max-pending-per-client", "4", "--max-pending", "64")
    with support.serve_django(PROJECT, *options) as server:
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            greedy = [
                pool.submit(fetch_from, "127.0.0.1", server.base_url, "/api/slow?seconds=1.5")
                for _ in range(10)
            ]
            time.sleep(0.5)
            other = fetch_from("127.0.0.2", server.base_url, "/api/slow?seconds=0")
            answers = [future.result() for future in greedy]
        assert other.status_code == 200
        statuses = sorted(response.status_code for response in answers)
        assert statuses == [200] * 4 + [429] * 6
        refused = next(r for r in answers if r.status_code == 429)
        assert refused.headers["retry-after"] == "1"
        assert "already has 4 requests waiting" in refused.json()["detail"]


def test_the_queue_is_still_bounded():
    with support.serve_django(PROJECT, "--max-pending", "3") as server:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            sources = [f"127.0.0.{n}" for n in range(2, 10)]
            futures = [
                pool.submit(fetch_from, source, server.base_url, "/api/slow?seconds=1")
                for source in sources
            ]
            statuses = sorted(future.result().status_code for future in futures)
        assert statuses == [200] * 3 + [503] * 5


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_body_timeout_that_is_not_positive_is_one_clear_line(value):
    result = support.run_cli(["serve", "apps:main", "--body-timeout", value])
    # A usage error, as argparse reports one: status 2 and one line naming the flag.
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"django-bolt serve: error: argument --body-timeout: must be more than 0, not {value}\n"
    )


def test_a_request_reset_before_its_body_is_in_never_reaches_the_app():
    """An HTTP/2 stream that sends part of a small body and is reset: the ASGI app was
    waiting for the body, so it is never started (rapid reset costs no Python)."""
    key = uuid.uuid4().hex
    with support.serve_asgi("apps:main") as server:
        with support.H2Connection(server.address) as conn:
            stream_id = conn.conn.get_next_available_stream_id()
            headers = [
                (":method", "POST"),
                (":scheme", "http"),
                (":authority", conn.authority),
                (":path", f"/body-disconnect?id={key}"),
            ]
            conn.conn.send_headers(stream_id, headers)
            conn.conn.send_data(stream_id, b"partial body")
            conn.flush()
            time.sleep(0.3)
            conn.reset(stream_id)
            time.sleep(0.3)
            status, _, body = conn.request("GET", f"/state?id={key}")
        assert status == 200
        assert json.loads(body) == {"state": None}


def test_bolt_handlers_of_reset_streams_do_not_run():
    """HTTP/2 rapid reset (CVE-2023-44487) against a Bolt route: HEADERS and RST_STREAM
    in one write, again and again. The server closes the connection past its reset
    budget, and a stream reset before its request reached Python never runs the
    handler."""
    with support.serve_django(PROJECT) as server:
        attacker = support.FrameLevelH2(server.address)
        sent = 0
        try:
            attacker.sock.settimeout(5)
            block = attacker.encoder.encode(
                [
                    (":method", "GET"),
                    (":scheme", "http"),
                    (":authority", "x"),
                    (":path", "/api/counted"),
                ]
            )
            for index in range(200):
                stream = 2 * index + 1
                headers = attacker._frame(0x1, 0x4 | 0x1, stream, block)
                cancel = attacker._frame(0x3, 0, stream, (8).to_bytes(4, "big"))
                try:
                    attacker.sock.sendall(headers + cancel)
                except OSError:
                    break
                sent += 1
                time.sleep(0.005)
        finally:
            attacker.close()
        assert sent < 200, "the connection was never closed"
        with httpx.Client(base_url=server.base_url) as client:
            ran = client.get("/api/counted/calls").json()["calls"]
        assert ran < sent / 2, f"{ran} of {sent} reset streams ran their handler"
