"""SessionAuthentication: users log in through a Django view (``django.contrib.auth.login``,
a real session in the project's SQLite database), then call the Bolt routes of
``project/sessionapp/api.py`` with the session cookie, through TestClient and a real
runbolt process over HTTP/1.1 and HTTP/2, and WebSocket routes through TestClient and
the ``websockets`` library."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import httpx
import jwt as pyjwt
import pytest
import support
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from django_bolt import BoltAPI, IsStaff, OpenAPIConfig, SessionAuthentication
from django_bolt.testing import TestClient
from django_bolt.testing_websocket import WebSocketRejected

sys.path.insert(0, str(support.TESTS_DIR / "transport"))
import certs as test_certs  # noqa: E402

PASSWORD = "auth-tests-password-1"  # authapp's seed_auth_users
JWT_SECRET = "tests-only-jwt-secret-" + "x" * 48  # the project's BOLT_JWT_SECRET
CHALLENGE = 'Session cookie="sessionid"'
UNAUTHENTICATED = {"detail": "Authentication credentials were not provided"}
EVIL_ORIGIN = "https://evil.example"


@dataclass
class Session:
    """A logged-in user's cookies, sent as a Cookie header."""

    cookies: dict[str, str]

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}

    @property
    def csrf(self) -> dict[str, str]:
        """The headers of an unsafe request that passes Django's CSRF check."""
        return {**self.headers, "X-CSRFToken": self.cookies["csrftoken"]}


@pytest.fixture(scope="module")
def project_api(django_project):
    from sessionapp.api import api

    return api


@pytest.fixture
def client(project_client):
    return project_client


def django_post(
    client, path: str, payload: dict | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict, dict[str, str]]:
    """POST JSON to a Django view (which TestClient does not serve): in this process
    with Django's test client beside a TestClient, over HTTP/1.1 beside a server."""
    if isinstance(client, TestClient):
        from django.test import Client

        django_client = Client()
        response = django_client.post(
            path, payload or {}, content_type="application/json", headers=headers
        )
        cookies = {name: morsel.value for name, morsel in django_client.cookies.items()}
        return response.status_code, response.json(), cookies
    response = httpx.post(f"{client.base_url}{path}", json=payload or {}, headers=headers)
    return response.status_code, response.json(), dict(response.cookies)


def login(client, username: str) -> Session:
    credentials = {"username": username, "password": PASSWORD}
    status, body, cookies = django_post(client, "/django/login", credentials)
    assert status == 200, body
    assert {"sessionid", "csrftoken"} <= set(cookies)
    return Session(cookies)


def origin_of(client) -> str:
    return "http://testserver" if isinstance(client, TestClient) else str(client.base_url)


# ---- who the session names -----------------------------------------------------------


def test_the_logged_in_user_is_request_user(client):
    session = login(client, "rita")
    me = client.get("/sess/me", headers=session.headers)
    assert me.status_code == 200
    assert me.json()["username"] == "rita"
    auth = me.json()["auth"]
    assert auth["backend"] == "session"
    assert (auth["is_staff"], auth["is_superuser"], auth["claims"]) == (False, False, None)
    synced = client.get("/sess/me-sync", headers=session.headers).json()
    assert synced == {"username": "rita", "user_id": int(auth["user_id"])}
    # Handlers that do not take the Request, and dependencies that do.
    assert client.get("/sess/ping", headers=session.headers).json() == {"pong": True}
    assert client.get("/sess/profile", headers=session.headers).json() == {"username": "rita"}


def test_no_forged_or_logged_out_session_is_a_401_like_rusts(client):
    for path in ("/sess/me", "/sess/ping", "/sess/me-sync"):
        without = client.get(path)  # refused in Rust: no credentials
        forged = client.get(path, headers={"Cookie": "sessionid=forged0000000000000000000000"})
        for response in (without, forged):
            assert response.status_code == 401
            assert response.json() == UNAUTHENTICATED
            assert response.headers["www-authenticate"] == CHALLENGE
    session = login(client, "ann")
    assert client.get("/sess/me", headers=session.headers).status_code == 200
    status, _, _ = django_post(client, "/django/logout", headers=session.headers)
    assert status == 200
    after = client.get("/sess/me", headers=session.headers)
    assert (after.status_code, after.json()) == (401, UNAUTHENTICATED)


