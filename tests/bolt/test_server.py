"""Bolt routes through a real `manage.py runbolt` process, over real sockets."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import support
from websockets.sync.client import connect

PROJECT = Path(__file__).resolve().parent / "project"


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT, "--max-body-size", "4096", "--workers", "2") as server:
        yield server


@pytest.fixture(params=support.PROTOCOLS)
def client(request, server):
    with support.make_client(server.base_url, request.param) as client:
        yield client


def test_typed_params(client):
    response = client.get("/api/items/42", params={"q": "x", "page": "3"})
    assert response.status_code == 200
    assert response.json() == {"id": 42, "q": "x", "page": 3}
    assert response.headers["content-type"] == "application/json"


def test_bad_params_are_422_from_rust(client):
    response = client.get("/api/items/nope", params={"page": "two"})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["path", "item_id"], ["query", "page"]]


def test_json_body(client):
    response = client.post("/api/items", json={"name": "Widget", "price": 9.99})
    assert response.status_code == 201
    assert response.json() == {"name": "Widget", "price": 9.99}


def test_invalid_json_is_422(client):
    response = client.post(
        "/api/items", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    not_an_object = client.post("/api/items", json=["Widget", 9.99])
    assert not_an_object.status_code == 422
    assert not_an_object.json()["detail"] == [
        {"loc": ["body"], "msg": "Expected `object`, got `array`", "type": "validation_error"}
    ]


def test_chunked_request_body(client):
    def chunks():
        yield b'{"name": "'
        yield b"x" * 1000
        yield b'", "price": 1}'

    response = client.post("/api/echo-size", content=chunks())
    assert response.status_code == 200
    assert response.json() == {"name_length": 1000}


def test_body_over_the_limit_is_413(client):
    response = client.post("/api/items", json={"name": "x" * 10_000, "price": 1})
    assert response.status_code == 413
    assert "4096" in response.json()["detail"]


def test_streamed_body_over_the_limit_is_413(client):
    def chunks():
        for _ in range(10):
            yield b"x" * 1000

    response = client.post("/api/items", content=chunks())
    assert response.status_code == 413


def test_404_for_unknown_paths_goes_to_django(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]  # Django's page, not Rust's


def test_404_under_a_bolt_prefix_is_rusts(client):
    # No pattern of the project's URLconf lies under /api: Bolt owns it (not_found.py).
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_405_lists_allowed_methods(client):
    response = client.delete("/api/items/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_http_exception_and_crash(client):
    assert client.get("/api/missing").json() == {"detail": "Item not found"}
    response = client.get("/api/crash")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}  # DEBUG is off
    assert client.get("/api/items/1").status_code == 200


def test_bolt_and_django_on_one_port(client):
    assert client.get("/django/hello").json() == {"from": "django"}
    response = client.post("/django/echo", content=b"abc" * 1000)
    assert response.content == b"abc" * 1000
    assert client.get("/api/items/1").json()["id"] == 1


def test_sync_and_async_handlers_do_not_block_each_other(server):
    # Five sync handlers sleeping 1 s run in the thread pool, not on the loop.
    with ThreadPoolExecutor(8) as pool:
        started = time.monotonic()
        futures = [
            pool.submit(httpx.get, f"{server.base_url}/api/sync?seconds=1") for _ in range(5)
        ]
        quick = httpx.get(f"{server.base_url}/api/items/1")
        quick_elapsed = time.monotonic() - started
        assert all(f.result().json() == {"sync": True} for f in futures)
    assert quick.status_code == 200
    assert quick_elapsed < 0.8


def test_many_concurrent_requests(server):
    def fetch(i: int) -> int:
        return httpx.get(f"{server.base_url}/api/items/{i}").json()["id"]

    with ThreadPoolExecutor(32) as pool:
        assert list(pool.map(fetch, range(300))) == list(range(300))


def test_pipelined_requests_are_answered_in_order(server):
    request = b"GET /api/items/%d HTTP/1.1\r\nHost: x\r\n\r\n"
    with support.connect(server.address) as sock:
        sock.sendall(b"".join(request % i for i in range(5)))
        reader = support.Http1Reader(sock)
        bodies = [reader.response()[2] for _ in range(5)]
    assert [httpx.Response(200, content=body).json()["id"] for body in bodies] == list(range(5))


def test_malformed_requests_do_not_hurt_the_server(server):
    for garbage in (
        b"\x16\x03\x01\x00\x00\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /\x00 HTTP/1.1\r\n\r\n",
    ):
        response = support.raw_exchange(server.address, garbage)
        assert response == b"" or response.startswith(b"HTTP/1.1 400"), response[:80]
    assert httpx.get(f"{server.base_url}/api/items/1").status_code == 200


def test_oversized_header_is_431(server):
    response = httpx.get(f"{server.base_url}/api/items/1", headers={"x-big": "a" * 70_000})
    assert response.status_code == 431
    assert httpx.get(f"{server.base_url}/api/items/1").status_code == 200


def test_no_asgi_answers_404_in_rust():
    with support.serve_django(PROJECT, "--no-asgi") as server:
        response = httpx.get(f"{server.base_url}/django/hello")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}
        assert httpx.get(f"{server.base_url}/api/items/1").status_code == 200


def test_processes_share_the_port():
    with support.serve_django(PROJECT, "--processes", "2") as server:
        pids = set()
        deadline = time.monotonic() + 10
        while len(pids) < 2 and time.monotonic() < deadline:
            with httpx.Client() as fresh:  # a new connection each time
                pids.add(fresh.get(f"{server.base_url}/api/pid").json()["pid"])
        assert len(pids) == 2
        assert server.process.pid not in pids


def test_graceful_shutdown_finishes_in_flight_requests():
    with support.serve_django(PROJECT) as server:
        results = {}

        def slow_request():
            results["response"] = httpx.get(f"{server.base_url}/api/slow?seconds=1", timeout=10)

        thread = threading.Thread(target=slow_request)
        thread.start()
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        thread.join(10)
        assert results["response"].json() == {"slept": 1.0}
        assert server.process.wait(10) == 0
        with pytest.raises(OSError):
            socket.create_connection(server.address, timeout=1).close()


def test_requests_cut_at_the_end_of_the_grace_period_are_one_line_each():
    with support.serve_django(PROJECT, "--shutdown-grace", "0.3") as server:
        sockets = []
        for _ in range(2):
            sock = support.connect(server.address)
            sock.sendall(b"GET /api/slow?seconds=30 HTTP/1.1\r\nHost: x\r\n\r\n")
            sockets.append(sock)
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(10) == 0
        for sock in sockets:
            sock.close()
        stderr = server.stderr()
    line = "request GET /api/slow cancelled at shutdown after 0.3 s grace"
    assert stderr.count(line) == 2, stderr
    assert "CancelledError" not in stderr and "Traceback" not in stderr


def test_a_handler_blocking_the_event_loop_is_named():
    with support.serve_django(PROJECT, "--slow-callback-warning", "0.2") as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            assert client.get("/api/slow", params={"seconds": 0.3}).status_code == 200
            assert client.get("/api/blocking", params={"seconds": 0.3}).status_code == 200
            after_await = {"seconds": 0.3, "after_await": "true"}
            assert client.get("/api/blocking", params=after_await).status_code == 200
            quick = {"seconds": 0.01}
            assert client.get("/api/blocking", params=quick).status_code == 200
    lines = [line for line in server.stderr().splitlines() if "blocked the event loop" in line]
    assert len(lines) == 2, lines
    for line in lines:
        assert "WARNING django_bolt: GET /api/blocking blocked the event loop for 0.3" in line


def _runbolt(*args: str, settings: str = "boltproj.settings") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "runbolt", *args],
        cwd=PROJECT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_duplicate_routes_stop_startup_naming_both_handlers():
    result = _runbolt("--port", str(support.free_port()), settings="boltproj.settings_dupes")
    assert result.returncode == 1
    assert "duplicate route GET /api/pid" in result.stderr
    assert "boltproj.api.pid" in result.stderr and "dupapp.api.another_pid" in result.stderr


def test_bad_asgi_target_and_busy_port_are_one_line_errors():
    result = _runbolt("--asgi", "nowhere.module:app", "--port", str(support.free_port()))
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "CommandError: cannot import 'nowhere.module': no module named 'nowhere'"
    )
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        result = _runbolt("--port", str(holder.getsockname()[1]))
    assert result.returncode == 1
    assert result.stderr.strip().endswith("is already in use")
    result = _runbolt("--django-threads", "0", "--port", str(support.free_port()))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "manage.py runbolt: error: argument --django-threads: must be from 1 to 1024, not 0"
    )


def test_example_project_reads_and_writes_sqlite_through_the_async_orm(django_server):
    base = django_server.base_url
    created = httpx.post(f"{base}/items/", json={"name": "Lamp", "price": 12.5})
    assert created.status_code == 201
    item = created.json()
    assert item["name"] == "Lamp"
    assert httpx.get(f"{base}/items/{item['id']}").json() == item
    assert item in httpx.get(f"{base}/items/").json()
    assert httpx.delete(f"{base}/items/{item['id']}").json() == {"deleted": item["id"]}
    assert httpx.get(f"{base}/items/{item['id']}").status_code == 404
    assert httpx.get(f"{base}/health").json() == {"status": "ok"}
    assert httpx.get(f"{base}/admin/login/").status_code == 200


def test_example_project_streams_events_takes_uploads_and_echoes(django_server):
    base = django_server.base_url
    events = httpx.get(f"{base}/events", params={"count": 2})
    assert events.headers["content-type"].startswith("text/event-stream")
    assert events.text.count("data:") == 2
    upload = httpx.post(f"{base}/upload", files={"file": ("a.txt", b"hello")})
    assert upload.json() == {"filename": "a.txt", "size": 5}
    with connect(base.replace("http://", "ws://") + "/ws/echo") as websocket:
        websocket.send("ping")
        assert websocket.recv(timeout=5) == "ping"


def test_dev_mode_reloads_on_change_and_shows_tracebacks(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    port = support.free_port()
    log = tmp_path / "stderr.log"
    stderr = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runbolt", "--dev", "--port", str(port)],
        cwd=project,
        env=support.subprocess_env(()),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,  # the reloader runs the server in a child process
    )
    base = f"http://127.0.0.1:{port}"
    try:
        support.wait_for(lambda: _answers(f"{base}/api/items/1"), timeout=20)
        crash = httpx.get(f"{base}/api/crash")
        assert crash.status_code == 500
        assert any("handler exploded" in line for line in crash.json()["traceback"])
        # --dev names a handler that holds the event loop for 0.1 s or more.
        assert httpx.get(f"{base}/api/blocking", params={"seconds": 0.15}).status_code == 200
        assert support.wait_for(
            lambda: "GET /api/blocking blocked the event loop for 0.1" in log.read_text()
        )

        api = project / "boltproj" / "api.py"
        api.write_text(
            api.read_text()
            + '\n\n@api.get("/added")\nasync def added():\n    return {"added": True}\n'
        )
        # Django's reloader only sees changes after its first look at the file, which
        # may come after the server answers: touch the file again while the old server
        # still answers 404, never while a new one starts (that would restart it again).
        deadline = time.monotonic() + 60
        touched = time.monotonic()
        while (status := _status(f"{base}/api/added")) != 200:
            assert time.monotonic() < deadline, f"no reload; last status {status}"
            if status == 404 and time.monotonic() - touched > 3:
                os.utime(api)
                touched = time.monotonic()
            time.sleep(0.25)
        assert httpx.get(f"{base}/api/added").json() == {"added": True}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
        stderr.close()


def _answers(url: str) -> bool:
    return _status(url) == 200


def _status(url: str) -> int | None:
    """The status `url` answers with, or None while nothing answers."""
    try:
        return httpx.get(url, timeout=1).status_code
    except httpx.HTTPError:
        return None


def test_sse_events_are_flushed_as_they_are_made(client):
    started = time.monotonic()
    with client.stream(
        "GET", "/api/events", params={"key": f"flush-{id(client)}", "count": 3}
    ) as response:
        assert response.headers["content-type"] == "text/event-stream"
        assert "content-length" not in response.headers
        lines = response.iter_lines()
        assert next(lines) == "id: 0"
        first_event_after = time.monotonic() - started
        rest = list(lines)
    assert first_event_after < 0.25  # not held back until the generator ends (0.9 s)
    assert "data: event-2" in rest


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_sse_client_disconnect_closes_the_generator(server, protocol):
    key = f"gone-{uuid.uuid4().hex}"
    params = {"key": key, "count": 50, "pause": 0.05}
    with support.make_client(server.base_url, protocol) as client:
        with client.stream("GET", "/api/events", params=params) as response:
            next(response.iter_lines())
    # The connection is closed; the next event fails to send and the generator is closed.

    def state():
        return httpx.get(f"{server.base_url}/api/stream-state", params={"key": key}).json()["state"]

    assert support.wait_for(lambda: state() == "closed early", timeout=5), state()
