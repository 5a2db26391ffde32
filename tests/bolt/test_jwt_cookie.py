"""A JWT read from a cookie (``JWTAuthentication(cookie=...)``) and the cross-site
check of the unsafe requests it authenticates: through TestClient, then over a real
socket against ``runbolt`` serving ``jwtapp`` (HTTP/1.1 and h2c)."""

from __future__ import annotations

import time

import jwt as pyjwt
import pytest
import support

from django_bolt import BoltAPI, JWTAuthentication, Request, WebSocket
from django_bolt.testing import TestClient
from django_bolt.testing_websocket import WebSocketRejected

SECRET = "tests-only-jwt-secret-" + "x" * 48  # the project's BOLT_JWT_SECRET


def token(sub: str = "7", secret: str = SECRET, **claims) -> str:
    return pyjwt.encode({"sub": sub, "exp": int(time.time()) + 600, **claims}, secret)


def cookie(value: str, name: str = "access_token", **headers: str) -> dict[str, str]:
    """Request headers sending the token in a cookie (and ``headers``, "_" as "-")."""
    return {"Cookie": f"{name}={value}", **{k.replace("_", "-"): v for k, v in headers.items()}}


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


def test_the_cookie_authenticates_a_safe_request(client):
    response = client.get("/jwt/cookie", headers=cookie(token("41")))
    assert response.status_code == 200
    assert response.json() == {"user_id": "41"}


def test_the_header_is_still_accepted_and_needs_no_origin(client):
    headers = {"Authorization": f"Bearer {token('42')}", "Origin": "https://evil.test"}
    response = client.post("/jwt/cookie", headers=headers)
    assert response.json() == {"user_id": "42"}


def test_an_unsafe_request_from_this_site_passes(client):
    own = str(client.base_url).rstrip("/")
    sent = token("43")
    for headers in (
        cookie(sent, Origin=own),
        cookie(sent, Referer=f"{own}/page"),
        cookie(sent, Origin="https://app.trusted.test"),  # CSRF_TRUSTED_ORIGINS
    ):
        assert client.post("/jwt/cookie", headers=headers).json() == {"user_id": "43"}


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        (
            {"Origin": "https://evil.test"},
            "CSRF Failed: Origin https://evil.test is not http://127.0.0.1:{port} "
            "nor in CSRF_TRUSTED_ORIGINS",
        ),
        (
            {"Referer": "https://evil.test/x"},
            "CSRF Failed: Referer https://evil.test/x is not http://127.0.0.1:{port} "
            "nor in CSRF_TRUSTED_ORIGINS",
        ),
        (
            {},
            "CSRF Failed: a request authenticated by a cookie needs an Origin or Referer "
            "header (send the token in the Authorization header instead)",
        ),
        (
            {"Sec-Fetch-Site": "cross-site"},
            "CSRF Failed: a request authenticated by a cookie needs an Origin or Referer "
            "header (send the token in the Authorization header instead)",
        ),
    ],
)
def test_a_cross_site_unsafe_request_is_403_saying_why(client, jwt_server, headers, detail):
    response = client.post("/jwt/cookie", headers={**cookie(token("44")), **headers})
    assert response.status_code == 403
    assert response.json() == {"detail": detail.format(port=jwt_server.port)}


def test_csrf_false_lets_any_origin_through(client):
    headers = cookie(token("45"), Origin="https://evil.test")
    response = client.post("/jwt/cookie-no-csrf", headers=headers)
    assert response.json() == {"user_id": "45"}


def test_a_bad_cookie_token_is_401_before_any_origin_check(client):
    forged = token("46", secret="another-secret-" + "y" * 40)
    response = client.post("/jwt/cookie", headers=cookie(forged, Origin="https://evil.test"))
    assert response.status_code == 401
    assert response.json() == {"detail": "Token signature is invalid"}
    assert client.get("/jwt/cookie").status_code == 401


# ---- TestClient ---------------------------------------------------------------------


def test_through_testclient_with_same_origin_fetch_metadata(django_project):
    api = BoltAPI()
    auth = [JWTAuthentication(secret=SECRET, cookie="jwt", load_user=False)]

    @api.delete("/thing", auth=auth)
    async def delete(request: Request) -> dict:
        return {"deleted_by": request.auth["user_id"]}

    with TestClient(api) as client:
        same = cookie(token("9"), "jwt", Sec_Fetch_Site="same-origin")
        assert client.delete("/thing", headers=same).json() == {"deleted_by": "9"}
        refused = client.delete("/thing", headers=cookie(token("9"), "jwt", Origin="http://x.test"))
        assert refused.status_code == 403
        assert client.delete("/thing").status_code == 401


def test_a_websocket_handshake_with_the_cookie_needs_this_sites_origin(django_project):
    api = BoltAPI()
    auth = [JWTAuthentication(secret=SECRET, cookie="jwt", load_user=False)]

    @api.websocket("/ws", auth=auth)
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"user_id": websocket.auth["user_id"]})
        await websocket.close()

    with TestClient(api) as client:
        with pytest.raises(WebSocketRejected) as refused:
            client.websocket_connect(
                "/ws", headers=cookie(token("5"), "jwt", Origin="https://evil.test")
            )
        assert refused.value.response.status_code == 403
        assert refused.value.response.json()["detail"].startswith("CSRF Failed: Origin")
        own = cookie(token("5"), "jwt", Origin="http://testserver")
        with client.websocket_connect("/ws", headers=own) as opened:
            assert opened.receive_json() == {"user_id": "5"}
        # A token in the header needs no origin.
        header = {"Authorization": f"Bearer {token('6')}", "Origin": "https://evil.test"}
        with client.websocket_connect("/ws", headers=header) as opened:
            assert opened.receive_json() == {"user_id": "6"}


def test_bad_cookie_arguments_are_refused():
    with pytest.raises(ValueError, match="is not a cookie name"):
        JWTAuthentication(secret=SECRET, cookie="a b")
    with pytest.raises(ValueError, match="is not a cookie name"):
        JWTAuthentication(secret=SECRET, cookie="")
