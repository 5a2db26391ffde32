"""``@rate_limit`` with its buckets in Redis (``BOLT_RATE_LIMIT_BACKEND``): one limit
across ``--processes 2`` and across two servers (two machines), the failure policy
while Redis is down and the recovery when it returns, start-up errors for a bad
backend; against a real ``redis-server`` (the ``redis_server`` fixture) and real
runbolt processes (``tests/bolt/project/limitapp``), and through TestClient."""

from __future__ import annotations

import re
import signal
import sys
import time

import httpx
import pytest
import support

from django_bolt import (
    APIKeyAuthentication,
    BoltAPI,
    IsAuthenticated,
    WebSocket,
    cors,
    rate_limit,
)
from django_bolt.routing import describe
from django_bolt.testing import TestClient, WebSocketRejected

PROJECT = support.BOLT_PROJECT_DIR
sys.path.insert(0, str(PROJECT))

from limitapp.api import BURST  # noqa: E402

#: More requests than the burst allows, each on a connection of its own, so that
#: SO_REUSEPORT spreads them over the processes.
REQUESTS = 3 * BURST
UNREACHABLE = "rate limit backend"


def runbolt(backend: str, *options: str, failure: str = "open") -> support.ServerProcess:
    port = support.free_port()
    env = support.subprocess_env(
        (),
        BOLT_TEST_RATE_LIMIT_BACKEND=backend,
        BOLT_TEST_RATE_LIMIT_FAILURE=failure,
    )
    argv = [sys.executable, "manage.py", "runbolt", "--host", support.HOST, "--port", str(port)]
    argv += ["--settings", "boltproj.settings_limit", *options]
    return support.start_server(argv, port=port, cwd=PROJECT, env=env)


def get(server: support.ServerProcess, path: str, **headers: str) -> httpx.Response:
    """One request on a new connection."""
    return httpx.get(server.base_url + path, headers=headers, timeout=10)


def statuses(servers: list[support.ServerProcess], path: str, count: int) -> list[int]:
    return [get(servers[n % len(servers)], path).status_code for n in range(count)]


@pytest.fixture(autouse=True)
def empty_redis(redis_server):
    redis_server.command("FLUSHALL")


def test_the_limit_holds_across_processes(redis_server):
    with support.running(runbolt(redis_server.url, "--processes", "2")) as server:
        shared = statuses([server], "/limited/shared", REQUESTS)
        assert shared.count(200) == BURST, shared
        assert shared.count(429) == REQUESTS - BURST, shared
        # The control: each process keeps its own buckets, so together they let
        # more through (what the shared backend is for).
        local = statuses([server], "/limited/local", REQUESTS)
        assert local.count(200) > BURST, local
        refused = get(server, "/limited/shared")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "Rate limit exceeded" in refused.json()["detail"]


def test_two_servers_share_one_limit(redis_server):
    with support.running(runbolt(redis_server.url)) as one:
        with support.running(runbolt(redis_server.url)) as two:
            assert one.port != two.port
            shared = statuses([one, two], "/limited/shared", REQUESTS)
            assert shared.count(200) == BURST, shared
            # Each server counted some of them.
            assert shared[:2] == [200, 200]


def test_keys_are_per_route_and_client_and_expire(redis_server):
    with support.running(runbolt(redis_server.url)) as server:
        assert get(server, "/limited/by-key", **{"x-api-key": "alpha-secret"}).status_code == 200
        assert get(server, "/limited/by-key", **{"x-api-key": "alpha-secret"}).status_code == 200
        assert get(server, "/limited/by-key", **{"x-api-key": "alpha-secret"}).status_code == 429
        # Another key value is another client.
        assert get(server, "/limited/by-key", **{"x-api-key": "beta"}).status_code == 200
        assert get(server, "/limited/shared").status_code == 200
        keys = redis_server.command("KEYS", "bolt:rl:*").split()
        assert len(keys) == 3, keys
        assert any(":/limited/shared:ip:127.0.0.1" in key for key in keys), keys
        # Header values may be secrets: Redis holds a digest, not the value.
        assert not any("secret" in key or "beta" in key for key in keys), keys
        for key in keys:
            # A key lives until its bucket would be full again (burst / rps).
            assert 0 < int(redis_server.command("PTTL", key)) <= 2_000_000, key


