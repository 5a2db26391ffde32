"""Hostile clients at the connection layer, over real sockets against a real server:
slow and silent heads, TLS handshakes that never finish, half-open connections,
request smuggling shapes, header floods, shutdown with idle sockets, and running out
of file descriptors. Each attack checks the limit, what the attacker gets, the line
the server logs, and that a normal client is served meanwhile within its usual time.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import ssl
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import support

HOSTILE_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(HOSTILE_DIR.parent / "transport"))
import certs as test_certs  # noqa: E402

# One request head deadline (--keep-alive 1 with the default --header-timeout 30:
# the deadline is the smaller of the two).
HEAD_DEADLINE = 1.0
LIMITS = ("--keep-alive", "1", "--max-header-size", "8192")
HEAD_LATE = "request head not received within 1 s"


def serve(*options: str, **kwargs):
    return support.serve_asgi("conn_apps:app", *options, app_dirs=(HOSTILE_DIR,), **kwargs)


@pytest.fixture(scope="module")
def server():
    with serve(*LIMITS) as running:
        yield running


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return test_certs.make(tmp_path_factory.mktemp("hostile-certs"))


@pytest.fixture(scope="module")
def tls_server(certs):
    tls = ("--cert", str(certs.cert), "--key", str(certs.key))
    with serve(*LIMITS, *tls) as running:
        running.base_url = running.base_url.replace("http://", "https://")
        running.ca = certs.ca
        yield running


def latency(server, samples: int = 5) -> float:
    """The median time a normal client takes for GET /ok on a new connection."""
    times = []
    for _ in range(samples):
        with httpx.Client(base_url=server.base_url, verify=server.verify, timeout=10) as client:
            started = time.monotonic()
            response = client.get("/ok")
            times.append(time.monotonic() - started)
            assert response.status_code == 200
    return statistics.median(times)


@pytest.fixture(scope="module")
def baseline(server):
    latency(server)  # warm up
    return latency(server)


def assert_served_normally(server, baseline: float) -> None:
    """A normal client is answered within a generous multiple of its usual time."""
    took = latency(server, samples=3)
    assert took < max(20 * baseline, 0.5), f"normal client took {took:.3f}s (usual {baseline:.3f}s)"


def closed_after(sock: socket.socket, timeout: float) -> float | None:
    """Seconds until the server closes ``sock`` (EOF or reset), or None if it did not
    within ``timeout``; what it sent meanwhile is discarded."""
    started = time.monotonic()
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return None
    return time.monotonic() - started


def logged(server, text: str, timeout: float = 3.0) -> bool:
    return bool(support.wait_for(lambda: text in server.stderr(), timeout=timeout))


def calls(server) -> int:
    return int(httpx.get(server.base_url + "/calls", verify=server.verify).text)


class Trickle:
    """Attackers in a thread, each sending ``payload`` one byte per ``interval``;
    ``cut`` records how long after connecting the server closed each."""

    def __init__(self, address, payload: bytes, count: int, interval: float, wrap=None):
        self.cut: list[float | None] = []
        self.sockets = [support.connect(address) for _ in range(count)]
        self.opened = time.monotonic()
        self.payload, self.interval, self.wrap = payload, interval, wrap
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        live = list(self.sockets)
        for byte in self.payload:
            for sock in list(live):
                try:
                    sock.send(bytes([byte]))
                except OSError:
                    live.remove(sock)
                    self.cut.append(time.monotonic() - self.opened)
            if not live:
                return
            time.sleep(self.interval)

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


# ---- slow and silent request heads ---------------------------------------------------


def test_slowloris_head_is_cut_at_one_deadline_from_accept(server, baseline):
    """One byte every 0.2 s: each read comes well within any per-read timeout, but the
    whole head gets one deadline from accept."""
    head = b"GET /count HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    attack = Trickle(server.address, head, count=20, interval=0.2)
    try:
        assert_served_normally(server, baseline)
        probe = attack.sockets[0]
        took = closed_after(probe, timeout=6)
        assert took is not None, "a slowloris connection outlived its head deadline"
        assert time.monotonic() - attack.opened < HEAD_DEADLINE + 1.5
        assert logged(server, HEAD_LATE)
    finally:
        attack.close()
    assert calls(server) == 0


def test_slow_head_after_the_first_line_is_still_bounded(server, baseline):
    """A quick request line (the first-bytes screen passes it on) then headers a byte
    at a time: the deadline still runs from accept, not from the hand-over to hyper."""
    with support.connect(server.address) as sock:
        opened = time.monotonic()
        sock.sendall(b"GET /count HTTP/1.1\r\n" + b"X-Pad: " + b"p" * 60 + b"\r\n")
        attack = Trickle(server.address, b"X-Slow: " + b"a" * 100, count=1, interval=0.1)
        try:
            took = closed_after(sock, timeout=6)
            assert took is not None
            assert time.monotonic() - opened < HEAD_DEADLINE + 1.5
            assert_served_normally(server, baseline)
        finally:
            attack.close()


def test_silent_connections_are_closed_at_the_head_deadline(server, baseline):
    sockets = [support.connect(server.address) for _ in range(50)]
    opened = time.monotonic()
    try:
        assert_served_normally(server, baseline)
        for sock in sockets:
            assert closed_after(sock, timeout=6) is not None
        assert time.monotonic() - opened < HEAD_DEADLINE + 1.5
        assert logged(server, HEAD_LATE)
    finally:
        for sock in sockets:
            sock.close()


def test_half_open_connections_are_closed_at_once(server, baseline):
    """A client that stops sending (FIN) mid-head is closed at once, without waiting
    for the deadline. (A FIN after a whole request is taken as the client leaving:
    that is how an ASGI app hears of a client gone mid-request.)"""
    with support.connect(server.address) as partial:
        partial.sendall(b"GET /count HTTP/1.1\r\nHost: x\r\n")
        partial.shutdown(socket.SHUT_WR)
        took = closed_after(partial, timeout=5)
        assert took is not None and took < HEAD_DEADLINE / 2
    assert_served_normally(server, baseline)
    assert calls(server) == 0


# ---- TLS handshakes that never finish ------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(b"", id="nothing"),
        # The first 40 bytes of a ClientHello record announcing 512 bytes.
        pytest.param(
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 29, id="half-hello"
        ),
    ],
)
def test_tls_handshake_that_never_finishes_is_cut_at_the_head_deadline(tls_server, sent):
    usual = latency(tls_server)
    sockets = [support.connect(tls_server.address) for _ in range(20)]
    opened = time.monotonic()
    try:
        for sock in sockets:
            sock.sendall(sent)
        assert_served_normally(tls_server, usual)
        for sock in sockets:
            assert closed_after(sock, timeout=6) is not None
        assert time.monotonic() - opened < HEAD_DEADLINE + 1.5
        assert logged(tls_server, HEAD_LATE)
    finally:
        for sock in sockets:
            sock.close()


def test_tls_handshake_and_head_share_one_deadline(tls_server, certs):
    """A quick handshake, then a head a byte at a time: cut one deadline after accept."""
    context = ssl.create_default_context(cafile=str(certs.ca))
    with support.connect(tls_server.address) as raw:
        opened = time.monotonic()
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            with contextlib.suppress(OSError):
                for byte in b"GET /count HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 50:
                    tls.send(bytes([byte]))
                    time.sleep(0.1)
            assert time.monotonic() - opened < HEAD_DEADLINE + 1.5
            assert closed_after(tls, timeout=3) is not None


# ---- request smuggling shapes, header floods ------------------------------------------

SMUGGLED = b"GET /count HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        pytest.param(
            b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 31\r\n\r\n"
            + SMUGGLED,
            400,
            id="duplicate-content-length",
        ),
        pytest.param(
            b"POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
            b"0\r\n\r\n" + SMUGGLED,
            400,
            id="transfer-encoding-not-ending-in-chunked",
        ),
        pytest.param(
            b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n" + SMUGGLED,
            400,
            id="obs-fold",
        ),
        pytest.param(b"GET /count HTTP/1.1\nHost: x\n\n" + SMUGGLED, 400, id="bare-lf"),
        pytest.param(
            b"POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"FFFFFFFFFFFFFFFFFFFF1\r\nx\r\n0\r\n\r\n" + SMUGGLED,
            400,
            id="chunk-size-overflow",
        ),
        pytest.param(
            b"GET /ok HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-Flood-%d: y\r\n" % i for i in range(200))
            + b"\r\n"
            + SMUGGLED,
            431,
            id="many-headers",
        ),
        pytest.param(
            b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"h" * 20000 + b"\r\n\r\n" + SMUGGLED,
            431,
            id="huge-header",
        ),
    ],
)
def test_smuggling_shapes_get_4xx_at_once_and_close(server, payload, status):
    started = time.monotonic()
    answer = support.raw_exchange(server.address, payload)
    assert time.monotonic() - started < HEAD_DEADLINE / 2, "answered only at a timeout"
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:200]
    assert answer.count(b"HTTP/1.1 ") == 1, "the smuggled request was answered"
    assert calls(server) == 0, "the smuggled request reached a handler"


def test_content_length_with_transfer_encoding_is_framed_by_chunks_then_closed(server):
    """hyper goes by Transfer-Encoding, drops Content-Length and closes the connection
    after the answer (RFC 9112 section 6.3), so what Content-Length would have counted
    as body is never read as a request."""
    answer = support.raw_exchange(
        server.address,
        b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 36\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    )
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nconnection: close\r\n" in answer
    assert answer.count(b"HTTP/1.1 ") == 1
    assert calls(server) == 0


def test_unreadable_chunked_body_gets_400_not_500_from_the_asgi_app(server):
    """The app, like Django's handler, returns without answering when its body cannot
    be read: the client still gets a 400 that says why."""
    answer = support.raw_exchange(
        server.address,
        b"POST /abort-on-disconnect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\nZZ\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert answer.endswith(b'{"detail":"The request body could not be read"}')
    assert "Exception" not in server.stderr()


@pytest.mark.parametrize("path", ["/django/echo", "/api/echo-size"], ids=["django", "bolt"])
def test_malformed_chunked_body_gets_400_on_django_and_bolt_routes(path):
    """The same broken chunk framing gets the same 400 from a Django view (through
    ASGI) as from a Bolt route."""
    with support.serve_django(support.BOLT_PROJECT_DIR) as running:
        answer = support.raw_exchange(
            running.address,
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\nZZ\r\n'.encode(),
        )
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:300]
    assert answer.endswith(b'{"detail":"The request body could not be read"}')


def test_extra_bytes_after_a_body_are_not_a_second_request(server, baseline):
    """Bytes past Content-Length are the next request's: garbage there is a 400 and
    the connection is closed, and nothing reaches a handler but the first request."""
    answer = support.raw_exchange(
        server.address,
        b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        b", world: /count HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    first, _, rest = answer.partition(b"\r\n\r\nok")
    assert first.startswith(b"HTTP/1.1 200 ")
    assert rest.startswith(b"HTTP/1.1 400 ")
    assert calls(server) == 0
    assert_served_normally(server, baseline)


# ---- shutdown with idle connections ---------------------------------------------------


def test_silent_and_idle_connections_do_not_hold_up_shutdown():
    """Defaults (keep-alive 5 s, header timeout 30 s, grace 30 s): five silent sockets,
    one with half a head and one kept alive after a request; SIGTERM ends at once."""
    with serve() as running:
        idle = support.connect(running.address)
        idle.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert support.Http1Reader(idle).response()[0] == 200
        sockets = [support.connect(running.address) for _ in range(5)]
        sockets[0].sendall(b"GET /ok HTTP/1.1\r\nHo")
        time.sleep(0.2)
        started = time.monotonic()
        running.send_signal(signal.SIGTERM)
        code = running.terminate(timeout=10)
        took = time.monotonic() - started
        for sock in [idle, *sockets]:
            sock.close()
    assert code == 0
    assert took < 3, f"shutdown took {took:.1f}s with idle connections open"


# ---- running out of file descriptors -------------------------------------------------


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def fd_limited_server(spare: int):
    """A server whose descriptor limit leaves ``spare`` free once it is serving."""
    with serve(*LIMITS) as running:
        pid = running.process.pid
        latency(running)
        limit = open_fds(pid) + spare
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, limit))
        yield running


def test_out_of_descriptors_closes_silent_connections_first():
    with fd_limited_server(spare=10) as running:
        silent = [support.connect(running.address) for _ in range(40)]
        try:
            assert logged(running, "Too many open files", timeout=5)
            assert logged(running, "out of file descriptors; it had sent no request")
            # The oldest silent ones were closed to make room for new connections.
            with httpx.Client(base_url=running.base_url, timeout=5) as client:
                assert client.get("/ok").status_code == 200
        finally:
            for sock in silent:
                sock.close()


def test_out_of_descriptors_does_not_spin_and_recovers():
    """Every descriptor held by requests in flight (nothing to close): the accept loop
    backs off instead of spinning, and serves again once the requests are done."""
    with fd_limited_server(spare=6) as running:
        busy = []
        for _ in range(12):
            sock = support.connect(running.address)
            sock.sendall(b"GET /slow?seconds=3 HTTP/1.1\r\nHost: x\r\n\r\n")
            busy.append(sock)
        try:
            assert logged(running, "Too many open files", timeout=5)
            before = cpu_seconds(running.process.pid)
            time.sleep(1.0)
            spent = cpu_seconds(running.process.pid) - before
            assert spent < 0.5, f"the server used {spent:.2f}s of CPU in 1s while out of fds"
            for sock in busy[:6]:
                assert support.Http1Reader(sock).response()[0] == 200
            with httpx.Client(base_url=running.base_url, timeout=10) as client:
                assert client.get("/ok").status_code == 200
        finally:
            for sock in busy:
                sock.close()
