"""The access log and request ids over real sockets: real runbolt / django-bolt serve
processes, one line per answered request (Bolt routes, Django views, static files,
health, the refusals Rust and hyper make), text and JSON, every protocol, the client
after trusted proxy headers, --log-config, X-Request-ID, and no secret in any line."""

from __future__ import annotations

import json
import re
import sys
import uuid
from pathlib import Path

import pytest
import support

TESTS = Path(__file__).resolve().parent.parent
PROJECT = support.BOLT_PROJECT_DIR
sys.path[:0] = [str(TESTS / "transport"), str(TESTS / "asgi_conformance")]

import certs as test_certs  # noqa: E402

#: `client "METHOD target PROTOCOL" status bytes duration request-id` after the time.
TEXT_LINE = re.compile(
    r'^(?P<time>\S+Z) (?P<client>\S+) "(?P<method>\S+) (?P<target>\S+) (?P<protocol>\S+)" '
    r"(?P<status>\d{3}) (?P<bytes>\d+) (?P<duration>[\d.]+)ms (?P<request_id>\S+)$"
)


def text_lines(server) -> list[dict]:
    return [m.groupdict() for m in map(TEXT_LINE.match, server.stderr().splitlines()) if m]


def json_lines(server) -> list[dict]:
    lines = []
    for line in server.stderr().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("logger") == "django_bolt.access":
                lines.append(record)
    return lines


def the_line(read, server, **fields) -> dict:
    """The one access line whose fields match, waiting for the writer thread."""

    def found():
        matching = [r for r in read(server) if all(r[k] == v for k, v in fields.items())]
        return matching if matching else None

    matching = support.wait_for(found, timeout=5)
    assert matching, f"no access line with {fields}:\n{server.stderr()}"
    assert len(matching) == 1, matching
    return matching[0]


def runbolt(*options: str, settings: str = "boltproj.settings", **env: str):
    port = support.free_port()
    command = [sys.executable, "manage.py", "runbolt", "--host", support.HOST]
    command += ["--port", str(port), *options]
    env = support.subprocess_env((), DJANGO_SETTINGS_MODULE=settings, **env)
    return support.start_server(command, port=port, cwd=PROJECT, env=env)


def raw(server, payload: bytes) -> bytes:
    return support.raw_exchange(server.address, payload)


@pytest.fixture(scope="module")
def text_server(tmp_path_factory):
    static = tmp_path_factory.mktemp("static")
    (static / "site.css").write_bytes(b"body { color: red }\n")
    sources = tmp_path_factory.mktemp("static-sources")
    (sources / "vendor").mkdir()
    server = runbolt(
        "--access-log",
        "--max-body-size",
        "64",
        "--max-header-size",
        "4096",
        "--body-timeout",
        "0.3",
        settings="boltproj.settings_static",
        BOLT_TEST_STATIC_ROOT=str(static),
        BOLT_TEST_STATICFILES_DIR=str(sources),
    )
    with support.running(server):
        yield server


@pytest.mark.parametrize(
    "method, target, status",
    [
        ("GET", "/api/items/7?q=one", 200),  # a Bolt route
        ("GET", "/django/hello", 200),  # a Django view
        ("GET", "/static/site.css", 200),  # a static file
        ("GET", "/health", 200),  # the health check
        ("GET", "/no/such/page", 404),  # Django's 404
        ("DELETE", "/api/items/7", 405),  # refused by Rust
        ("GET", "/api/items/seven", 422),
        ("GET", "/authn/me", 401),
        ("POST", "/api/items", 413),
    ],
)
def test_one_text_line_per_request(text_server, method, target, status):
    rid = f"t-{uuid.uuid4().hex}"
    body = b"x" * 100 if method == "POST" else None
    with support.make_client(text_server.base_url, "http1") as client:
        response = client.request(method, target, content=body, headers={"x-request-id": rid})
    assert response.status_code == status
    line = the_line(text_lines, text_server, request_id=rid)
    assert line["method"] == method
    assert line["target"] == target
    assert line["status"] == str(status)
    assert line["protocol"] == "HTTP/1.1"
    assert line["client"] == "127.0.0.1"
    assert int(line["bytes"]) == len(response.content)
    assert float(line["duration"]) >= 0


