"""The benchmark's BoltAPI endpoints (benches/project/benchproj/api.py) pass the check
benches/run.py makes of every API framework before measuring it, through TestClient and
through the bench project's runbolt over a real socket; and they refuse each bad input
with the 422 body bolt users rely on."""

from __future__ import annotations

import importlib.util
import sys

import pytest
import support

from django_bolt.testing import TestClient

BENCHES = support.REPO_ROOT / "benches"
sys.path.insert(0, str(BENCHES / "project"))

from benchproj.api import api  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_run", BENCHES / "run.py")
run = sys.modules["bench_run"] = importlib.util.module_from_spec(_spec)  # for its dataclasses
_spec.loader.exec_module(run)

BOLT_SCENARIOS = [s for s in run.SCENARIOS if s.name.startswith("bolt-") and s.endpoint]
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def server():
    # The bench project installs DRF and routes Ninja next to bolt: the bench extra.
    missing = [name for name in ("rest_framework", "ninja") if not importlib.util.find_spec(name)]
    if missing:
        pytest.skip(f"not installed (the bench extra): {', '.join(missing)}")
    with support.serve_django(BENCHES / "project") as server:
        yield server


@pytest.fixture(params=["testclient", *support.PROTOCOLS])
def send(request):
    """run.Send through TestClient or httpx (which name raw request bytes differently)."""
    if request.param == "testclient":
        opened, raw_body = TestClient(api), "data"
    else:
        base_url = request.getfixturevalue("server").base_url
        opened, raw_body = support.make_client(base_url, request.param), "content"
    with opened as client:

        def send(path: str, body: bytes | None, headers: tuple[str, ...] = ()):
            sent = dict(header.split(": ", 1) for header in headers)
            if body is None:
                response = client.get(path, headers=sent)
            else:
                response = client.post(path, headers={**JSON, **sent}, **{raw_body: body})
            return response.status_code, response.content

        yield send


@pytest.mark.parametrize("scenario", BOLT_SCENARIOS, ids=lambda s: s.name)
def test_bench_endpoint_passes_the_framework_check(send, scenario):
    assert run.check_endpoint(send, scenario) is None


ITEM_SCENARIOS = [s for s in BOLT_SCENARIOS if s.name.endswith("-item")]


@pytest.mark.parametrize("scenario", ITEM_SCENARIOS, ids=lambda s: s.name)
def test_bad_input_is_422_naming_the_field(scenario):
    with TestClient(api) as client:
        for path, body in scenario.endpoint.bad:
            if body is None:
                response = client.get(path)
            else:
                response = client.post(path, headers=JSON, data=body)
            assert response.status_code == 422, (path, body)
            [error] = response.json()["detail"]
            assert error["loc"][0] in ("query", "body"), error


def test_check_reports_a_framework_that_answers_differently():
    """The check can fail: a route answering other JSON, or accepting bad input."""
    get_item, post_item = ITEM_SCENARIOS
    with TestClient(api) as client:

        def send(path: str, body: bytes | None, headers=()) -> tuple[int, bytes]:
            # Every request as the measured GET: the POST's JSON differs, bad input passes.
            response = client.get(get_item.path)
            return response.status_code, response.content

        assert "not the expected JSON" in run.check_endpoint(send, post_item)
        assert "not one of (400, 422)" in run.check_endpoint(send, get_item)


def test_the_jwt_endpoint_refuses_a_missing_or_forged_token():
    [jwt_me] = [s for s in BOLT_SCENARIOS if s.name == "bolt-jwt-me"]
    forged = run.BENCH_TOKEN[:-2] + ("AA" if not run.BENCH_TOKEN.endswith("AA") else "BB")
    with TestClient(api) as client:
        assert client.get(jwt_me.path).status_code == 401
        bad = client.get(jwt_me.path, headers={"Authorization": f"Bearer {forged}"})
        assert bad.json() == {"detail": "Token signature is invalid"}


@pytest.mark.parametrize("scenario", run.REJECTIONS, ids=lambda s: s.name)
def test_rejection_scenario_gets_its_status(server, scenario):
    # As run.py checks before measuring: the second answer has the scenario's status.
    for _ in range(2):
        status, answer = run.http_request(
            "http", server.port, scenario.path, None, scenario.headers, scenario.method
        )
    assert status == scenario.status, answer
    if status != 204:
        assert isinstance(run.json_or_none(answer), dict)


def test_the_django_middleware_scenario_runs_the_default_stack(server):
    """bolt-django-mw's route answers the bolt route's JSON behind Django's MIDDLEWARE
    (their headers are on it), over a real socket; the plain route stays without."""
    [scenario] = [s for s in run.SCENARIOS if s.name == "bolt-django-mw"]
    with support.make_client(server.base_url, "http1") as client:
        behind = client.get(scenario.path)
        plain = client.get("/")
    assert behind.status_code == 200
    assert behind.json() == plain.json() == {"message": "hello"}
    assert behind.headers["x-frame-options"] == "DENY"  # XFrameOptionsMiddleware
    assert behind.headers["x-content-type-options"] == "nosniff"  # SecurityMiddleware
    assert "x-frame-options" not in plain.headers
