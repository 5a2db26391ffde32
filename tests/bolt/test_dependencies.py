"""Depends(): through TestClient and through a real runbolt process over HTTP/1.1 and
HTTP/2, against the same routes (tests/bolt/project/depsapp/api.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pytest
import support

from django_bolt import BoltAPI, Depends, HTTPException, Request
from django_bolt.routing import RouteDefinitionError, describe
from django_bolt.testing import TestClient

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from depsapp import api as depsapp  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT) as server:
        yield server


@pytest.fixture(params=["testclient", *support.PROTOCOLS])
def client(request):
    if request.param == "testclient":
        # As the servers: a handler's exception is its 500.
        opened = TestClient(depsapp.api, raise_server_exceptions=False)
    else:
        opened = support.make_client(request.getfixturevalue("server").base_url, request.param)
    with opened as client:
        client.delete("/deps/events")
        yield client


def recorded(client) -> dict:
    return client.get("/deps/events").json()


def test_spec_current_user_dependency_reads_request_auth(client):
    response = client.get("/deps/profile")
    assert response.status_code == 200
    assert response.json() == {"id": None, "username": "example"}


def test_generator_cleanup_runs_after_the_response_last_opened_first(client):
    response = client.get("/deps/session")
    assert response.status_code == 200
    assert response.json() == {"session": "session on db"}
    assert recorded(client)["events"] == [
        "db open",
        "session open",
        "handler",
        "session closed",
        "db closed",
    ]


def test_handler_error_is_thrown_into_generators_and_still_answers(client):
    response = client.get("/deps/session", params={"fail": "true"})
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal Server Error"
    # The sync generator does not catch it, so its code after `yield` does not run;
    # the async one sees it in `except` and closes in `finally`.
    assert recorded(client)["events"] == [
        "db open",
        "session open",
        "handler",
        "db saw RuntimeError",
        "db closed",
    ]


def test_sync_handler_with_generator_dependencies(client):
    response = client.get("/deps/session-sync")
    assert response.json() == {"session": "session on db"}
    response = client.get("/deps/session-sync", params={"fail": "true"})
    assert response.status_code == 409
    assert response.json() == {"detail": "conflict in handler"}
    assert recorded(client)["events"] == [
        "db open",
        "session open",
        "sync handler",
        "session closed",
        "db closed",
        "db open",
        "session open",
        "sync handler",
        "db saw HTTPException",
        "db closed",
    ]


def test_a_dependency_runs_once_per_request_unless_use_cache_is_false(client):
    assert client.get("/deps/cached").json() == {"base": 10, "twice": 20, "fresh": [1, 2]}
    assert recorded(client)["calls"] == {"settings": 1, "fresh": 2}
    # A new request computes them again.
    assert client.get("/deps/cached").json()["fresh"] == [3, 4]
    assert recorded(client)["calls"] == {"settings": 2, "fresh": 4}


def test_dependencies_read_request_and_plain_parameters(client):
    response = client.get(
        "/deps/params", params={"x_token": "q", "factor": "3"}, headers={"x-token": "h"}
    )
    assert response.json() == {"token": ["h", "q"], "factor": 3, "base": 30}
    response = client.get("/deps/params", params={"factor": "many"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "factor"]


def test_http_exception_in_a_dependency_is_the_response(client):
    response = client.get("/deps/admin")
    assert response.status_code == 403
    assert response.json() == {"detail": "Admins only"}
    assert response.headers["x-denied"] == "yes"
    assert client.get("/deps/admin", headers={"x-role": "admin"}).json() == {"role": "admin"}


def test_sync_handler_dependencies_run_in_its_worker_thread(client):
    assert client.get("/deps/threads").json() == {"same": True}
    assert client.get("/deps/sync-handler-async-dependency").json() == {"value": 20}


def test_request_user_and_auth_defaults_and_are_settable(client):
    answer = client.get("/deps/user").json()
    assert answer.pop("user_class") in (
        # The server's project installs django.contrib.auth; in this process Django
        # may not be set up, and the stand-in is used.
        "django.contrib.auth.models.AnonymousUser",
        *(("django_bolt.auth.users.AnonymousUser",) if isinstance(client, TestClient) else ()),
    )
    assert answer == {"authenticated": False, "auth": {"user_id": 7}, "dependency_saw": None}


class Pagination:
    def __init__(self, page: int = 1, size: int = 10):
        self.page, self.size = page, size


def test_dependency_without_a_function_uses_the_annotated_class():
    api = BoltAPI()

    @api.get("/pages")
    async def pages(paging: Annotated[Pagination, Depends()]):
        return {"page": paging.page, "size": paging.size}

    with TestClient(api) as client:
        assert client.get("/pages", params={"page": "3"}).json() == {"page": 3, "size": 10}


def test_dependency_errors_fail_at_declaration():
    def first(other=Depends(lambda: 1), *rest):
        return other

    def loop_a(b=Depends(lambda: None)):
        return b

    def loop_b(a=Depends(loop_a)):
        return a

    loop_a.__defaults__ = (Depends(loop_b),)

    with pytest.raises(RouteDefinitionError, match=r"\*args"):
        BoltAPI().get("/a")(_handler_with(first))
    cycle = r"dependency cycle: \S*loop_a -> \S*loop_b -> \S*loop_a$"
    with pytest.raises(RouteDefinitionError, match=cycle):
        BoltAPI().get("/b")(_handler_with(loop_a))
    with pytest.raises(RouteDefinitionError, match="needs a callable"):
        BoltAPI().get("/c")(_handler_with(42))


def _handler_with(dependency):
    async def handler(value=Depends(dependency)):
        return {}

    return handler


def test_routes_without_dependencies_keep_the_direct_call():
    api = BoltAPI()

    @api.get("/plain")
    async def plain(request: Request):
        return {}

    @api.get("/depending")
    async def depending(value=Depends(lambda: 1)):
        return {}

    plain_route, depending_route = (describe(route, debug=False) for route in api.routes)
    assert plain_route["handler"] is plain
    assert depending_route["handler"] is not depending
    # Only a route whose dependencies ask for the Request makes Rust build one.
    assert depending_route["request_param"] is None


def test_what_a_generator_does_with_the_handler_error_decides_the_response():
    api = BoltAPI()

    def swallows():
        try:
            yield "swallowing"
        except RuntimeError:
            pass

    async def replaces():
        try:
            yield "replacing"
        except RuntimeError as exc:
            raise HTTPException(503, f"replaced {exc}") from exc

    @api.get("/swallowed")
    async def swallowed(value=Depends(swallows)):
        raise RuntimeError("boom")

    @api.get("/replaced")
    def replaced(value=Depends(replaces)):
        raise RuntimeError("boom")

    with TestClient(api, raise_server_exceptions=False) as client:
        # Swallowing does not make a response appear: the handler's error still answers.
        assert client.get("/swallowed").status_code == 500
        response = client.get("/replaced")
        assert response.status_code == 503
        assert response.json() == {"detail": "replaced boom"}
