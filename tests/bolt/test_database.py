"""Database connections of Bolt routes, under a real runbolt and a real PostgreSQL.

Django's rules (``CONN_MAX_AGE``, ``CONN_HEALTH_CHECKS``, a failed connection closed)
hold on the threads that run sync handlers and the ORM calls of async handlers; the
server survives a database restart; ``/ready`` tells whether the database answers
while ``/health`` only says the process is up.
"""

from __future__ import annotations

import contextlib
import socket
import time

import httpx
import pytest
import support

#: The application_name the project's connections give (boltproj/settings_postgres.py).
SERVER_CONNECTIONS = "bolt-server"
ROUTES = ["/db/sync", "/db/async"]


@pytest.fixture(scope="module")
def database(postgres_server):
    """The module's PostgreSQL server, with the project's tables."""
    support.manage(support.BOLT_PROJECT_DIR, "migrate", "-v", "0", env=_env(postgres_server))
    return postgres_server


def _env(postgres, max_age: float = 0, health_checks: bool = False) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "boltproj.settings_postgres",
        "BOLT_PG_PORT": str(postgres.port),
        "BOLT_CONN_MAX_AGE": str(max_age),
        "BOLT_CONN_HEALTH_CHECKS": "1" if health_checks else "0",
        # Sequential requests reuse one idle worker; two bound the threads holding one.
        "BOLT_SYNC_WORKERS": "2",
    }


@contextlib.contextmanager
def served(postgres, **settings):
    with pytest.MonkeyPatch.context() as env:
        for name, value in _env(postgres, **settings).items():
            env.setenv(name, value)
        with support.serve_django(support.BOLT_PROJECT_DIR) as server:
            with httpx.Client(base_url=server.base_url, timeout=10) as client:
                yield server, client


def _pids(client: httpx.Client, path: str, count: int) -> list[int]:
    pids = []
    for _ in range(count):
        response = client.get(path)
        assert response.status_code == 200, response.text
        pids.append(response.json()["pid"])
    return pids


def _statuses(client: httpx.Client, path: str, count: int) -> list[int]:
    return [client.get(path).status_code for _ in range(count)]


def test_conn_max_age_zero_closes_each_request_connection(database):
    with served(database, max_age=0) as (server, client):
        for path in ROUTES:
            pids = []
            for _ in range(3):
                pids.extend(_pids(client, path, 1))
                # The async route's thread closes it just after the response: wait a bit.
                assert support.wait_for(lambda: not database.backends(SERVER_CONNECTIONS)), (
                    f"{path}: connections left open with CONN_MAX_AGE=0: "
                    f"{database.backends(SERVER_CONNECTIONS)}\n{server.stderr()}"
                )
            assert len(set(pids)) == 3, f"{path}: a connection was reused: {pids}"
        # A sync handler's queryset, read on the ORM thread once the handler returned.
        for _ in range(2):
            assert client.get("/db/queryset").json() == []
            assert support.wait_for(lambda: not database.backends(SERVER_CONNECTIONS)), (
                "/db/queryset: the ORM thread kept its connection with CONN_MAX_AGE=0"
            )


def test_persistent_connections_are_reused(database):
    with served(database, max_age=60) as (server, client):
        for path in ROUTES:
            pids = _pids(client, path, 4)
            assert len(set(pids)) == 1, f"{path}: a new connection per request: {pids}"
        assert len(database.backends(SERVER_CONNECTIONS)) >= 1


def test_health_checks_hide_a_database_restart(database):
    with served(database, max_age=60, health_checks=True) as (server, client):
        before = {path: _pids(client, path, 2) for path in ROUTES}
        database.restart()
        for path in ROUTES:
            statuses = _statuses(client, path, 4)
            assert statuses == [200] * 4, (
                f"{path} after a restart: {statuses}\n{server.stderr()[-3000:]}"
            )
            assert _pids(client, path, 1)[0] not in before[path]


def test_without_health_checks_one_request_fails_after_a_restart(database):
    """Django's own behaviour: the connection that failed is closed once the request is
    over, so the thread's next request connects again."""
    with served(database, max_age=60, health_checks=False) as (server, client):
        for path in ROUTES:
            _pids(client, path, 2)
        database.restart()
        for path in ROUTES:
            statuses = _statuses(client, path, 4)
            assert statuses[0] in (200, 500) and statuses[1:] == [200] * 3, (
                f"{path} after a restart: {statuses}\n{server.stderr()[-3000:]}"
            )


def test_killed_backends_are_replaced(database):
    """A connection the server dropped (pg_terminate_backend, a failover, an idle
    timeout) costs no request with health checks on."""
    with served(database, max_age=60, health_checks=True) as (server, client):
        for path in ROUTES:
            _pids(client, path, 2)
        database.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            SERVER_CONNECTIONS,
        )
        for path in ROUTES:
            assert _statuses(client, path, 3) == [200] * 3


def test_ready_follows_the_database_and_health_does_not(database):
    with served(database, max_age=60) as (server, client):
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ok", "databases": {"default": "ok"}}
        assert ready.headers["cache-control"] == "no-store"
        database.stop()
        try:
            ready = client.get("/ready")
            assert ready.status_code == 503, ready.text
            assert ready.json() == {
                "status": "unavailable",
                "databases": {"default": "error: OperationalError"},
            }
            health = client.get("/health")
            assert health.status_code == 200
            assert health.json() == {"status": "ok"}
            assert "readiness: database 'default' is unavailable" in server.stderr()
        finally:
            database.start()
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert _statuses(client, "/db/async", 2) == [200, 200]


def test_a_connection_inside_an_atomic_block_is_left_open(django_project):
    """A test's transaction (``TestCase``, pytest-django's ``django_db``) is never closed
    under the handlers that run on its connection; outside one, CONN_MAX_AGE=0 closes."""
    from django.db import connection, transaction

    from django_bolt import db

    with transaction.atomic():
        connection.ensure_connection()
        db._note_connection(sender=type(connection), connection=connection)
        db.call_in_request(lambda: None, {})
        assert connection.connection is not None
        assert not connection.needs_rollback
    db.call_in_request(lambda: None, {})
    assert connection.connection is None


def test_ready_times_out_on_a_database_that_does_not_answer():
    """A database host that accepts and then says nothing (a hung server, a black-holed
    network): /ready answers 503 within BOLT_READY_TIMEOUT, and probes meanwhile share
    the one check that is still waiting."""
    with socket.socket() as silent:
        silent.bind((support.HOST, 0))
        silent.listen(16)
        env = {
            "DJANGO_SETTINGS_MODULE": "boltproj.settings_postgres",
            "BOLT_PG_PORT": str(silent.getsockname()[1]),
            "BOLT_READY_TIMEOUT": "0.5",
        }
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            with support.serve_django(support.BOLT_PROJECT_DIR) as server:
                with httpx.Client(base_url=server.base_url, timeout=10) as client:
                    for _ in range(2):
                        started = time.monotonic()
                        ready = client.get("/ready")
                        assert time.monotonic() - started < 1.5
                        assert ready.status_code == 503
                        assert ready.json() == {
                            "status": "unavailable",
                            "databases": {"default": "timeout"},
                        }
                    assert client.get("/health").status_code == 200
