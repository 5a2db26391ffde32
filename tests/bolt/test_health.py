"""``/health`` (answered by Rust, without Python) and ``/ready`` (the databases answer)
over a real runbolt; their paths, turning them off, and project routes at their paths.
The database going down and back is in test_database.py (PostgreSQL)."""

from __future__ import annotations

import contextlib
import threading
import time

import httpx
import pytest
import support


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    return support.migrated_database(tmp_path_factory.mktemp("db"))


@contextlib.contextmanager
def served(database, *options: str, settings: str = "boltproj.settings"):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        env.setenv("DJANGO_SETTINGS_MODULE", settings)
        with support.serve_django(support.BOLT_PROJECT_DIR, *options) as server:
            with httpx.Client(base_url=server.base_url, timeout=10) as client:
                yield server, client


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_health_and_ready_by_default(database, protocol):
    with served(database) as (server, _):
        with support.make_client(server.base_url, protocol) as client:
            health = client.get("/health")
            assert health.status_code == 200
            assert health.json() == {"status": "ok"}
            assert health.headers["content-type"] == "application/json"
            assert health.headers["cache-control"] == "no-store"
            head = client.head("/health")
            assert head.status_code == 200 and head.content == b""
            ready = client.get("/ready")
            assert ready.status_code == 200
            assert ready.json() == {"status": "ok", "databases": {"default": "ok"}}


def test_health_answers_while_python_is_held_up(database):
    """A handler that blocks the event loop holds every Python route; /health is
    answered by Rust all the same (any Host: a probe sends the pod's address)."""
    with served(database, settings="boltproj.settings_ws") as (server, client):
        blocker = threading.Thread(
            target=lambda: httpx.get(f"{server.base_url}/api/blocking?seconds=2", timeout=10)
        )
        blocker.start()
        try:
            time.sleep(0.3)  # the blocking handler holds the loop now
            started = time.monotonic()
            health = client.get("/health", headers={"host": "10.1.2.3:8000"})
            elapsed = time.monotonic() - started
            assert health.status_code == 200
            assert elapsed < 1.0, f"/health waited {elapsed:.2f} s for Python"
        finally:
            blocker.join()


def test_paths_are_configurable_and_can_be_turned_off(database):
    with served(database, "--health-path", "/livez", "--ready-path", "/readyz") as (_, client):
        assert client.get("/livez").json() == {"status": "ok"}
        assert client.get("/readyz").json()["status"] == "ok"
        assert client.get("/health").status_code == 404
        assert client.get("/ready").status_code == 404
    with served(database, "--health-path", "", "--ready-path", "") as (_, client):
        assert client.get("/health").status_code == 404
        assert client.get("/ready").status_code == 404


def test_a_project_route_at_the_path_wins(database):
    options = ("--health-path", "/api/counted/calls", "--ready-path", "/api/sync")
    with served(database, *options) as (server, client):
        assert client.get("/api/counted/calls").json() == {"calls": 0}
        assert client.get("/api/sync").json() == {"sync": True}
        out = server.stdout()
    assert "answers /api/counted/calls, not the health check" in out
    assert "answers /api/sync, not the readiness check" in out


def test_a_django_view_at_the_path_wins(database):
    options = ("--health-path", "/django/hello", "--ready-path", "/django/thread")
    with served(database, *options) as (server, client):
        assert client.get("/django/hello").json() == {"from": "django"}
        assert "thread" in client.get("/django/thread").json()
        out = server.stdout()
    assert "boltproj.urls.hello answers /django/hello, not the health check" in out
    assert "boltproj.urls.thread answers /django/thread, not the readiness check" in out


def test_django_bolt_serve_answers_health_only_when_asked():
    """An arbitrary ASGI app's routes are unknown: its /health stays its own unless
    --health-path is given."""
    target = "apps:scope_echo"
    with support.serve_asgi(target) as server:
        assert httpx.get(f"{server.base_url}/health").json()["path"] == "/health"
    with support.serve_asgi(target, "--health-path", "/livez") as server:
        assert httpx.get(f"{server.base_url}/livez").json() == {"status": "ok"}


def test_a_bad_path_stops_start_up_with_a_clear_error(database):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        with pytest.raises(AssertionError, match="must start with '/'"):
            with support.serve_django(support.BOLT_PROJECT_DIR, "--ready-path", "ready"):
                pass


def test_not_in_the_openapi_document(database):
    with served(database, settings="boltproj.settings_docs") as (_, client):
        assert client.get("/ready").status_code == 200
        paths = client.get("/docs/openapi.json").json()["paths"]
        assert "/api/sync" in paths
        assert "/ready" not in paths and "/health" not in paths
