"""``BoltAPI(django_middleware=...)``: the project's Django middleware (sessions,
authentication, CSRF, the project's own) around Bolt routes, through TestClient and a
real runbolt process over HTTP/1.1 and HTTP/2 (routes: project/djmwapp)."""

from __future__ import annotations

import signal
import sys
import time
from types import SimpleNamespace

import httpx
import pytest
import support

from django_bolt import BoltAPI, DjangoMiddleware
from django_bolt.middleware import (
    DEFAULT_EXCLUDED_MIDDLEWARE,
    Chain,
    DjangoMiddlewareStack,
    get_django_middleware_setting,
    load_django_middleware,
)
from django_bolt.routing import describe
from django_bolt.testing import TestClient

sys.path.insert(0, str(support.BOLT_PROJECT_DIR))

PASSWORD = "auth-tests-password-1"  # authapp's seed_auth_users


@pytest.fixture(scope="module")
def djmw(django_project):
    """The project's modules: ``api`` and ``plain`` (djmwapp), ``listed`` (djmwlisted)."""
    from djmwapp import api
    from djmwlisted import api as listed

    return SimpleNamespace(api=api.api, plain=api.plain, listed=listed.api, Stamp=listed.Stamp)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database = support.migrated_database(tmp_path_factory.mktemp("db"), "seed_auth_users")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        settings = ("--settings", "boltproj.settings_djmw")
        with support.serve_django(support.BOLT_PROJECT_DIR, *settings) as served:
            yield served


@pytest.fixture(params=["testclient", *support.PROTOCOLS])
def client(request, djmw):
    if request.param == "testclient":
        apis = [djmw.api, djmw.listed, djmw.plain]
        opened = TestClient(apis, raise_server_exceptions=False)
    else:
        opened = support.make_client(request.getfixturevalue("server").base_url, request.param)
    with opened as client:
        yield client


def login(client) -> dict[str, str]:
    """A session of the seeded user rita, logged in through a Django view."""
    credentials = {"username": "rita", "password": PASSWORD}
    if isinstance(client, TestClient):
        from django.test import Client

        django_client = Client()
        response = django_client.post("/django/login", credentials, content_type="application/json")
        assert response.status_code == 200
        return {name: morsel.value for name, morsel in django_client.cookies.items()}
    response = httpx.post(f"{client.base_url}/django/login", json=credentials)
    assert response.status_code == 200, response.text
    return dict(response.cookies)


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def test_anonymous_request_user_and_session(client):
    response = client.get("/djmw/whoami")
    assert response.status_code == 200
    assert response.json() == {"username": None, "authenticated": False, "has_session": True}
    assert client.get("/djmw/whoami-sync").json() == {"username": None, "authenticated": False}


def test_logged_in_user_reaches_async_and_sync_handlers(client):
    headers = cookie_header(login(client))
    assert client.get("/djmw/whoami", headers=headers).json()["username"] == "rita"
    assert client.get("/djmw/whoami-sync", headers=headers).json() == {
        "username": "rita",
        "authenticated": True,
    }


@pytest.mark.parametrize("path", ["/djmw/count", "/djmw/count-async"])
def test_session_is_saved_and_its_cookie_set(client, path):
    first = client.get(path)
    assert first.json() == {"n": 1}
    session_cookie = first.headers["set-cookie"]
    assert session_cookie.startswith("sessionid=")
    assert "vary" in {k.lower() for k in first.headers}
    sessionid = session_cookie.split(";")[0].split("=", 1)[1]
    second = client.get(path, headers={"Cookie": f"sessionid={sessionid}"})
    assert second.json() == {"n": 2}


def test_csrf_refuses_an_unsafe_request_without_token(client):
    cookies = login(client)
    refused = client.post("/djmw/write", headers=cookie_header(cookies))
    assert refused.status_code == 403
    assert b"CSRF" in refused.content
    headers = {**cookie_header(cookies), "X-CSRFToken": cookies["csrftoken"]}
    if not isinstance(client, TestClient):
        headers["Referer"] = f"{client.base_url}/"
    accepted = client.post("/djmw/write", headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"written": True}
    # @csrf_exempt on the handler counts, as on a Django view.
    assert client.post("/djmw/exempt", headers=cookie_header(cookies)).status_code == 200


