"""``@rate_limit(key="user" | "api_key")``: a bucket per authenticated user or per API
key, counted in Rust after auth, so that users behind one address do not share a limit
and one user cannot escape it by changing address. Over a real socket (``runbolt``
serving ``jwtapp``: burst 2, then one request every 5 s) and through TestClient."""

from __future__ import annotations

import time

import jwt as pyjwt
import pytest
import support

from django_bolt import (
    AllowAny,
    APIKeyAuthentication,
    BoltAPI,
    JWTAuthentication,
    Request,
    rate_limit,
)
from django_bolt.testing import TestClient

SECRET = "tests-only-jwt-secret-" + "x" * 48  # the project's BOLT_JWT_SECRET


def bearer(sub: str) -> dict[str, str]:
    token = pyjwt.encode({"sub": sub, "exp": int(time.time()) + 600}, SECRET)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def jwt_server(tmp_path_factory):
    database = support.migrated_database(tmp_path_factory.mktemp("db"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        options = ("--settings", "boltproj.settings_jwt")
        with support.serve_django(support.BOLT_PROJECT_DIR, *options) as server:
            yield server


@pytest.fixture(params=support.PROTOCOLS)
def client(request, jwt_server):
    with support.make_client(jwt_server.base_url, request.param) as opened:
        yield opened


def statuses(client, path: str, headers: dict[str, str], count: int = 3) -> list[int]:
    return [client.get(path, headers=headers).status_code for _ in range(count)]


def test_each_user_has_a_bucket_of_their_own(client, request):
    ann, bob = bearer(f"ann-{request.node.name}"), bearer(f"bob-{request.node.name}")
    # One address, two users: each gets the burst of 2, then 429.
    assert statuses(client, "/jwt/per-user", ann) == [200, 200, 429]
    assert statuses(client, "/jwt/per-user", bob) == [200, 200, 429]
    refused = client.get("/jwt/per-user", headers=ann)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] in {"4", "5"}
    # A new token for the same user is the same bucket.
    assert (
        client.get("/jwt/per-user", headers=bearer(f"ann-{request.node.name}")).status_code == 429
    )


def test_a_request_auth_refuses_is_401_and_takes_no_token(client, request):
    user = bearer(f"carl-{request.node.name}")
    for _ in range(3):
        assert client.get("/jwt/per-user").status_code == 401
    assert statuses(client, "/jwt/per-user", user) == [200, 200, 429]


def test_each_api_key_has_a_bucket_of_its_own(jwt_server):
    one, two = {"X-API-Key": "key-one"}, {"X-API-Key": "key-two"}
    with support.make_client(jwt_server.base_url, "http1") as client:
        assert statuses(client, "/jwt/per-key", one) == [200, 200, 429]
        assert statuses(client, "/jwt/per-key", two) == [200, 200, 429]
        assert client.get("/jwt/per-key", headers={"X-API-Key": "bad"}).status_code == 401


# ---- TestClient ---------------------------------------------------------------------


def test_without_an_identity_the_address_is_the_key(django_project):
    api = BoltAPI()

    auth = [JWTAuthentication(secret=SECRET, load_user=False)]

    @api.get("/open", auth=auth, guards=[AllowAny()])
    @rate_limit(rps=0.2, burst=1, key="user")
    async def open_route(request: Request) -> dict:
        return {"user": (request.auth or {}).get("user_id")}

    with TestClient(api) as client:
        assert statuses(client, "/open", bearer("dee"), 2) == [200, 429]
        # Anonymous requests share the address's bucket, apart from dee's.
        assert client.get("/open").json() == {"user": None}
        assert client.get("/open").status_code == 429
        assert statuses(client, "/open", bearer("eve"), 2) == [200, 429]


def test_key_names_and_refusals():
    for key in ("ip", "user", "api_key", "header:x-tenant", "x-tenant"):
        handler = rate_limit(rps=1, key=key)(lambda: None)
        expected = key if key in {"ip", "user", "api_key"} else "header:x-tenant"
        assert handler.__bolt_rate_limit__["key"] == expected
    for bad in ("header:", "a b", 3, None):
        with pytest.raises(ValueError, match="rate_limit key must be 'ip', 'user', 'api_key'"):
            rate_limit(rps=1, key=bad)


def test_api_keys_through_testclient(django_project):
    api = BoltAPI()

    @api.get("/keyed", auth=[APIKeyAuthentication(api_keys=["a-key", "b-key"])])
    @rate_limit(rps=0.2, burst=1, key="api_key")
    async def keyed() -> dict:
        return {"ok": True}

    with TestClient(api) as client:
        assert statuses(client, "/keyed", {"X-API-Key": "a-key"}, 2) == [200, 429]
        assert statuses(client, "/keyed", {"X-API-Key": "b-key"}, 2) == [200, 429]
