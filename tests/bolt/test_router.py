"""Routing names of the original django-bolt: ``Router`` (prefix, tags, auth, guards,
middleware, nesting), a route at its API's prefix (``""``), the ``QUERY`` method,
``name=`` for Django's ``reverse()`` (with namespaces) and ``include_in_schema=False``,
through TestClient and a real runbolt (routes in tests/bolt/project/routingapp)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import support

from django_bolt import BoltAPI, WebSocket
from django_bolt import Router as RootRouter
from django_bolt.router import Router
from django_bolt.testing import AsyncTestClient, TestClient

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from routingapp.api import api  # noqa: E402

API_KEY = {"x-api-key": "tests-api-key-1"}


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT, "--settings", "boltproj.settings_routing") as server:
        yield server


@pytest.fixture(params=support.CLIENTS)
def client(request):
    with support.open_client(request, api) as client:
        yield client


def test_router_is_one_class_at_both_paths():
    assert RootRouter is Router


def test_an_empty_path_is_the_prefix(client):
    assert client.get("/rt").json() == {"at": "prefix"}
    assert client.get("/rt/").json() == {"at": "prefix"}


def test_router_routes_take_its_prefix_auth_guards_and_middleware(client):
    refused = client.get("/rt/admin")
    assert refused.status_code == 401
    allowed = client.get("/rt/admin", headers=API_KEY)
    assert allowed.status_code == 200 and allowed.json() == {"admin": True}
    assert allowed.headers["x-router"] == "admin"


def test_a_route_s_own_auth_wins_over_the_router_s(client):
    response = client.get("/rt/admin/open")
    assert response.status_code == 200 and response.json() == {"open": True}
    assert response.headers["x-router"] == "admin"


def test_a_nested_router_takes_its_parents_prefix_and_protection(client):
    assert client.get("/rt/admin/users/7").status_code == 401
    response = client.get("/rt/admin/users/7", headers=API_KEY)
    assert response.json() == {"user_id": 7}
    assert response.headers["x-router"] == "admin"
    assert client.get("/rt/admin/users/x", headers=API_KEY).status_code == 422


def test_router_tags_reach_the_openapi_document(client):
    document = client.get("/docs/openapi.json").json()
    assert document["paths"]["/rt/admin"]["get"]["tags"] == ["admin"]
    assert "/rt/hidden" not in document["paths"]
    assert "/rt" in document["paths"]


def test_an_unlisted_route_is_still_served(client):
    assert client.get("/rt/hidden").json() == {"hidden": True}


def test_query_reads_its_body(client):
    response = client.request("QUERY", "/rt/search", json={"term": "django", "limit": 5})
    assert response.status_code == 200
    assert response.json() == {"term": "django", "limit": 5}
    assert client.get("/rt/search").json() == {"send": "QUERY"}


def test_query_with_a_bad_body_is_a_422_saying_where(client):
    response = client.request("QUERY", "/rt/search", content=b'{"term": 5}')
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "term"]
    broken = client.request("QUERY", "/rt/search", content=b"{nope")
    assert broken.status_code == 422


def test_405_lists_query_in_allow(client):
    response = client.delete("/rt/search")
    assert response.status_code == 405
    assert response.headers["allow"] == "QUERY, GET, HEAD, OPTIONS"
    options = client.options("/rt/search")
    assert "QUERY" in options.headers["allow"]


def test_query_is_documented_as_the_query_operation(client):
    document = client.get("/docs/openapi.json").json()
    assert "requestBody" in document["paths"]["/rt/search"]["query"]


def test_the_test_clients_send_query():
    with TestClient(api) as client:
        assert client.query("/rt/search", json={"term": "x"}).json() == {"term": "x", "limit": 20}

    async def main() -> dict:
        async with AsyncTestClient(api) as client:
            return (await client.query("/rt/search", json={"term": "y", "limit": 2})).json()

    assert asyncio.run(main()) == {"term": "y", "limit": 2}


@pytest.mark.parametrize(
    ("name", "params", "url"),
    [
        ("rt:home", {}, "/rt"),
        ("rt:search", {}, "/rt/search"),
        ("rt:admin-user", {"user_id": "3"}, "/rt/admin/users/3"),
        ("rt:admin_home", {}, "/rt/admin"),
        ("v1:thing", {"thing_id": "9"}, "/rt/v1/things/9"),
    ],
)
def test_django_reverses_bolt_route_names(server, name, params, url):
    with support.make_client(server.base_url, "http1") as client:
        response = client.get(f"/reverse/{name}", params=params)
    assert response.status_code == 200, response.text
    assert response.json() == {"url": url}


@pytest.mark.parametrize("name", ["home", "thing", "rt:nothing"])
def test_a_namespaced_name_reverses_only_under_its_namespace(server, name):
    with support.make_client(server.base_url, "http1") as client:
        response = client.get(f"/reverse/{name}")
    assert response.status_code == 404


def test_two_declared_names_for_two_paths_are_refused():
    from django.core.exceptions import ImproperlyConfigured

    from django_bolt.urls import bolt_urlpatterns

    one = BoltAPI()

    @one.get("/a", name="same")
    async def a():
        return {}

    @one.get("/b", name="same")
    async def b():
        return {}

    with pytest.raises(ImproperlyConfigured, match="'same' is declared for /a and /b"):
        bolt_urlpatterns(one.routes)


def test_a_declared_name_wins_over_a_derived_one_and_methods_share_a_name():
    from django_bolt.urls import bolt_urlpatterns

    one = BoltAPI()

    @one.get("/x", name="shared")
    async def read():
        return {}

    @one.post("/x", name="shared")
    async def write():
        return {}

    @one.get("/derived")
    async def shared2():
        return {}

    @one.get("/declared", name="shared2")
    async def other():
        return {}

    patterns = {p.name: str(p.pattern) for p in bolt_urlpatterns(one.routes)}
    assert patterns == {"shared": "x", "shared2": "declared"}


def test_router_refuses_what_it_cannot_serve():
    with pytest.raises(ValueError, match="must start with '/'"):
        Router(prefix="admin")
    with pytest.raises(TypeError, match="Depends"):
        Router(dependencies=[object()])
    with pytest.raises(TypeError, match="BaseMiddleware"):
        Router(middleware=[object])
    router = Router()
    with pytest.raises(ValueError, match="must start with '/'"):
        router.get("x")
    with pytest.raises(ValueError, match="itself"):
        router.include_router(router)


def test_router_websocket_routes_and_included_prefix():
    router = Router(prefix="/live", tags=["live"])

    @router.websocket("/echo")
    async def echo(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    one = BoltAPI()
    one.include_router(router, prefix="/v2")
    with TestClient(one) as client, client.websocket_connect("/v2/live/echo") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "hi"


@pytest.mark.parametrize(
    ("trailing_slash", "prefix", "expected"),
    [
        ("strip", "", "/"),
        ("append", "", "/"),
        ("keep", "", "/"),
        ("strip", "/items", "/items"),
        ("append", "/items", "/items/"),
        ("keep", "/items", "/items"),
    ],
)
def test_an_empty_path_in_every_trailing_slash_mode(trailing_slash, prefix, expected):
    one = BoltAPI(prefix=prefix, trailing_slash=trailing_slash)

    @one.get("")
    async def root():
        return {"root": True}

    assert one.routes[0].path == expected
    with TestClient(one) as client:
        assert client.get(expected).json() == {"root": True}


@pytest.fixture(scope="module")
def h3_client(tmp_path_factory):
    tests = Path(__file__).resolve().parent.parent
    sys.path[:0] = [str(tests / "transport"), str(tests / "asgi_conformance")]
    import certs as test_certs
    import h3sync

    certs = test_certs.make(tmp_path_factory.mktemp("h3-routing-certs"))
    port = support.free_port()
    command = [sys.executable, "manage.py", "runbolt", "--host", support.HOST, "--port", str(port)]
    command += ["--http3", "--cert", str(certs.cert), "--key", str(certs.key)]
    env = support.subprocess_env((), DJANGO_SETTINGS_MODULE="boltproj.settings_routing")
    server = support.start_server(command, port=port, cwd=PROJECT, env=env)
    with support.running(server), h3sync.H3SyncClient(server.port, certs.ca) as client:
        yield client


def test_query_over_http3(h3_client):
    body = b'{"term": "h3", "limit": 1}'
    headers = {"content-type": "application/json"}
    response = h3_client.request("QUERY", "/rt/search", content=body, headers=headers)
    assert response.http_version == "HTTP/3"
    assert response.json() == {"term": "h3", "limit": 1}
    refused = h3_client.request("DELETE", "/rt/search")
    assert refused.status_code == 405 and refused.headers["allow"] == "QUERY, GET, HEAD, OPTIONS"
