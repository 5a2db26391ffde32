"""Modules and names code written for the original django-bolt imports:
``django_bolt.types``, ``.cookies``, ``.health``, ``.shortcuts.render``,
``.dependencies.resolve_dependency``/``call_dependency``, ``OpenAPIConfig(django_auth=)``
and the root names, through TestClient and a real runbolt process (routes in
tests/bolt/project/namesapp)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args, get_origin

import pytest
import support

import django_bolt
from django_bolt import BoltAPI, Depends, OpenAPIConfig, Request, types
from django_bolt.cookies import Cookie, make_delete_cookie
from django_bolt.dependencies import call_dependency, resolve_dependency
from django_bolt.health import HealthCheck, health_handler
from django_bolt.testing import TestClient
from django_bolt.types import JWTClaims, UserType

PROJECT = Path(__file__).resolve().parent / "project"
TEMPLATES = PROJECT / "namesapp" / "templates"
sys.path.insert(0, str(PROJECT))

from namesapp.api import api  # noqa: E402

# ---- types ------------------------------------------------------------------------


def test_types_request_is_the_request_a_handler_receives():
    assert types.Request is Request
    assert django_bolt.RequestProtocol is Request
    local = BoltAPI()

    @local.get("/method")
    async def method(request: types.Request):
        return {"method": request.method}

    with TestClient(local) as client:
        assert client.get("/method").json() == {"method": "GET"}


def test_the_generic_request_annotation_receives_the_request():
    alias = Request[UserType, JWTClaims, dict]
    assert get_origin(alias) is Request
    assert get_args(alias) == (UserType, JWTClaims, dict)
    local = BoltAPI()

    @local.get("/who")
    async def who(req: Request[UserType, JWTClaims, dict]):
        return {"path": req.path, "anonymous": req.user.is_anonymous}

    with TestClient(local) as client:
        assert client.get("/who").json() == {"path": "/who", "anonymous": True}


def test_types_protocols_and_typed_dicts(django_project):
    from django.contrib.auth.models import User

    from django_bolt.types import (
        APIKeyAuth,
        AuthContext,
        DjangoModel,
        JWTClaims,
        MiddlewareResponse,
        TimingState,
        TracingState,
        UserType,
    )

    assert isinstance(User(username="ada"), DjangoModel)
    assert not isinstance(object(), DjangoModel)
    assert django_bolt.UserType is UserType and django_bolt.DjangoModel is DjangoModel
    claims: JWTClaims = {"sub": "1", "exp": 2}
    assert claims["sub"] == "1"
    for typed in (JWTClaims, MiddlewareResponse, TimingState, TracingState):
        assert typed.__total__ is False
    # APIKeyAuth is request.auth as an API key fills it: every key is always there.
    assert APIKeyAuth.__total__ is True
    assert set(APIKeyAuth.__annotations__) >= {"backend", "user_id", "permissions"}
    assert "user_id" in AuthContext.__annotations__


# ---- cookies ----------------------------------------------------------------------


def test_cookie_header_values():
    assert Cookie("theme", "dark").to_header_value() == "theme=dark; Path=/; SameSite=Lax"
    full = Cookie(
        "sid",
        "a b",
        max_age=60,
        expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="Strict",
    ).to_header_value()
    assert full.startswith('sid="a b"; ')
    for part in (
        "expires=Wed, 02 Jan 2030 03:04:05 GMT",
        "Max-Age=60",
        "Domain=example.com",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
    ):
        assert part in full
    assert "SameSite" not in Cookie("a", "b", samesite=False).to_header_value()
    assert django_bolt.Cookie is Cookie


def test_make_delete_cookie_expires_and_keeps_secure_for_prefixed_names():
    gone = make_delete_cookie("sid", path="/app", domain="example.com")
    assert (gone.value, gone.max_age, gone.path, gone.domain) == ("", 0, "/app", "example.com")
    assert "01 Jan 1970" in gone.to_header_value() and not gone.secure
    assert make_delete_cookie("__Host-sid").secure


# ---- dependencies -----------------------------------------------------------------


def test_resolve_dependency_resolves_sub_dependencies_values_and_cache():
    calls = []

    def base(factor: int = 2) -> int:
        calls.append("base")
        return 10 * factor

    def total(value: int = Depends(base), extra: int = 0) -> int:
        return value + extra

    async def scenario():
        cache: dict = {}
        assert await resolve_dependency(total, extra=1, cache=cache) == 21
        assert await resolve_dependency(Depends(base), cache=cache) == 20
        assert calls == ["base"]  # the second came from the cache
        assert await call_dependency(base, factor=3) == 30
        with pytest.raises(TypeError, match="needs amount"):
            await call_dependency(lambda amount: amount)

        def opened():
            yield 1

        with pytest.raises(TypeError, match="generator"):
            await call_dependency(opened)

    asyncio.run(scenario())


# ---- health -----------------------------------------------------------------------


def test_health_check_runs_sync_and_async_checks_and_reports_failures():
    async def redis():
        return True, "Redis OK"

    def queue():
        return False, "queue full"

    def broken():
        raise RuntimeError("boom")

    async def slow():
        await asyncio.sleep(5)

    checks = HealthCheck()
    for check in (redis, queue, broken, slow):
        checks.add_check(check)
    results = asyncio.run(checks.run_checks(timeout=0.2))
    assert results["status"] == "unhealthy"
    assert results["checks"]["redis"] == {"healthy": True, "message": "Redis OK"}
    assert results["checks"]["queue"] == {"healthy": False, "message": "queue full"}
    assert results["checks"]["broken"]["message"] == "Check failed: boom"
    assert "timed out" in results["checks"]["slow"]["message"]
    assert asyncio.run(health_handler()) == {"status": "ok"}
    with pytest.raises(TypeError, match="callable"):
        checks.add_check("not a check")


# ---- OpenAPIConfig(django_auth=) --------------------------------------------------


def test_django_auth_refuses_what_is_not_a_decorator():
    with pytest.raises(TypeError, match="staff_member_required"):
        OpenAPIConfig(django_auth="yes")


def _docs_api(django_auth):
    local = BoltAPI(openapi_config=OpenAPIConfig(django_auth=django_auth))

    @local.get("/ping")
    async def ping():
        return {"pong": True}

    return local


def test_django_auth_true_sends_anonymous_clients_to_the_login_page(django_project):
    with TestClient(_docs_api(True), follow_redirects=False) as client:
        for path in ("/docs", "/docs/openapi.json"):
            response = client.get(path)
            assert response.status_code == 302
            assert response.headers["location"] == f"/accounts/login/?next={path}"


def test_django_auth_serves_the_docs_to_a_logged_in_session(django_project):
    from django.contrib.auth.decorators import user_passes_test
    from django.contrib.auth.models import User
    from django.test import Client

    user = User.objects.get(username="ann")
    browser = Client()
    browser.force_login(user)
    session = browser.cookies["sessionid"].value
    with TestClient(_docs_api(True), cookies={"sessionid": session}) as client:
        assert client.get("/docs/openapi.json").json()["paths"]["/ping"]
    staff_only = _docs_api(user_passes_test(lambda u: u.is_staff, login_url="/staff-login/"))
    with TestClient(staff_only, cookies={"sessionid": session}, follow_redirects=False) as client:
        refused = client.get("/docs")
        assert refused.status_code == 302
        assert refused.headers["location"] == "/staff-login/?next=/docs"


# ---- render and the rest over TestClient and a real socket -------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    flag = tmp_path_factory.mktemp("flag") / "down"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NAMES_DOWN_FILE", str(flag))
        with support.serve_django(PROJECT, "--settings", "boltproj.settings_names") as server:
            server.flag = flag
            yield server


@pytest.fixture(params=["testclient", *support.PROTOCOLS])
def client(request, django_project):
    from django.test import override_settings

    if request.param == "testclient":
        templates = [
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [TEMPLATES]}
        ]
        with override_settings(TEMPLATES=templates), TestClient(api) as client:
            yield client
    else:
        base_url = request.getfixturevalue("server").base_url
        with support.make_client(base_url, request.param) as client:
            yield client


def test_render_answers_the_template_as_html(client):
    response = client.get("/names/page", params={"title": "Books & more"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.strip() == (
        "<h1>Books &amp; more</h1><p>/names/page</p><ul><li>a</li><li>&lt;b&gt;</li></ul>"
    )
    assert client.get("/names/teapot-page").status_code == 418


def test_cookies_reach_the_client(client):
    response = client.get("/names/cookies")
    cookies = response.headers.get_list("set-cookie")
    assert "theme=dark; HttpOnly; Max-Age=60; Path=/; SameSite=Lax" in cookies
    assert any(c.startswith("__Host-old=") and "Secure" in c for c in cookies)
    assert "lang=fr; Path=/; SameSite=Lax" in cookies


def test_dependencies_resolve_inside_a_handler(client):
    response = client.get("/names/resolved", headers={"x-tenant": "acme"})
    assert response.json() == {"greeting": "hello acme?", "tenant": "acme", "cached": 2}


def test_django_auth_docs_redirect_anonymous_clients(client):
    response = client.get("/docs/openapi.json", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/accounts/login/?next=/docs/openapi.json"


def test_registered_health_routes(client):
    assert client.get("/names/health").json() == {"status": "ok"}
    ready = client.get("/names/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["check_database"]["healthy"] is True


def test_the_projects_checks_run_on_ready(server):
    with support.make_client(server.base_url, "http1") as client:
        ready = client.get("/ready")
        assert ready.status_code == 200
        body = ready.json()
        assert body["databases"] == {"default": "ok"}
        assert body["checks"] == {"flag_file_check": {"healthy": True, "message": "up"}}
        server.flag.write_text("down")
        try:
            down = client.get("/ready")
            assert down.status_code == 503
            assert down.json()["status"] == "unavailable"
            assert down.json()["checks"]["flag_file_check"]["message"] == "flag file says down"
            registered = client.get("/names/ready")
            assert registered.status_code == 503
            assert registered.json()["status"] == "unhealthy"
        finally:
            server.flag.unlink()
        assert client.get("/ready").status_code == 200