def test_a_malformed_request_rust_refuses_is_logged(text_server):
    answer = raw(text_server, b"GET /no-host-here HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    line = the_line(text_lines, text_server, target="/no-host-here")
    assert line["status"] == "400"


def test_a_head_hyper_refuses_is_logged_without_a_method(text_server):
    huge = b"GET /huge HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    assert raw(text_server, huge).startswith(b"HTTP/1.1 431")
    line = the_line(text_lines, text_server, status="431")
    assert (line["method"], line["target"], line["request_id"]) == ("-", "-", "-")


def test_a_head_past_the_limit_is_431_even_in_one_read(text_server):
    """--max-header-size 4096 holds exactly: a 6 KB head sent in one write fits the
    8 KiB read buffer hyper starts with, and is refused all the same."""
    head = b"GET /api/items/7 HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 6000 + b"\r\n\r\n"
    assert raw(text_server, head).startswith(b"HTTP/1.1 431")
    small = b"GET /api/items/7 HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 3000 + b"\r\n"
    assert raw(text_server, small + b"Connection: close\r\n\r\n").startswith(b"HTTP/1.1 200")


def test_a_body_too_slow_is_logged_408(text_server):
    rid = f"slow-{uuid.uuid4().hex}"
    head = f"POST /api/items HTTP/1.1\r\nHost: x\r\nX-Request-ID: {rid}\r\n"
    head += "Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{"
    assert raw(text_server, head.encode()).startswith(b"HTTP/1.1 408")
    assert the_line(text_lines, text_server, request_id=rid)["status"] == "408"


def test_a_websocket_handshake_is_logged(text_server):
    rid = f"ws-{uuid.uuid4().hex}"
    handshake = (
        f"GET /django/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"X-Request-ID: {rid}\r\n\r\n"
    )
    with support.connect(text_server.address) as sock:
        sock.sendall(handshake.encode())
        status = int(sock.recv(4096).split(b" ", 2)[1])
    line = the_line(text_lines, text_server, request_id=rid)
    assert (line["method"], line["target"], line["status"]) == ("GET", "/django/ws", str(status))


def test_secrets_are_never_logged(text_server):
    rid = f"s-{uuid.uuid4().hex}"
    secrets = ["BEARERSECRET", "COOKIESECRET", "APIKEYSECRET", "QUERYTOKEN", "QUERYAPIKEY"]
    with support.make_client(text_server.base_url, "http1") as client:
        client.get(
            "/api/items/1?token=QUERYTOKEN&api_key=QUERYAPIKEY&page=2",
            headers={
                "authorization": "Bearer BEARERSECRET",
                "cookie": "sessionid=COOKIESECRET",
                "x-api-key": "APIKEYSECRET",
                "x-request-id": rid,
            },
        )
    line = the_line(text_lines, text_server, request_id=rid)
    assert line["target"] == "/api/items/1?token=[redacted]&api_key=[redacted]&page=2"
    output = text_server.stderr()
    for secret in secrets:
        assert secret not in output


@pytest.fixture(scope="module")
def json_server():
    server = runbolt("--access-log", "--access-log-format", "json", "--forwarded-allow-ips", "*")
    with support.running(server):
        yield server


@pytest.mark.parametrize("protocol, named", [("http1", "HTTP/1.1"), ("http2", "HTTP/2")])
def test_json_lines_name_the_protocol_and_the_proxied_client(json_server, protocol, named):
    rid = f"j-{uuid.uuid4().hex}"
    headers = {"x-request-id": rid, "x-forwarded-for": "203.0.113.9"}
    with support.make_client(json_server.base_url, protocol) as client:
        response = client.get("/api/items/3?page=2", headers=headers)
    assert response.status_code == 200
    record = the_line(json_lines, json_server, request_id=rid)
    assert record["method"] == "GET"
    assert record["path"] == "/api/items/3"
    assert record["query"] == "page=2"
    assert record["status"] == 200
    assert record["bytes"] == len(response.content)
    assert record["protocol"] == named
    assert record["client"] == "203.0.113.9"
    assert record["level"] == "INFO"
    assert record["duration_ms"] >= 0
    assert record["time"].endswith("Z")


def test_http3_requests_are_logged(tmp_path):
    h3sync = pytest.importorskip("h3sync")
    certs = test_certs.make(tmp_path)
    server = runbolt(
        "--access-log",
        "--access-log-format",
        "json",
        "--no-asgi",
        "--http3",
        "--cert",
        str(certs.cert),
        "--key",
        str(certs.key),
    )
    server.ca = certs.ca
    rid = f"h3-{uuid.uuid4().hex}"
    with support.running(server), h3sync.H3SyncClient(server.port, server.ca) as client:
        response = client.get("/api/items/9", headers={"x-request-id": rid})
        assert response.http_version == "HTTP/3"
        record = the_line(json_lines, server, request_id=rid)
    assert (record["protocol"], record["status"], record["path"]) == ("HTTP/3", 200, "/api/items/9")


def test_off_by_default_writes_no_line():
    server = runbolt()
    with support.running(server):
        with support.make_client(server.base_url, "http1") as client:
            assert client.get("/api/items/1").status_code == 200
            assert client.get("/nowhere").status_code == 404
            # Request ids stay on when the access log is off.
            assert client.get("/api/items/1").headers["x-request-id"]
    assert not text_lines(server) and not json_lines(server)
    assert '"GET /api/items/1' not in server.stderr()


def test_no_access_log_and_a_higher_log_level_silence_it():
    for flags in (["--access-log", "--no-access-log"], ["--access-log", "--log-level", "warning"]):
        server = runbolt(*flags)
        with support.running(server):
            with support.make_client(server.base_url, "http1") as client:
                assert client.get("/api/items/1").status_code == 200
        assert not text_lines(server), flags


def test_log_config_routes_access_lines_to_the_projects_handler(tmp_path):
    log_file = tmp_path / "access.log"
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "access": {"format": "%(client)s|%(method)s|%(path)s|%(status)s|%(request_id)s"}
        },
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "filename": str(log_file),
                "formatter": "access",
            }
        },
        "loggers": {
            "django_bolt.access": {"handlers": ["file"], "level": "INFO", "propagate": False}
        },
    }
    config_file = tmp_path / "logging.json"
    config_file.write_text(json.dumps(config))
    server = runbolt("--access-log", "--log-config", str(config_file))
    with support.running(server):
        with support.make_client(server.base_url, "http1") as client:
            client.get("/api/items/4?token=hidden", headers={"x-request-id": "cfg-1"})
            client.get("/django/hello", headers={"x-request-id": "cfg-2"})

        def written():
            text = log_file.read_text() if log_file.exists() else ""
            return text if text.count("\n") >= 2 else None

        text = support.wait_for(written, timeout=5)
    assert text.splitlines() == [
        "127.0.0.1|GET|/api/items/4|200|cfg-1",
        "127.0.0.1|GET|/django/hello|200|cfg-2",
    ]
    assert not text_lines(server)  # not on stderr as well