def test_a_password_change_ends_the_session(project_api):
    from django.contrib.auth import get_user_model

    users = get_user_model()
    users.objects.filter(username="pat").delete()
    pat = users.objects.create_user("pat", password=PASSWORD)
    with TestClient(project_api) as client:
        session = login(client, "pat")
        assert client.get("/sess/me", headers=session.headers).status_code == 200
        pat.set_password("another-password-2")
        pat.save()
        assert client.get("/sess/me", headers=session.headers).status_code == 401


def test_anonymous_on_allow_any(client):
    anonymous = {"authenticated": False, "auth": {}}
    assert client.get("/sess/optional").json() == anonymous
    forged = client.get("/sess/optional", headers={"Cookie": "sessionid=nope"})
    assert forged.json() == anonymous
    signed_in = client.get("/sess/optional", headers=login(client, "sam").headers).json()
    assert signed_in["authenticated"] is True
    assert signed_in["auth"]["is_staff"] is True


# ---- guards against the user in the database ------------------------------------------


def test_staff_and_superuser_guards(client):
    ann, sam, root = login(client, "ann"), login(client, "sam"), login(client, "root")
    assert client.get("/sess/staff", headers=sam.headers).json() == {"staff": True}
    denied = client.get("/sess/staff", headers=ann.headers)
    assert (denied.status_code, denied.json()) == (403, {"detail": "Staff access required"})
    deleted = client.delete("/sess/admin/7", headers=root.csrf)
    assert deleted.json() == {"deleted": 7}
    not_admin = client.delete("/sess/admin/7", headers=sam.csrf)
    assert not_admin.status_code == 403
    assert not_admin.json() == {"detail": "Admin (superuser) access required"}


def test_permission_guards_use_django_has_perm(client):
    rita, ann, root = login(client, "rita"), login(client, "ann"), login(client, "root")
    granted = client.get("/sess/reports", headers=rita.headers)
    assert granted.json() == {"permissions": ["reports.view"]}
    denied = client.get("/sess/reports", headers=ann.headers)
    assert denied.status_code == 403
    assert denied.json() == {
        "detail": "One of the permissions 'reports.view', 'reports.export' required"
    }
    export = client.get("/sess/reports/export", headers=rita.headers)
    assert export.json() == {"detail": "Permission 'reports.export' required"}
    partial = client.get("/sess/reports/all", headers=rita.headers)
    assert partial.json() == {
        "detail": "All of the permissions 'reports.view', 'reports.export' required"
    }
    # A superuser has every permission, as in Django.
    assert client.get("/sess/reports/all", headers=root.headers).json() == {"all": True}


# ---- CSRF -----------------------------------------------------------------------------


def test_unsafe_methods_need_the_csrf_token(client):
    session = login(client, "ann")
    note = {"text": "hello"}
    missing = client.post("/sess/notes", json=note, headers=session.headers)
    assert (missing.status_code, missing.json()) == (
        403,
        {"detail": "CSRF Failed: CSRF token missing."},
    )
    wrong = client.post(
        "/sess/notes", json=note, headers={**session.headers, "X-CSRFToken": "x" * 32}
    )
    assert wrong.json() == {
        "detail": "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."
    }
    no_cookie = {"Cookie": f"sessionid={session.cookies['sessionid']}", "X-CSRFToken": "x" * 32}
    refused = client.post("/sess/notes", json=note, headers=no_cookie)
    assert refused.json() == {"detail": "CSRF Failed: CSRF cookie not set."}
    accepted = client.post("/sess/notes", json=note, headers=session.csrf)
    assert accepted.json() == {"text": "hello", "by": "ann"}
    put = client.put("/sess/notes/3", json=note, headers=session.headers)
    assert put.status_code == 403
    assert client.put("/sess/notes/3", json=note, headers=session.csrf).json()["id"] == 3


