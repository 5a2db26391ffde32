"""Custom exception handlers (``BoltAPI(exception_handlers=...)`` and
``@api.exception_handler``) and the response-model failure answered from
``ResponseValidationError``, through TestClient and a real runbolt process (routes in
tests/bolt/project/namesapp)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
import support

from django_bolt import BoltAPI
from django_bolt.responses import JSON
from django_bolt.testing import TestClient

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from namesapp.api import api  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT, "--settings", "boltproj.settings_names") as server:
        yield server


@pytest.fixture(params=support.CLIENTS)
def client(request):
    with support.open_client(request, api) as client:
        yield client


def test_a_sync_handler_answers_its_exception(client):
    response = client.get("/names/stock/pen")
    assert response.status_code == 409
    assert response.json() == {"error": "out_of_stock", "sku": "pen"}
    assert response.headers["x-sku"] == "pen"


def test_a_subclass_is_answered_by_its_base_class_handler(client):
    response = client.get("/names/stock/old-pen")
    assert response.status_code == 409
    assert response.json()["sku"] == "old-pen"


def test_a_sync_route_raising_is_answered_too(client):
    assert client.get("/names/stock-sync/ink").json() == {"error": "out_of_stock", "sku": "ink"}


def test_an_async_handler_is_awaited(client):
    response = client.post("/names/pay")
    assert response.status_code == 402
    assert response.text == "payment failed: card declined"


def test_a_handler_replaces_the_answer_of_an_http_exception(client):
    response = client.get("/names/missing")
    assert response.status_code == 404
    assert response.json() == {"missing": "no such book"}


def test_a_handler_that_raises_is_a_clean_500(client):
    response = client.get("/names/broken")
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal Server Error"
    # The server keeps answering.
    assert client.get("/names/stock/pen").status_code == 409


def test_a_handler_returning_no_response_is_a_clean_500(client):
    response = client.get("/names/unanswered")
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal Server Error"


def test_an_exception_without_a_handler_is_the_usual_500(client):
    response = client.get("/names/unhandled")
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal Server Error"


def test_a_response_that_does_not_fit_its_model_is_a_500_from_response_validation_error(client):
    response = client.get("/names/bad-response")
    assert response.status_code == 500
    body = response.json()
    assert body["detail"] == "Response validation error"
    [error] = body["extra"]["validation_errors"]
    assert error["loc"] == ["response", "id"]
    assert "int" in error["msg"]
    nested = client.get("/names/bad-nested").json()
    assert nested["extra"]["validation_errors"][0]["loc"] == ["response", "1"]


def test_the_response_validation_failure_is_logged(caplog):
    with (
        caplog.at_level(logging.ERROR, logger="django_bolt"),
        TestClient(api, raise_server_exceptions=False) as client,
    ):
        client.get("/names/bad-response")
    assert any("did not match its response model" in r.getMessage() for r in caplog.records)


def test_a_handler_registered_after_the_route_applies():
    class Late(Exception):
        pass

    local = BoltAPI()

    @local.get("/late")
    async def late():
        raise Late()

    @local.exception_handler(Late)
    def answer(exc):
        return JSON({"late": True}, status_code=418)

    with TestClient(local) as client:
        response = client.get("/late")
    assert response.status_code == 418
    assert response.json() == {"late": True}


def test_a_handler_that_raises_reaches_the_test_with_raise_server_exceptions():
    with TestClient(api) as client, pytest.raises(RuntimeError, match="handler itself failed"):
        client.get("/names/broken")


def test_bad_registrations_fail_at_import_naming_the_fix():
    with pytest.raises(TypeError, match="must be a dict"):
        BoltAPI(exception_handlers=[ValueError])
    with pytest.raises(TypeError, match="Exception subclass"):
        BoltAPI(exception_handlers={"ValueError": lambda exc: None})
    with pytest.raises(TypeError, match=r"one argument: def handler\(exc\)"):
        BoltAPI(exception_handlers={ValueError: lambda request, exc: None})
    with pytest.raises(TypeError, match="must be callable"):
        BoltAPI().exception_handler(ValueError)("not callable")


def test_handlers_answer_inside_middleware_which_sees_their_response():
    from django_bolt import TimingMiddleware
    from django_bolt.exceptions import Conflict

    class Mine(Exception):
        pass

    local = BoltAPI(middleware=[TimingMiddleware])

    @local.exception_handler(Conflict)
    async def conflict(exc):
        return JSON({"conflict": exc.detail}, status_code=409)

    @local.exception_handler(Mine)
    def mine(exc):
        return JSON({"mine": True}, status_code=400)

    @local.get("/conflict")
    async def raises_conflict():
        raise Conflict("taken")

    @local.get("/mine")
    def raises_mine():
        raise Mine()

    with TestClient(local) as client:
        response = client.get("/conflict")
        assert response.status_code == 409
        assert response.json() == {"conflict": "taken"}
        assert "x-response-time" in response.headers  # made inside the middleware
        assert client.get("/mine").json() == {"mine": True}
