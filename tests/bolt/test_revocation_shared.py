"""Token revocation shared by processes through the Django cache in Redis
(``DjangoCacheRevocation`` with Django's ``RedisCache``), and its per-process negative
cache (``negative_ttl``): two ``runbolt`` processes of ``groups_project`` standing in
for two machines."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import jwt
import pytest
from groups import serve

from django_bolt import BoltAPI, HTTPException, JWTAuthentication, Request, WebSocket
from django_bolt.auth.revocation import DjangoCacheRevocation, NegativeCache
from django_bolt.testing import TestClient
from django_bolt.testing_websocket import WebSocketRejected

JWT_SECRET = "groups-tests-secret-of-32-bytes-or-more"


def token() -> str:
    claims = {"sub": "7", "exp": int(time.time()) + 600, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


def me(server, bearer: str) -> int:
    headers = {"authorization": f"Bearer {bearer}"}
    return httpx.get(f"{server.base_url}/me", headers=headers, timeout=10).status_code


def logout(server, bearer: str) -> None:
    headers = {"authorization": f"Bearer {bearer}"}
    response = httpx.post(f"{server.base_url}/logout", headers=headers, timeout=10)
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def machines(redis_server):
    with serve(BOLT_TEST_REDIS=redis_server.url) as first:
        with serve(BOLT_TEST_REDIS=redis_server.url) as second:
            yield first, second


@pytest.fixture(scope="module")
def cached_machines(redis_server):
    """The same with a negative cache of 1.5 s in each process."""
    env = {"BOLT_TEST_REDIS": redis_server.url, "BOLT_TEST_NEGATIVE_TTL": "1.5"}
    with serve(**env) as first, serve(**env) as second:
        yield first, second


def test_a_token_revoked_through_one_process_is_refused_by_the_other(machines, redis_server):
    first, second = machines
    bearer = token()
    assert me(first, bearer) == 200
    assert me(second, bearer) == 200
    logout(first, bearer)
    assert me(second, bearer) == 401
    assert me(first, bearer) == 401
    assert redis_server.command("DBSIZE") != "0"


def test_with_a_negative_cache_the_other_refuses_it_within_its_ttl(cached_machines):
    first, second = cached_machines
    bearer = token()
    assert me(first, bearer) == 200
    assert me(second, bearer) == 200  # remembered as not revoked for 1.5 s
    logout(first, bearer)
    revoked_at = time.monotonic()
    assert me(first, bearer) == 401  # revoked here: forgotten here at once
    assert me(second, bearer) == 200  # still remembered there
    while me(second, bearer) != 401:
        assert time.monotonic() - revoked_at < 1.5 + 1.0
        time.sleep(0.05)
    assert time.monotonic() - revoked_at >= 1.0


def revocation_lookups(server, redis_server, requests: int) -> tuple[int, float]:
    """The cache reads (Redis GETs) of ``requests`` authenticated requests, and how
    long they took."""
    bearer = token()
    assert me(server, bearer) == 200
    redis_server.command("CONFIG", "RESETSTAT")
    started = time.monotonic()
    with httpx.Client(headers={"authorization": f"Bearer {bearer}"}) as client:
        for _ in range(requests):
            assert client.get(f"{server.base_url}/me").status_code == 200
    elapsed = time.monotonic() - started
    stats = redis_server.command("INFO", "commandstats")
    found = re.search(r"cmdstat_get:calls=(\d+)", stats)
    return (int(found.group(1)) if found else 0), elapsed


def test_the_negative_cache_saves_the_round_trips(machines, cached_machines, redis_server):
    lookups, _ = revocation_lookups(machines[0], redis_server, 50)
    assert lookups == 50
    lookups, elapsed = revocation_lookups(cached_machines[0], redis_server, 50)
    assert lookups <= 1 + elapsed // 1.5


def test_negative_cache_bounds_and_checks():
    cache = NegativeCache(10, size=3)
    for jti in "abcd":
        cache.remember(jti)
    assert [cache.remembers(j) for j in "abcd"] == [False, True, True, True]
    cache.forget("c")
    assert not cache.remembers("c")
    short = NegativeCache(0.05, size=10)
    short.remember("x")
    assert short.remembers("x")
    time.sleep(0.06)
    assert not short.remembers("x")
    with pytest.raises(ValueError, match="0 \\(off\\) or more seconds, not -1"):
        DjangoCacheRevocation(negative_ttl=-1)
    with pytest.raises(TypeError, match="number of seconds, not '5'"):
        DjangoCacheRevocation(negative_ttl="5")
    with pytest.raises(ValueError, match="negative_size is a number of tokens"):
        DjangoCacheRevocation(negative_ttl=5, negative_size=0)
    assert DjangoCacheRevocation().negative is None


def test_while_the_cache_is_down_tokens_are_refused_with_503(machines, redis_server):
    """Fail closed: no token goes through unchecked; logged once, then it recovers."""
    first, _ = machines
    bearer = token()
    assert me(first, bearer) == 200
    redis_server.stop()
    try:
        headers = {"authorization": f"Bearer {bearer}"}
        for _ in range(3):
            response = httpx.get(f"{first.base_url}/me", headers=headers, timeout=10)
            assert response.status_code == 503
            assert response.json() == {"detail": "Token revocation check unavailable"}
            assert response.headers["retry-after"] == "1"
    finally:
        redis_server.start()
    assert me(first, bearer) == 200
    assert first.stderr().count("Token revocation check failed") == 1


def test_a_failing_revocation_handler_is_a_503_and_its_own_refusal_passes(django_project):
    def failing(jti: str) -> bool:
        if jti.startswith("refuse"):
            raise HTTPException(403, "Not this one")
        raise ConnectionError("cache down")

    api = BoltAPI()
    backend = JWTAuthentication(
        secret=JWT_SECRET, load_user=False, revoked_token_handler=failing, require_jti=True
    )

    @api.get("/me", auth=[backend])
    async def who(request: Request) -> dict:
        return {"ok": True}

    @api.websocket("/ws", auth=[backend])
    async def ws(websocket: WebSocket):
        await websocket.accept()

    claims = {"sub": "7", "exp": int(time.time()) + 600}
    with TestClient(api) as client:
        bearer = jwt.encode({**claims, "jti": "any"}, JWT_SECRET, algorithm="HS256")
        response = client.get("/me", headers={"authorization": f"Bearer {bearer}"})
        assert response.status_code == 503
        assert response.json() == {"detail": "Token revocation check unavailable"}
        bearer = jwt.encode({**claims, "jti": "refuse-1"}, JWT_SECRET, algorithm="HS256")
        response = client.get("/me", headers={"authorization": f"Bearer {bearer}"})
        assert response.status_code == 403
        assert response.json() == {"detail": "Not this one"}
        bearer = jwt.encode({**claims, "jti": "any"}, JWT_SECRET, algorithm="HS256")
        with pytest.raises(WebSocketRejected) as refused:
            with client.websocket_connect("/ws", headers={"authorization": f"Bearer {bearer}"}):
                pass
        assert refused.value.response.status_code == 503