def test_the_token_comes_in_the_header_never_from_the_body(client):
    session = login(client, "ann")
    upload = {"files": {"file": ("a.txt", b"abc")}}
    accepted = client.post("/sess/upload", data={"title": "t"}, headers=session.csrf, **upload)
    assert accepted.json() == {"title": "t", "size": 3}
    in_the_form = {"title": "t", "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    refused = client.post("/sess/upload", data=in_the_form, headers=session.headers, **upload)
    assert refused.json() == {"detail": "CSRF Failed: CSRF token missing."}
    # A body Django could not parse is not parsed: no 500.
    broken = {**session.csrf, "Content-Type": "multipart/form-data"}
    raw = "data" if isinstance(client, TestClient) else "content"  # TestClient has no content=
    response = client.post("/sess/either", headers=broken, **{raw: b"--x\r\n"})
    assert response.json() == {"backend": "session", "username": "ann"}


def test_the_origin_must_be_trusted(client):
    session = login(client, "ann")
    note = {"text": "hi"}
    same_site = client.post(
        "/sess/notes", json=note, headers={**session.csrf, "Origin": origin_of(client)}
    )
    assert same_site.status_code == 200
    cross_site = client.post(
        "/sess/notes", json=note, headers={**session.csrf, "Origin": EVIL_ORIGIN}
    )
    assert cross_site.status_code == 403
    assert cross_site.json()["detail"].startswith(
        f"CSRF Failed: Origin checking failed - {EVIL_ORIGIN} does not match"
    )


def test_anonymous_requests_are_refused_before_csrf(client):
    response = client.post("/sess/notes", json={"text": "x"}, headers={"Cookie": "sessionid=x"})
    assert (response.status_code, response.json()) == (401, UNAUTHENTICATED)


# ---- a route with a token backend and a session ---------------------------------------


def bearer(user_id: str, **claims) -> dict[str, str]:
    claims = {"sub": user_id, "exp": int(time.time()) + 60, **claims}
    return {"Authorization": f"Bearer {pyjwt.encode(claims, JWT_SECRET, algorithm='HS256')}"}


def test_jwt_first_then_the_session(client):
    session = login(client, "sam")
    sam_id = client.get("/sess/me", headers=session.headers).json()["auth"]["user_id"]
    by_session = client.post("/sess/either", headers=session.csrf)
    assert by_session.json() == {"backend": "session", "username": "sam"}
    # A token needs no CSRF token, even beside a session cookie: it is tried first.
    by_token = client.post("/sess/either", headers={**bearer(sam_id), **session.headers})
    assert by_token.json() == {"backend": "jwt", "username": "sam"}
    # A bad token is refused, whatever the session would have said.
    expired = client.post("/sess/either", headers={**bearer(sam_id, exp=1), **session.csrf})
    assert (expired.status_code, expired.json()) == (401, {"detail": "Token has expired"})
    assert client.post("/sess/either", headers=session.headers).status_code == 403
    nobody = client.post("/sess/either")
    assert (nobody.status_code, nobody.headers["www-authenticate"]) == (401, "Bearer")


# ---- WebSocket routes -----------------------------------------------------------------


def test_websocket_session_through_the_test_client(project_api):
    with TestClient(project_api) as client:
        ann, sam = login(client, "ann"), login(client, "sam")
        with client.websocket_connect("/sess/ws", headers=ann.headers) as ws:
            greeting = ws.receive_json()
            assert greeting["username"] == "ann"
            assert greeting["auth"]["backend"] == "session"
            ws.send_text("hi")
            assert ws.receive_text() == "ann: hi"
        for headers, status, body in (
            ({}, 401, UNAUTHENTICATED),
            ({"Cookie": "sessionid=forged"}, 401, UNAUTHENTICATED),
            (ann.headers, 403, {"detail": "Staff access required"}),
        ):
            with pytest.raises(WebSocketRejected) as refused:
                client.websocket_connect("/sess/ws/staff", headers=headers)
            assert refused.value.response.status_code == status
            assert refused.value.response.json() == body
        with client.websocket_connect("/sess/ws/staff", headers=sam.headers) as ws:
            assert ws.receive_json() == {"staff": True}


def test_websocket_handshake_carries_the_clients_cookie_jar_and_headers(project_api):
    with TestClient(project_api) as client:
        ann, sam = login(client, "ann"), login(client, "sam")
        for name, value in ann.cookies.items():
            client.cookies.set(name, value)
        with client.websocket_connect("/sess/ws") as ws:
            assert ws.receive_json()["username"] == "ann"
        # Cookies given to the call are sent beside the jar's, and win over them.
        with client.websocket_connect("/sess/ws/staff", cookies=sam.cookies) as ws:
            assert ws.receive_json() == {"staff": True}
    with TestClient(project_api, headers=sam.headers) as client:
        with client.websocket_connect("/sess/ws/staff") as ws:
            assert ws.receive_json() == {"staff": True}


def test_websocket_session_over_a_real_socket(project_server):
    url = f"ws://{support.HOST}:{project_server.port}/sess/ws"
    with support.make_client(project_server.base_url, "http1") as client:
        ann, sam = login(client, "ann"), login(client, "sam")
    with connect(url, additional_headers=ann.headers) as ws:
        assert '"username":"ann"' in ws.recv()
        ws.send("over tcp")
        assert ws.recv() == "ann: over tcp"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers={"Cookie": "sessionid=forged"})
    assert refused.value.response.status_code == 401
    assert refused.value.response.headers["WWW-Authenticate"] == CHALLENGE
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{url}/staff", additional_headers=ann.headers)
    assert refused.value.response.status_code == 403
    with connect(f"{url}/staff", additional_headers=sam.headers) as ws:
        assert ws.recv() == '{"staff":true}'
    # A page of another site cannot open a socket with the user's cookie.
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=ann.headers, origin=EVIL_ORIGIN)
    assert refused.value.response.status_code == 403
    with connect(url, additional_headers=ann.headers, origin=project_server.base_url) as ws:
        assert '"username":"ann"' in ws.recv()