def test_log_config_that_does_not_exist_is_a_one_line_error(tmp_path):
    result = support.run_cli(["serve", "apps:main", "--log-config", str(tmp_path / "missing.json")])
    assert result.returncode == 1
    assert result.stderr.strip().endswith("no such file: " + str(tmp_path / "missing.json"))


def test_django_bolt_serve_logs_with_access_log(tmp_path):
    with support.serve_asgi("apps:main", "--access-log") as server:
        with support.make_client(server.base_url, "http1") as client:
            client.get("/anything", headers={"x-request-id": "serve-1"})
        assert the_line(text_lines, server, request_id="serve-1")["target"] == "/anything"


# ---- request ids --------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain_server():
    server = runbolt()
    with support.running(server):
        yield server


def test_a_sane_request_id_is_kept_and_returned(plain_server):
    with support.make_client(plain_server.base_url, "http1") as client:
        bolt = client.get("/api/request-id", headers={"x-request-id": "abc-123"})
        django = client.get("/django/request-id", headers={"x-request-id": "abc-456"})
    assert bolt.headers["x-request-id"] == "abc-123"
    assert bolt.json() == {"request_id": "abc-123"}
    assert django.headers["x-request-id"] == "abc-456"
    assert django.json() == {"request_id": "abc-456"}


@pytest.mark.parametrize("given", [None, "has space", "x" * 201])
def test_a_missing_or_odd_request_id_is_made_and_seen_by_handlers(plain_server, given):
    headers = {"x-request-id": given} if given else {}
    with support.make_client(plain_server.base_url, "http1") as client:
        bolt = client.get("/api/request-id", headers=headers)
        django = client.get("/django/request-id", headers=headers)
    for response in (bolt, django):
        made = response.headers["x-request-id"]
        assert str(uuid.UUID(made)) == made
        assert response.json() == {"request_id": made}
    assert bolt.headers["x-request-id"] != django.headers["x-request-id"]


def test_rust_error_bodies_carry_the_request_id_when_logged(json_server, plain_server):
    with support.make_client(json_server.base_url, "http2") as client:
        refused = client.delete("/api/items/1", headers={"x-request-id": "err-1"})
        invalid = client.get("/api/items/x")
    assert refused.json() == {"detail": "Method Not Allowed", "request_id": "err-1"}
    assert invalid.status_code == 422
    assert invalid.json()["request_id"] == invalid.headers["x-request-id"]
    # Without an access log to match it with, the id is in the header only.
    with support.make_client(plain_server.base_url, "http1") as client:
        unlogged = client.delete("/api/items/1", headers={"x-request-id": "err-2"})
    assert unlogged.json() == {"detail": "Method Not Allowed"}
    assert unlogged.headers["x-request-id"] == "err-2"


def test_no_request_id_turns_it_off():
    server = runbolt("--no-request-id")
    with support.running(server):
        with support.make_client(server.base_url, "http1") as client:
            response = client.delete("/api/items/1")
    assert "x-request-id" not in response.headers
    assert response.json() == {"detail": "Method Not Allowed"}