def wait_for_status(server: support.ServerProcess, path: str, status: int) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        response = get(server, path)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_redis_down_fails_open_then_limits_again(redis_server):
    with support.running(runbolt(redis_server.url)) as server:
        assert statuses([server], "/limited/shared", BURST + 1)[-1] == 429
        redis_server.stop()
        try:
            started = time.monotonic()
            during = statuses([server], "/limited/shared", 30)
            assert during == [200] * 30, during
            # Bounded by the timeout, and Redis is not asked for each request.
            assert time.monotonic() - started < 10
            assert server.stderr().count("is unreachable") == 1, server.stderr()
        finally:
            redis_server.start()
        # Redis came back empty: a fresh burst, then the limit holds again.
        assert wait_for_status(server, "/limited/shared", 429).status_code == 429
        assert server.stderr().count("answers again; limits apply") == 1, server.stderr()
        assert server.stderr().count("is unreachable") == 1, server.stderr()


def test_a_hung_redis_does_not_hang_requests(redis_server):
    with support.running(runbolt(redis_server.url)) as server:
        assert get(server, "/limited/shared").status_code == 200
        # Stopped, not killed: connections stay open and nothing answers.
        redis_server.process.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            assert statuses([server], "/limited/shared", 10) == [200] * 10
            # One request waits the timeout (0.1 s); the others do not ask Redis.
            assert time.monotonic() - started < 5
            # The client's timeout, or the server's own bound if it fires first.
            assert re.search(r"unreachable \((timed out|no answer within 100 ms)", server.stderr())
            assert server.stderr().count("is unreachable") == 1, server.stderr()
        finally:
            redis_server.process.send_signal(signal.SIGCONT)
        assert wait_for_status(server, "/limited/shared", 429).status_code == 429
        assert server.stderr().count("answers again; limits apply") == 1, server.stderr()


def test_redis_down_fails_closed_with_503_then_recovers(redis_server):
    with support.running(runbolt(redis_server.url, failure="closed")) as server:
        assert get(server, "/limited/shared").status_code == 200
        redis_server.stop()
        try:
            during = [get(server, "/limited/shared") for _ in range(10)]
            assert [r.status_code for r in during] == [503] * 10
            assert during[0].headers["retry-after"] == "1"
            assert "Rate limit backend unavailable" in during[0].json()["detail"]
            # A route without a limit does not depend on Redis.
            assert get(server, "/limited/local").status_code == 200
            assert server.stderr().count("is unreachable") == 1, server.stderr()
            assert "refused (503)" in server.stderr()
        finally:
            redis_server.start()
        assert wait_for_status(server, "/limited/shared", 200).status_code == 200
        assert server.stderr().count("answers again; limits apply") == 1, server.stderr()


@pytest.mark.parametrize(
    ("backend", "error"),
    [
        ("http://127.0.0.1:6379/0", "not a Redis URL"),
        ("cache", "the cache 'default' is"),
        ("nosuchcache", "no such cache in CACHES"),
        ("redis://127.0.0.1:notaport/0", "is not a Redis URL"),
    ],
)
def test_a_bad_backend_is_a_start_up_error(backend, error):
    with pytest.raises(AssertionError) as failed:
        runbolt(backend)
    message = str(failed.value)
    assert "exited" in message
    assert error in message
    assert "BOLT_RATE_LIMIT_BACKEND" in message or "Redis URL" in message


def test_testclient_counts_in_redis(redis_server):
    api = BoltAPI(rate_limit_backend=redis_server.url)

    @api.get("/tc")
    @rate_limit(rps=0.01, burst=2)
    async def limited() -> dict:
        return {}

    with TestClient(api) as client:
        assert [client.get("/tc").status_code for _ in range(3)] == [200, 200, 429]
    assert redis_server.command("KEYS", "bolt:rl:*").count(":/tc:") == 1