# ---- over TLS: the scheme reaches the CSRF check -----------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """runbolt serving the project over TLS (HTTP/1.1 and HTTP/2 by ALPN)."""
    certs = test_certs.make(tmp_path_factory.mktemp("certs"))
    database = support.migrated_database(tmp_path_factory.mktemp("db"), "seed_auth_users")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        options = ("--cert", str(certs.cert), "--key", str(certs.key))
        with support.serve_django(support.BOLT_PROJECT_DIR, *options) as server:
            server.base_url = server.base_url.replace("http://", "https://")
            server.ca = certs.ca
            yield server


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_csrf_over_https_checks_origin_and_referer(tls_server, protocol):
    origin = tls_server.base_url
    with httpx.Client(base_url=origin, verify=tls_server.verify, http2=True) as client:
        credentials = {"username": "ann", "password": PASSWORD}
        session = Session(dict(client.post("/django/login", json=credentials).cookies))
    with support.make_client(origin, protocol, verify=tls_server.verify) as client:
        note = {"text": "secure"}
        same_site = client.post(
            "/sess/notes", json=note, headers={**session.csrf, "Origin": origin}
        )
        assert same_site.json() == {"text": "secure", "by": "ann"}
        assert same_site.http_version == ("HTTP/2" if protocol == "http2" else "HTTP/1.1")
        insecure = origin.replace("https://", "http://")
        downgraded = client.post(
            "/sess/notes", json=note, headers={**session.csrf, "Origin": insecure}
        )
        assert downgraded.status_code == 403
        # Over HTTPS, Django wants a Referer from this site when there is no Origin.
        no_referer = client.post("/sess/notes", json=note, headers=session.csrf)
        assert no_referer.json() == {"detail": "CSRF Failed: Referer checking failed - no Referer."}
        referred = client.post(
            "/sess/notes", json=note, headers={**session.csrf, "Referer": f"{origin}/page"}
        )
        assert referred.status_code == 200
    url = origin.replace("https://", "wss://") + "/sess/ws"
    options = {"ssl": tls_server.verify, "origin": origin}
    with connect(url, additional_headers=session.headers, **options) as ws:
        assert '"username":"ann"' in ws.recv()


# ---- declaring ------------------------------------------------------------------------


def test_the_cookie_name_comes_from_django_settings(django_project):
    from django.test import override_settings

    cookie = "bolt_sid"
    api = BoltAPI(openapi_config=OpenAPIConfig(title="t", version="1"))

    @api.get("/who", auth=[SessionAuthentication()], guards=[IsStaff()])
    async def who():
        return {}

    with override_settings(SESSION_COOKIE_NAME=cookie), TestClient(api) as client:
        refused = client.get("/who", headers={"Cookie": "sessionid=abc"})
        assert refused.headers["www-authenticate"] == f'Session cookie="{cookie}"'
        document = client.get("/docs/openapi.json").json()
    assert document["components"]["securitySchemes"] == {
        "sessionAuth": {"type": "apiKey", "in": "cookie", "name": cookie}
    }
    assert document["paths"]["/who"]["get"]["security"] == [{"sessionAuth": []}]


def test_a_project_without_django_auth_cannot_start(django_project):
    from django.test import override_settings

    api = BoltAPI()

    @api.get("/who", auth=[SessionAuthentication()])
    async def who():
        return {}

    with override_settings(INSTALLED_APPS=["django.contrib.contenttypes", "django_bolt"]):
        with pytest.raises(ValueError, match="needs Django set up with django.contrib.auth"):
            TestClient(api).__enter__()
