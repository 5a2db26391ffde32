"""Attacks on how the request is read: proxy headers a client sends itself, hosts the
site does not serve, numbers no type can hold, and cookies sent twice or quoted.

runbolt serves tests/bolt/project (``boltproj.settings_request``: ALLOWED_HOSTS
127.0.0.1, api.test and .example.org) behind a reverse proxy set up as nginx usually
is, which appends the address it saw to X-Forwarded-For and passes every other header
on. Each test checks what the attacker gets, and that a normal client is served in its
usual time while the attack runs."""

from __future__ import annotations

import contextlib
import json
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import support

PROXY_ADDRESS = "127.0.0.2"  # the only address the server trusts
ATTACKER = "127.0.0.66"
NORMAL = "127.0.0.7"


class AppendingProxy:
    """``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for``: the client's
    own X-Forwarded-For with the client's address appended; every other header (a
    client's ``Forwarded``, ``X-Forwarded-Host``) passed on as sent. One request per
    connection; connects to the server from ``PROXY_ADDRESS``."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, (client_ip, _) = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._forward, args=(conn, client_ip), daemon=True).start()

    def _forward(self, conn: socket.socket, client_ip: str) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            lines = head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
            sent_xff = [
                v
                for n, v in (line.split(b":", 1) for line in lines[1:])
                if n.strip().lower() == b"x-forwarded-for"
            ]
            kept = [line for line in lines[1:] if not line.lower().startswith(b"x-forwarded-for:")]
            xff = b", ".join([*(v.strip() for v in sent_xff), client_ip.encode()])
            request = b"\r\n".join([lines[0], *kept, b"X-Forwarded-For: " + xff, b"", b""])
            upstream = socket.create_connection(
                self.upstream, timeout=10, source_address=(PROXY_ADDRESS, 0)
            )
            with upstream:
                upstream.sendall(request)
                conn.sendall(support.read_until_closed(upstream))

    def close(self) -> None:
        self.listener.close()


@pytest.fixture(scope="module")
def server():
    options = ("--settings", "boltproj.settings_request", "--forwarded-allow-ips", PROXY_ADDRESS)
    with support.serve_django(support.BOLT_PROJECT_DIR, *options) as server:
        yield server


@pytest.fixture(scope="module")
def proxy(server):
    proxy = AppendingProxy(server.address)
    yield proxy
    proxy.close()


def exchange(
    address: tuple[str, int], target: str, headers: dict[str, str], source: str
) -> tuple[int, bytes]:
    """One HTTP/1.1 request from ``source``: its status and body."""
    head = f"GET {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(address, timeout=10, source_address=(source, 0)) as sock:
        sock.sendall(head.encode("latin-1") + b"Connection: close\r\n\r\n")
        reply = support.read_until_closed(sock)
    status_line, _, rest = reply.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def normal_request(server) -> float:
    """A normal client's request straight to the server: its time in seconds."""
    started = time.perf_counter()
    status, body = exchange(server.address, "/req/host", {"Host": "api.test"}, NORMAL)
    assert (status, body) == (200, b'{"host":"api.test"}')
    return time.perf_counter() - started


@contextlib.contextmanager
def attack(step: Callable[[], None], threads: int = 4) -> Iterator[list[int]]:
    """Run ``step`` in a loop on ``threads`` threads until the block ends; yields the
    count of steps done (checked: the attack really ran)."""
    stop = threading.Event()
    done = [0]
    errors: list[BaseException] = []

    def loop() -> None:
        while not stop.is_set():
            try:
                step()
            except BaseException as exc:  # reported after the block
                errors.append(exc)
                return
            done[0] += 1

    workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield done
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)
    assert not errors, errors[0]
    assert done[0] > 0


@pytest.fixture(scope="module")
def baseline(server) -> float:
    """A normal client's usual time, with nothing else going on."""
    return statistics.median(normal_request(server) for _ in range(20))


def assert_normal_client_unaffected(server, attacking: list[int], baseline: float) -> None:
    """A normal client's requests during the attack take about what they take alone."""
    assert support.wait_for(lambda: attacking[0] > 0), "the attack is under way"
    during = sorted(normal_request(server) for _ in range(10))
    done = attacking[0]
    assert support.wait_for(lambda: attacking[0] > done), "the attack is still running"
    # Generous: the attackers share this process (and its GIL) with the normal client.
    assert statistics.median(during) < max(20 * baseline, 0.5), (baseline, during)