def test_the_shared_limit_comes_before_auth_and_keeps_cors(redis_server):
    api = BoltAPI(rate_limit_backend=redis_server.url)
    origin = "https://app.example"

    @api.get("/guarded", auth=[APIKeyAuthentication(["k1"])], guards=[IsAuthenticated()])
    @rate_limit(rps=0.01, burst=2)
    async def guarded() -> dict:
        return {}

    @api.get("/cors")
    @cors(origins=[origin])
    @rate_limit(rps=0.01, burst=1)
    async def cross_origin() -> dict:
        return {}

    with TestClient(api) as client:
        # Refused requests count too: guessing keys is limited like anything else.
        assert [client.get("/guarded").status_code for _ in range(3)] == [401, 401, 429]
        assert client.get("/guarded", headers={"x-api-key": "k1"}).status_code == 429
        assert client.get("/cors", headers={"origin": origin}).status_code == 200
        refused = client.get("/cors", headers={"origin": origin})
        assert refused.status_code == 429
        # The page may read the refusal.
        assert refused.headers["access-control-allow-origin"] == origin


def test_a_shared_limit_by_api_key_counts_each_key_apart(redis_server):
    api = BoltAPI(rate_limit_backend=redis_server.url)

    @api.get("/keyed", auth=[APIKeyAuthentication(["first-key", "second-key"])])
    @rate_limit(rps=0.01, burst=2, key="api_key")
    async def keyed() -> dict:
        return {}

    with TestClient(api) as client:
        first = [client.get("/keyed", headers={"x-api-key": "first-key"}) for _ in range(3)]
        assert [r.status_code for r in first] == [200, 200, 429]
        assert client.get("/keyed", headers={"x-api-key": "second-key"}).status_code == 200
        # Auth refuses a bad key before the limit counts it.
        assert client.get("/keyed", headers={"x-api-key": "wrong"}).status_code == 401
    keys = redis_server.command("KEYS", "bolt:rl:*").split()
    assert len(keys) == 2, keys
    assert all(":key:" in key and "first" not in key for key in keys), keys


def test_the_shared_limit_counts_websocket_handshakes(redis_server):
    api = BoltAPI(rate_limit_backend=redis_server.url)

    @api.websocket("/ws")
    @rate_limit(rps=0.01, burst=2)
    async def limited(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("in")

    with TestClient(api) as client:
        for _ in range(2):
            with client.websocket_connect("/ws") as ws:
                assert ws.receive_text() == "in"
        with pytest.raises(WebSocketRejected) as refused:
            client.websocket_connect("/ws")
        assert refused.value.response.status_code == 429


def test_the_backend_is_checked_when_routes_are_described(django_project):
    api = BoltAPI(rate_limit_backend="redis://127.0.0.1:6379/2")

    @api.get("/d")
    @rate_limit(rps=1)
    async def limited() -> dict:
        return {}

    route = describe(api.routes[0], debug=False)
    assert route["rate_limit"]["backend"] == "redis://127.0.0.1:6379/2"
    assert route["rate_limit"]["failure"] == "open"
    with pytest.raises(ValueError, match="must be 'memory', a Redis URL"):
        BoltAPI(rate_limit_backend="")


def test_a_django_redis_cache_gives_its_location(django_project):
    from django.test import override_settings

    api = BoltAPI(rate_limit_backend="sessions")

    @api.get("/c")
    @rate_limit(rps=1)
    async def limited() -> dict:
        return {}

    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": ["redis://10.0.0.1:6379/3", "redis://10.0.0.2:6379/3"],
        },
        "django": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://10.0.0.9:6379/1,redis://10.0.0.8:6379/1",
        },
    }
    with override_settings(CACHES=caches, BOLT_RATE_LIMIT_FAILURE="closed"):
        route = describe(api.routes[0], debug=False)
        assert route["rate_limit"]["backend"] == "redis://10.0.0.1:6379/3"
        assert route["rate_limit"]["failure"] == "closed"
        with override_settings(BOLT_RATE_LIMIT_BACKEND="django"):
            api.routes[0].rate_limit_backend = None
            route = describe(api.routes[0], debug=False)
            assert route["rate_limit"]["backend"] == "redis://10.0.0.9:6379/1"
        with override_settings(BOLT_RATE_LIMIT_FAILURE="sometimes"):
            api.routes[0].rate_limit_backend = "sessions"
            with pytest.raises(ValueError, match="BOLT_RATE_LIMIT_FAILURE"):
                describe(api.routes[0], debug=False)


def test_memory_is_the_default(django_project):
    api = BoltAPI()

    @api.get("/m")
    @rate_limit(rps=1)
    async def limited() -> dict:
        return {}

    route = describe(api.routes[0], debug=False)
    assert "backend" not in route["rate_limit"]