def test_attributes_headers_and_cookies_of_project_middleware(client):
    response = client.get("/djmw2/tagged", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert response.json() == {
        "tenant": "acme",
        "language": "fr",  # LocaleMiddleware's, from Accept-Language
        "active_language": "fr",
        "stamp": "on",
        "in_state": "acme",
        "username": None,
        "authenticated": False,
    }
    assert response.headers["x-tag"] == "seen"
    assert response.headers["x-stamp"] == "acme"  # a Bolt middleware inside reads it too
    assert "tagged=yes" in response.headers["set-cookie"]
    assert response.headers["content-language"] == "fr"
    assert "Accept-Language" in response.headers["vary"]
    assert response.headers["x-secure"] == "False"
    assert response.headers["x-remote"] == "127.0.0.1"  # REMOTE_ADDR: the client's
    # A handler that does not take the Request still runs behind them.
    assert client.get("/djmw2/no-request").headers["x-tag"] == "seen"


def test_a_middleware_answer_is_sent_as_it_is(client):
    denied = client.get("/djmw2/tagged", params={"gate": "deny"})
    assert denied.status_code == 403
    assert denied.json() == {"detail": "gate closed"}
    assert denied.headers["x-tag"] == "seen"  # the outer middleware still saw it
    away = client.get("/djmw2/tagged", params={"gate": "away"})
    assert away.status_code == 302
    assert away.headers["location"] == "/elsewhere"


def test_handler_error_is_bolts_500_and_keeps_the_worker(client):
    response = client.get("/djmw/boom")
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal Server Error"
    assert client.get("/djmw/whoami").status_code == 200


def test_bad_path_is_a_plain_404(client):
    assert client.get("/djmw/nope").status_code == 404


def test_plain_routes_keep_the_direct_call(djmw):
    (plain,) = djmw.plain.routes
    assert describe(plain, False)["handler"] is plain.handler
    described = describe(djmw.api.routes[0], False)
    assert isinstance(described["handler"], Chain)


def test_loading_the_middleware_setting(djmw):
    assert get_django_middleware_setting()[0].endswith("SessionMiddleware")
    (stack,) = load_django_middleware(True)
    assert isinstance(stack, DjangoMiddlewareStack)
    assert "CsrfViewMiddleware" in stack.names()
    (only,) = load_django_middleware(
        {"include": ["django.contrib.sessions.middleware.SessionMiddleware"]}
    )
    assert only.names() == {"SessionMiddleware"}
    assert load_django_middleware(False) == []
    assert "django.middleware.gzip.GZipMiddleware" in DEFAULT_EXCLUDED_MIDDLEWARE


def test_bad_configuration_fails_when_the_api_is_made(djmw):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="dotted paths"):
        BoltAPI(django_middleware=[123])
    with pytest.raises(ImproperlyConfigured, match="'include' and 'exclude'"):
        BoltAPI(django_middleware={"only": []})
    with pytest.raises(ImportError):
        BoltAPI(django_middleware=["djmwapp.middleware.Missing"])
    with pytest.raises(TypeError, match="pass the class itself"):
        BoltAPI(middleware=[djmw.Stamp(None)])
    with pytest.raises(TypeError, match="not the function"):
        BoltAPI(middleware=[lambda request: None])


def test_django_middleware_wrapper_in_middleware_list(djmw):
    from djmwapp.middleware import TagMiddleware

    api = BoltAPI(middleware=[DjangoMiddleware(TagMiddleware)])

    @api.get("/t")
    async def t(request):
        return {"tenant": request.tenant}

    with TestClient(api) as client:
        response = client.get("/t")
    assert response.json() == {"tenant": "acme"}
    assert response.headers["x-tag"] == "seen"


# ---- over TLS: Django sees the scheme and the client -------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    sys.path.insert(0, str(support.TESTS_DIR / "transport"))
    import certs as test_certs

    certs = test_certs.make(tmp_path_factory.mktemp("certs"))
    database = support.migrated_database(tmp_path_factory.mktemp("db"), "seed_auth_users")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        options = ("--settings", "boltproj.settings_djmw")
        options += ("--cert", str(certs.cert), "--key", str(certs.key))
        with support.serve_django(support.BOLT_PROJECT_DIR, *options) as server:
            server.base_url = server.base_url.replace("http://", "https://")
            server.ca = certs.ca
            yield server


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_csrf_over_https_compares_the_https_origin(tls_server, protocol):
    origin = tls_server.base_url
    with support.make_client(origin, protocol, verify=tls_server.verify) as client:
        credentials = {"username": "rita", "password": PASSWORD}
        cookies = dict(client.post("/django/login", json=credentials).cookies)
        headers = {**cookie_header(cookies), "X-CSRFToken": cookies["csrftoken"]}
        same_site = client.post("/djmw/write", headers={**headers, "Origin": origin})
        assert same_site.status_code == 200, same_site.text
        insecure = origin.replace("https://", "http://")
        downgraded = client.post("/djmw/write", headers={**headers, "Origin": insecure})
        assert downgraded.status_code == 403
        seen = client.get("/djmw2/tagged").headers
        assert (seen["x-secure"], seen["x-remote"]) == ("True", "127.0.0.1")


def test_handlers_behind_django_middleware_run_on_the_servers_loop(client):
    """The stack runs on a thread; the layers inside come back to the server's loop."""
    behind = client.get("/djmw/loop")
    assert behind.headers["vary"]  # the middleware ran
    direct = client.get("/djmw/loop-direct")
    assert "vary" not in direct.headers  # @skip_middleware("*"): the direct call
    assert behind.json() == direct.json()


def test_shutdown_cuts_a_request_waiting_behind_django_middleware(tmp_path):
    """A handler still running at the end of the grace period is cancelled, and the
    stack's thread, waiting for it, lets the process exit."""
    database = support.migrated_database(tmp_path, "seed_auth_users")
    options = ("--settings", "boltproj.settings_djmw", "--shutdown-grace", "0.3")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        with support.serve_django(support.BOLT_PROJECT_DIR, *options) as server:
            sock = support.connect(server.address)
            sock.sendall(b"GET /djmw/slow?seconds=30 HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.5)
            server.process.send_signal(signal.SIGTERM)
            assert server.process.wait(10) == 0
            sock.close()
    assert "request GET /djmw/slow cancelled at shutdown" in server.stderr()


def test_custom_exception_handler_answers_behind_django_middleware(djmw):
    from django_bolt import JSON

    async def teapot(exc):
        return JSON({"detail": str(exc)}, status_code=418)

    api = BoltAPI(
        django_middleware=["django.contrib.sessions.middleware.SessionMiddleware"],
        exception_handlers={ValueError: teapot},
    )

    @api.get("/value")
    async def value():
        raise ValueError("no tea")

    with TestClient(api) as client:
        response = client.get("/value")
    assert (response.status_code, response.json()) == (418, {"detail": "no tea"})
