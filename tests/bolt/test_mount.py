"""``api.mount(prefix, other_api)`` and ASGI apps at a path prefix
(``mount_asgi``/``mount_django``), through TestClient and a real runbolt (routes in
tests/bolt/project/routingapp)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import support

from django_bolt import BoltAPI
from django_bolt.mounts import with_mounts
from django_bolt.testing import TestClient

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from routingapp.api import api, scope_app  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT, "--settings", "boltproj.settings_routing") as server:
        yield server


@pytest.fixture(params=support.CLIENTS)
def client(request):
    with support.open_client(request, api) as client:
        yield client


def test_a_mounted_api_is_served_under_the_prefix_with_its_middleware(client):
    response = client.get("/rt/v1/things/4")
    assert response.status_code == 200 and response.json() == {"thing": 4}
    assert response.headers["x-api"] == "v1"
    assert "x-router" not in response.headers


def test_a_mounted_api_keeps_its_own_auth(client):
    assert client.get("/rt/v1/private").status_code == 401
    response = client.get("/rt/v1/private", headers={"x-api-key": "v1-key"})
    assert response.status_code == 200 and response.json() == {"private": True}
    assert client.get("/rt/v1/private", headers={"x-api-key": "tests-api-key-1"}).status_code == 401


def test_a_mounted_api_takes_the_parent_s_trailing_slash(client):
    document = client.get("/docs/openapi.json").json()
    assert "/rt/v1/things/{thing_id}" in document["paths"]
    assert "/rt/v1/unlisted" not in document["paths"]


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/rt/asgi", {"path": "/rt/asgi", "root_path": "/rt/asgi", "query": ""}),
        (
            "/rt/asgi/v1/ping?a=1&b=2",
            {"path": "/rt/asgi/v1/ping", "root_path": "/rt/asgi", "query": "a=1&b=2"},
        ),
        (
            "/rt/asgi/deeper/x",
            {"path": "/rt/asgi/deeper/x", "root_path": "/rt/asgi/deeper", "query": ""},
        ),
    ],
)
def test_an_asgi_mount_gets_root_path_and_the_whole_path(client, path, scope):
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == scope


def test_a_prefix_is_matched_on_a_segment_boundary(client):
    response = client.get("/rt/asgiX")
    assert response.status_code == 404


def test_a_bolt_route_and_its_405_win_over_a_mount(client):
    assert client.get("/rt/search").json() == {"send": "QUERY"}
    assert client.post("/rt/search").status_code == 405


def test_mount_django_serves_the_project_s_urls_under_the_prefix(server):
    with support.make_client(server.base_url, "http1") as client:
        response = client.get("/rt/dj/django/hello")
        assert response.status_code == 200 and response.json() == {"from": "django"}
        assert client.get("/django/hello").json() == {"from": "django"}


def test_an_unmatched_path_still_reaches_django(server):
    with support.make_client(server.base_url, "http1") as client:
        assert client.get("/nowhere/at/all").status_code == 404
        assert client.get("/django/hello").status_code == 200


def test_without_a_fallback_an_unmatched_path_is_404():
    one = BoltAPI()
    one.mount_asgi("/m", scope_app)
    with TestClient(one) as client:
        assert client.get("/m/x").json()["path"] == "/m/x"
        missing = client.get("/other")
        assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}


def test_mounts_refuse_what_cannot_be_served():
    one = BoltAPI()
    with pytest.raises(ValueError, match="static"):
        one.mount_asgi("/m/{id}", scope_app)
    with pytest.raises(ValueError, match="must start with '/'"):
        one.mount_asgi("m", scope_app)
    with pytest.raises(TypeError, match="not an ASGI application"):
        one.mount_asgi("/m", "app")
    with pytest.raises(ValueError, match="into itself"):
        one.mount("/self", one)
    with pytest.raises(ValueError, match="static"):
        one.mount("/v/{n}", BoltAPI())
    one.mount_asgi("/m", scope_app)
    one.mount_asgi("/m/", scope_app)
    with pytest.raises(ValueError, match="two ASGI mounts at /m"):
        with_mounts([one], None)

    two = BoltAPI()

    @two.get("/m")
    async def m():
        return {}

    two.mount_asgi("/m", scope_app)
    with pytest.raises(ValueError, match="path of a Bolt route"):
        with_mounts([two], None)


def test_no_mounts_leave_the_fallback_as_it_is():
    fallback = object()
    assert with_mounts([BoltAPI()], fallback) is fallback


def test_a_mounted_api_carries_its_asgi_mounts_and_routes_declared_so_far():
    parent, child = BoltAPI(prefix="/p"), BoltAPI()

    @child.get("/")
    async def child_root():
        return {"child": True}

    child.mount_asgi("/a", scope_app)
    parent.mount("/c", child)

    @child.get("/late")
    async def late():
        return {}

    with TestClient(parent) as client:
        assert client.get("/p/c").json() == {"child": True}
        assert client.get("/p/c/a/z").json()["root_path"] == "/p/c/a"
        assert client.get("/p/c/late").status_code == 404


async def websocket_app(scope, receive, send):
    """Accepts, answers one message with its scope's paths, and closes."""
    await receive()
    await send({"type": "websocket.accept"})
    message = await receive()
    text = f"{scope['root_path']}|{scope['path']}|{message['text']}"
    await send({"type": "websocket.send", "text": text})
    await send({"type": "websocket.close", "code": 1000})


def test_a_websocket_handshake_under_a_mount_reaches_its_app():
    one = BoltAPI()
    one.mount_asgi("/live", websocket_app)
    with TestClient(one) as client, client.websocket_connect("/live/room") as websocket:
        websocket.send_text("hi")
        assert websocket.receive_text() == "/live|/live/room|hi"