def test_a_spoofed_forwarded_header_does_not_escape_the_rate_limit(server, proxy, baseline):
    """nginx passes a client's own ``Forwarded`` through. Were it believed, each request
    with a new ``for=`` would get a fresh rate-limit bucket."""
    counter = iter(range(10**9))

    def spoofed() -> dict[str, str]:
        n = next(counter)
        return {
            "Host": "api.test",
            "Forwarded": f"for=198.51.{n // 250 % 250}.{n % 250};host=evil.example",
            "X-Forwarded-For": f"203.0.113.{n % 250}",  # the proxy appends the real one
        }

    statuses = [
        exchange(("127.0.0.1", proxy.port), "/req/limited", spoofed(), ATTACKER)[0]
        for _ in range(4)
    ]
    assert statuses == [200, 200, 429, 429]
    status, body = exchange(("127.0.0.1", proxy.port), "/req/limited", spoofed(), ATTACKER)
    assert status == 429 and b"Rate limit exceeded" in body

    def flood() -> None:
        status, _ = exchange(("127.0.0.1", proxy.port), "/req/limited", spoofed(), ATTACKER)
        assert status == 429

    with attack(flood) as attacking:
        # A normal client behind the same proxy has its own bucket.
        status, _ = exchange(
            ("127.0.0.1", proxy.port), "/req/limited", {"Host": "api.test"}, NORMAL
        )
        assert status == 200
        assert_normal_client_unaffected(server, attacking, baseline)


def test_a_spoofed_forwarded_host_is_not_the_host(server, proxy):
    headers = {
        "Host": "api.test",
        "Forwarded": "host=evil.example",
        "X-Forwarded-Host": "evil.example",
    }
    assert exchange(("127.0.0.1", proxy.port), "/req/host", headers, ATTACKER) == (
        200,
        b'{"host":"api.test"}',
    )


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/req/host", {"Host": "evil.example"}),
        ("http://evil.example/req/host", {"Host": "api.test"}),
        ("/req/host", {"Host": "api.test@evil.example"}),
        ("/req/host", {"Host": "evil.example:80\tx"}),
    ],
    ids=["host", "absolute-form", "userinfo", "malformed"],
)
def test_an_evil_host_is_refused(server, target, headers, baseline):
    status, body = exchange(server.address, target, headers, ATTACKER)
    assert status == 400
    assert b"is not allowed" in body or b"is not a valid host name" in body

    def flood() -> None:
        assert exchange(server.address, target, headers, ATTACKER)[0] == 400

    logged_before = server.stderr().count("Invalid HTTP_HOST header")
    started = time.monotonic()
    with attack(flood) as attacking:
        assert_normal_client_unaffected(server, attacking, baseline)
    seconds = time.monotonic() - started
    # Logged as Django logs a DisallowedHost (Django's own quotes with ').
    assert support.wait_for(lambda: 'Invalid HTTP_HOST header: "' in server.stderr())
    # ...but a flood of bad hosts is not a flood of log lines: one a second at most.
    time.sleep(0.5)
    logged = server.stderr().count("Invalid HTTP_HOST header") - logged_before
    assert logged <= seconds + 2 < attacking[0], (logged, attacking[0], seconds)


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/req/decimal/1e1000000000000000000", {}),
        ("/req/decimal/1?q=1e-1000000000000000000", {}),
        ("/req/decimal/1", {"X-Amount": "9" * 5000}),
        ("/req/decimal/1", {"Cookie": "amount=1E+99999999999999999999999999999"}),
        ("/req/numbers?i=" + "9" * 5000, {}),
        ("/req/numbers?f=1e99999", {}),
    ],
    ids=["path", "query", "header-digits", "cookie", "int", "float"],
)
def test_numbers_no_type_holds_are_422(server, target, headers, baseline):
    sent = {"Host": "api.test", **headers}
    status, body = exchange(server.address, target, sent, ATTACKER)
    assert status == 422, body
    assert b'"type":"value_error"' in body
    assert len(body) < 500, "the value is not echoed whole"

    def flood() -> None:
        assert exchange(server.address, target, sent, ATTACKER)[0] == 422

    with attack(flood) as attacking:
        assert_normal_client_unaffected(server, attacking, baseline)
    # Refused in Rust: no handler ran and failed on it.
    assert "Internal Server Error" not in server.stderr()
    assert "Traceback" not in server.stderr()


def test_duplicate_and_quoted_cookies_read_as_django_reads_them(server):
    """A second cookie of the same name (set from a sibling subdomain, "cookie
    tossing") is what Django reads: the last. Bolt's ``Cookie()``, ``request.cookies``
    and Django agree on it, quotes and escapes undone."""
    from django.http.cookie import parse_cookie

    sent = r'theme=dark; other="a\"b"; theme="\154ight"'
    status, body = exchange(
        server.address, "/req/cookies", {"Host": "api.test", "Cookie": sent}, ATTACKER
    )
    assert status == 200
    assert json.loads(body) == {"cookies": parse_cookie(sent), "theme": "light"}


def test_a_cookie_bomb_is_read_in_linear_time(server, baseline):
    """Thousands of distinct cookie names in one header: read with a hash, not by
    comparing each name with all those before."""
    bomb = "; ".join(f"c{n}=v" for n in range(5000)) + "; theme=last"
    headers = {"Host": "api.test", "Cookie": bomb}
    started = time.perf_counter()
    status, body = exchange(server.address, "/req/cookies", headers, ATTACKER)
    assert status == 200 and body.endswith(b'"theme":"last"}')
    assert time.perf_counter() - started < 2.0

    def flood() -> None:
        assert exchange(server.address, "/req/cookies", headers, ATTACKER)[0] == 200

    with attack(flood, threads=2) as attacking:
        assert_normal_client_unaffected(server, attacking, baseline)
