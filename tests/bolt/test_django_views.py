"""Django views under `runbolt`: Django's request handling runs on worker threads, one
hop per request, while async views stay on the server's event loop."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import support

PROJECT = Path(__file__).resolve().parent / "project"


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT, "--django-threads", "3") as server:
        yield server


@pytest.fixture(params=support.PROTOCOLS)
def client(request, server):
    with support.make_client(server.base_url, request.param) as client:
        yield client


def test_sync_views_run_on_django_worker_threads(client):
    response = client.get("/django/thread")
    assert response.status_code == 200
    assert response.json()["thread"].startswith("django_")


def test_async_views_run_on_the_event_loop(client):
    response = client.get("/django/async-thread")
    assert response.status_code == 200
    assert response.json() == {"thread": "MainThread"}


def test_async_to_sync_in_a_sync_view_runs_on_the_event_loop(client):
    response = client.get("/django/bridged-thread")
    assert response.status_code == 200
    assert response.json()["view"].startswith("django_")
    assert response.json()["coroutine"] == "MainThread"


def test_a_stream_the_client_leaves_is_closed(server):
    """Django's `request_finished` (which closes database connections) still runs when
    the client goes away in the middle of a streamed body."""
    with support.make_client(server.base_url, "http1") as client:
        before = client.get("/django/finished").json()["count"]
        with client.stream("GET", "/django/endless") as response:
            assert next(response.iter_lines()) == "tick"
        deadline = time.monotonic() + 5
        # `before` + 1 for the stream; the poll itself adds one per request.
        while (count := client.get("/django/finished").json()["count"]) < before + 2:
            assert time.monotonic() < deadline, f"finished {count}, before {before}"
            time.sleep(0.05)


def test_streaming_response_with_cookies(client):
    response = client.get("/django/stream")
    assert response.status_code == 200
    assert response.text == "part 0\npart 1\npart 2\n"
    assert "content-length" not in response.headers
    assert response.cookies["streamed"] == "yes"


def test_blocking_views_overlap_up_to_the_thread_count(server):
    def fetch(_: int) -> str:
        with support.make_client(server.base_url, "http1") as client:
            return client.get("/django/thread", params={"sleep": 0.5}).json()["thread"]

    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        threads = list(pool.map(fetch, range(3)))
    assert time.monotonic() - started < 1.2, "three 0.5 s views on three threads took too long"
    assert len(set(threads)) == 3
