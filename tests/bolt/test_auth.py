"""Authentication and guards: the spec's routes (``project/authapp/api.py``) against
real users in SQLite, through TestClient and a real runbolt process over HTTP/1.1 and
HTTP/2, and WebSocket routes refused before the handshake. Tokens come from the login
route, from ``create_jwt_for_user`` and from PyJWT (another implementation)."""

from __future__ import annotations

import copy
import time

import jwt as pyjwt
import pytest
import support
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from openapi_spec_validator import validate
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from django_bolt import (
    AllowAny,
    APIKeyAuthentication,
    BoltAPI,
    HasPermission,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    OpenAPIConfig,
    Request,
    WebSocket,
    create_jwt_for_user,
    rate_limit,
)
from django_bolt.testing import TestClient
from django_bolt.testing_websocket import WebSocketRejected
from django_bolt.users import TokenUser

PASSWORD = "auth-tests-password-1"  # authapp's seed_auth_users
SECRET = "tests-only-jwt-secret-" + "x" * 48  # the project's BOLT_JWT_SECRET
WRONG_SECRET = "not-the-secret-" + "y" * 49
API_KEY = "tests-api-key-1"  # the project's BOLT_API_KEYS


@pytest.fixture(scope="module")
def project_api(django_project):
    from authapp.api import api

    return api


@pytest.fixture
def client(project_client):
    return project_client


def login(client, username: str, *, permissions: bool = False) -> dict[str, str]:
    path = "/authn/auth/login-with-permissions" if permissions else "/authn/auth/login"
    response = client.post(path, json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def token(secret: str = SECRET, algorithm: str = "HS256", **claims) -> dict[str, str]:
    """A bearer header with a token PyJWT made."""
    # Made when tests are collected, which may be long before they run.
    claims.setdefault("exp", int(time.time()) + 24 * 3600)
    claims = {name: value for name, value in claims.items() if value is not None}
    return {"Authorization": f"Bearer {pyjwt.encode(claims, secret, algorithm=algorithm)}"}


# ---- the spec's routes --------------------------------------------------------------


def test_login_then_me(client):
    headers = login(client, "ann")
    for path in ("/authn/me", "/authn/me-sync"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.json()["username"] == "ann"
        assert isinstance(response.json()["user_id"], int)


def test_wrong_password_is_the_handlers_401(client):
    response = client.post("/authn/auth/login", json={"username": "ann", "password": "nope"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid credentials"}


def test_missing_credentials_are_401_with_a_challenge(client):
    for headers in ({}, {"Authorization": "Basic YW5uOnB3"}, {"Authorization": "Bearer"}):
        response = client.get("/authn/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {"detail": "Authentication credentials were not provided"}


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (token(sub="1", exp=int(time.time()) - 3600), "Token has expired"),
        (token(secret=WRONG_SECRET, sub="1"), "Token signature is invalid"),
        (token(algorithm="HS512", sub="1"), "Token algorithm is not accepted"),
        (token(sub="1", nbf=int(time.time()) + 3600), "Token is not valid yet (nbf)"),
        ({"Authorization": "Bearer not.a.token"}, "Token is malformed"),
        (token(sub="1", exp=None), "Token has no 'exp' claim"),
        (token(sub="1", aud="another-service"), "Token audience is not accepted"),
    ],
)
def test_bad_tokens_are_401_saying_why(client, headers, reason):
    response = client.get("/authn/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": reason}
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_from_another_implementation_names_the_user(client):
    me = client.get("/authn/me", headers=login(client, "sam")).json()
    response = client.get("/authn/me", headers=token(sub=str(me["user_id"])))
    assert response.json() == me


def test_a_token_whose_user_is_gone_or_inactive_is_401(client):
    for user_id in ("999999", "not-a-number"):
        response = client.get("/authn/me", headers=token(sub=user_id))
        assert response.status_code == 401
        assert "does not exist or is inactive" in response.json()["detail"]


def test_api_key(client):
    response = client.get("/authn/api/data", headers={"X-API-Key": API_KEY})
    assert response.json() == {"data": "secret", "backend": "api_key"}
    wrong = client.get("/authn/api/data", headers={"X-API-Key": API_KEY + "x"})
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "API key is not valid"})
    assert wrong.headers["www-authenticate"] == "ApiKey"
    jwt_instead = client.get("/authn/api/data", headers=login(client, "root"))
    assert jwt_instead.status_code == 401


def test_admin_only_for_superusers(client):
    for username, status in (("ann", 403), ("sam", 403), ("root", 200)):
        response = client.delete("/authn/admin/users/999999", headers=login(client, username))
        assert response.status_code == status
    denied = client.delete("/authn/admin/users/1", headers=login(client, "sam"))
    assert denied.json() == {"detail": "Admin (superuser) access required"}


def test_staff_dashboard(client):
    assert client.get("/authn/staff/dashboard", headers=login(client, "sam")).status_code == 200
    assert client.get("/authn/staff/dashboard", headers=login(client, "root")).status_code == 200
    denied = client.get("/authn/staff/dashboard", headers=login(client, "ann"))
    assert (denied.status_code, denied.json()) == (403, {"detail": "Staff access required"})
    assert client.get("/authn/staff/dashboard").status_code == 401


def test_permissions_come_from_the_token(client):
    article = {"title": "t", "body": "b"}
    ann = login(client, "ann", permissions=True)
    denied = client.post("/authn/articles", json=article, headers=ann)
    assert denied.status_code == 403
    assert denied.json() == {"detail": "Permission 'blog.add_article' required"}
    granted = token(sub="1", permissions=["blog.add_article"])
    assert client.post("/authn/articles", json=article, headers=granted).json() == {"title": "t"}
    # A superuser has every permission, as in Django.
    root = login(client, "root")
    assert client.post("/authn/articles", json=article, headers=root).status_code == 200


def test_any_and_all_permissions(client):
    rita = login(client, "rita", permissions=True)  # has reports.view in the database
    assert client.get("/authn/reports", headers=rita).status_code == 200
    # Without a permissions claim, Django says whether rita has them (issue 13).
    assert client.get("/authn/reports", headers=login(client, "rita")).status_code == 200
    assert client.get("/authn/reports", headers=login(client, "ann")).status_code == 403
    one = token(sub="1", permissions=["deploy.create"])
    both = token(sub="1", permissions=["deploy.create", "deploy.approve"])
    denied = client.post("/authn/deploy", headers=one)
    assert denied.status_code == 403
    assert "'deploy.create', 'deploy.approve'" in denied.json()["detail"]
    assert client.post("/authn/deploy", headers=both).json() == {"status": "deploying"}


def test_auth_is_checked_before_the_body_is_validated(client):
    response = client.post("/authn/articles", json={"title": 3})
    assert response.status_code == 401


def test_allow_any_makes_authentication_optional(client):
    assert client.get("/authn/public").json() == {"public": True}
    anonymous = client.get("/authn/optional").json()
    assert anonymous == {"authenticated": False, "auth": {}}
    signed_in = client.get("/authn/optional", headers=login(client, "sam")).json()
    assert signed_in["authenticated"] is True
    assert signed_in["auth"]["backend"] == "jwt"
    assert signed_in["auth"]["is_staff"] is True
    assert signed_in["auth"]["claims"]["username"] == "sam"
    # Credentials that are sent must be good, even where none are needed.
    assert client.get("/authn/optional", headers=token(sub="1", exp=1)).status_code == 401


def test_the_first_backend_with_good_credentials_wins(client):
    by_key = client.get("/authn/either", headers={"X-API-Key": API_KEY})
    assert by_key.json() == {"backend": "api_key", "permissions": []}
    both = {**token(secret=WRONG_SECRET, sub="1"), "X-API-Key": API_KEY}
    assert client.get("/authn/either", headers=both).json()["backend"] == "api_key"
    bad_token_only = client.get("/authn/either", headers=token(secret=WRONG_SECRET, sub="1"))
    assert bad_token_only.json() == {"detail": "Token signature is invalid"}
    # auth= without guards requires authentication.
    assert client.get("/authn/either").status_code == 401


def test_spec_dependency_reads_request_auth(client):
    headers = login(client, "ann")
    user_id = client.get("/authn/me", headers=headers).json()["user_id"]
    assert client.get("/authn/profile", headers=headers).json() == {
        "id": str(user_id),
        "username": "ann",
    }


def test_tokens_of_another_kind_are_not_access_tokens(client):
    """A refresh or ID token signed with the same secret (simplejwt's refresh token,
    Keycloak's ID token, Cognito's) is refused; access tokens and untyped ones pass."""
    me = client.get("/authn/me", headers=login(client, "sam")).json()
    sub = str(me["user_id"])
    refused = [
        (token(sub=sub, token_type="refresh", jti="r1"), "refresh"),
        (token(sub=sub, typ="ID"), "id"),
        (token(sub=sub, token_use="id"), "id"),
    ]
    for headers, kind in refused:
        response = client.get("/authn/me", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"detail": f"Token type '{kind}' is not accepted"}
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    jose_typed = pyjwt.encode(
        {"sub": sub, "exp": int(time.time()) + 60}, SECRET, headers={"typ": "refresh+jwt"}
    )
    response = client.get("/authn/me", headers={"Authorization": f"Bearer {jose_typed}"})
    assert response.json() == {"detail": "Token type 'refresh+jwt' is not accepted"}
    for accepted in (
        token(sub=sub, token_type="access"),
        token(sub=sub, typ="Bearer"),
        token(sub=sub),
    ):
        assert client.get("/authn/me", headers=accepted).json() == me
    at_jwt = pyjwt.encode(
        {"sub": sub, "exp": int(time.time()) + 60}, SECRET, headers={"typ": "at+jwt"}
    )
    assert client.get("/authn/me", headers={"Authorization": f"Bearer {at_jwt}"}).json() == me


def test_token_types_can_be_widened_or_unchecked():
    api = BoltAPI()

    @api.get("/refresh", auth=[JWTAuthentication(secret=SECRET, token_types=("refresh",))])
    async def refresh(request: Request):
        return {"type": request.auth["claims"].get("token_type")}

    @api.get("/any", auth=[JWTAuthentication(secret=SECRET, token_types=None, load_user=False)])
    async def any_type(request: Request):
        return {"type": request.auth["claims"].get("token_type")}

    with TestClient(api) as client:
        refresh_token = token(sub="1", token_type="refresh")
        assert client.get("/refresh", headers=refresh_token).json() == {"type": "refresh"}
        assert (
            client.get("/refresh", headers=token(sub="1", token_type="access")).status_code == 401
        )
        assert client.get("/any", headers=refresh_token).json() == {"type": "refresh"}
    with pytest.raises(ValueError, match="token_types is empty"):
        JWTAuthentication(secret=SECRET, token_types=())


def test_every_required_claim_is_checked():
    api = BoltAPI()
    backend = JWTAuthentication(secret=SECRET, required_claims=("exp", "jti"), load_user=False)

    @api.get("/claims", auth=[backend])
    async def claims(request: Request):
        return {"jti": request.auth["claims"]["jti"]}

    with TestClient(api) as client:
        missing = client.get("/claims", headers=token(sub="1"))
        assert missing.status_code == 401
        assert missing.json() == {"detail": "Token has no 'jti' claim"}
        assert client.get("/claims", headers=token(sub="1", jti="j1")).json() == {"jti": "j1"}


def test_an_accepted_token_is_refused_once_it_expires():
    """Accepted tokens are remembered (not checked again per request) only until their
    `exp`: the same token is then the 401 of an expired one."""
    api = BoltAPI()

    @api.get("/me", auth=[JWTAuthentication(secret=SECRET, load_user=False)])
    async def me(request: Request):
        return {"user_id": request.auth["user_id"]}

    expires = int(time.time()) + 2
    short = {"Authorization": f"Bearer {pyjwt.encode({'sub': '5', 'exp': expires}, SECRET)}"}
    with TestClient(api) as client:
        for _ in range(3):
            assert client.get("/me", headers=short).json() == {"user_id": "5"}
        time.sleep(max(0.0, expires + 1.1 - time.time()))
        expired = client.get("/me", headers=short)
        assert expired.status_code == 401
        assert expired.json() == {"detail": "Token has expired"}


def test_what_a_handler_does_to_request_auth_stays_in_its_request():
    """A remembered token's `request.auth` is made once and copied for each request:
    changing it, its claims or a list nested in them never reaches the token's next
    request, on the same route or another."""
    api = BoltAPI()
    auth = [JWTAuthentication(secret=SECRET, load_user=False)]

    @api.get("/spoil", auth=auth)
    async def spoil(request: Request):
        seen = copy.deepcopy(request.auth)
        request.auth["user_id"] = "someone else"
        request.auth["permissions"].append("everything")
        request.auth["claims"]["sub"] = "someone else"
        request.auth["claims"]["roles"].append("root")
        request.auth["claims"]["team"]["name"] = "spoilt"
        return seen

    @api.get("/read", auth=auth)
    async def read(request: Request):
        return request.auth

    claims = {
        "sub": "7",
        "exp": int(time.time()) + 600,
        "roles": ["reader"],
        "team": {"name": "blue"},
        "permissions": ["x.y"],
    }
    token = {"Authorization": f"Bearer {pyjwt.encode(claims, SECRET)}"}
    with TestClient(api) as client:
        for _ in range(3):
            first = client.get("/spoil", headers=token).json()
            assert first["user_id"] == "7" and first["permissions"] == ["x.y"]
            assert first["claims"] == claims
            assert client.get("/read", headers=token).json() == {
                "backend": "jwt",
                "user_id": "7",
                "is_staff": False,
                "is_superuser": False,
                "permissions": ["x.y"],
                "claims": claims,
            }


def test_only_refusals_that_cannot_change_are_remembered():
    """A refused token is remembered only when no later check could accept it: one
    used before its `nbf` is accepted once that time comes, a forged one stays 401 with
    the same reason."""
    api = BoltAPI()

    @api.get("/me", auth=[JWTAuthentication(secret=SECRET, load_user=False)])
    async def me(request: Request):
        return {"user_id": request.auth["user_id"]}

    starts = int(time.time()) + 2
    claims = {"sub": "6", "exp": starts + 60}
    early = {"Authorization": f"Bearer {pyjwt.encode({**claims, 'nbf': starts}, SECRET)}"}
    forged = {"Authorization": f"Bearer {pyjwt.encode(claims, WRONG_SECRET)}"}
    with TestClient(api) as client:
        for _ in range(3):
            refused = client.get("/me", headers=early)
            assert refused.json() == {"detail": "Token is not valid yet (nbf)"}
            refused = client.get("/me", headers=forged)
            assert refused.status_code == 401
            assert refused.json() == {"detail": "Token signature is invalid"}
            assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        time.sleep(max(0.0, starts + 1.1 - time.time()))
        assert client.get("/me", headers=early).json() == {"user_id": "6"}
        assert client.get("/me", headers=forged).json() == {"detail": "Token signature is invalid"}


# ---- WebSocket routes: refused before the handshake ----------------------------------


def test_websocket_auth_through_the_test_client(project_api):
    with TestClient(project_api) as client:
        with pytest.raises(WebSocketRejected) as refused:
            client.websocket_connect("/authn/ws/me")
        assert refused.value.response.status_code == 401
        headers = login(client, "ann")
        with client.websocket_connect("/authn/ws/me", headers=headers) as ws:
            assert ws.receive_json()["username"] == "ann"
            ws.send_text("hi")
            assert ws.receive_text() == "ann: hi"
        with pytest.raises(WebSocketRejected) as refused:
            client.websocket_connect("/authn/ws/staff", params={"room": "a"}, headers=headers)
        assert refused.value.response.status_code == 403
        assert refused.value.response.json() == {"detail": "Staff access required"}
        # A refresh token is no access token on a WebSocket route either.
        with pytest.raises(WebSocketRejected) as refused:
            client.websocket_connect("/authn/ws/me", headers=token(sub="1", token_type="refresh"))
        assert refused.value.response.status_code == 401
        assert refused.value.response.json() == {"detail": "Token type 'refresh' is not accepted"}
        # A token whose user is gone: the 401 an HTTP route answers, not a 403.
        with pytest.raises(WebSocketRejected) as refused:
            client.websocket_connect("/authn/ws/me", headers=token(sub="999999"))
        assert refused.value.response.status_code == 401
        assert (
            refused.value.response.json()
            == client.get("/authn/me", headers=token(sub="999999")).json()
        )


def test_websocket_auth_over_a_real_socket(project_server):
    url = f"ws://{support.HOST}:{project_server.port}/authn/ws"
    with support.make_client(project_server.base_url, "http1") as client:
        ann, sam = login(client, "ann"), login(client, "sam")
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{url}/me")
    assert refused.value.response.status_code == 401
    assert refused.value.response.headers["WWW-Authenticate"] == "Bearer"
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{url}/me", additional_headers=token(sub="1", exp=1))
    assert refused.value.response.status_code == 401
    with connect(f"{url}/me", additional_headers=ann) as ws:
        assert '"username":"ann"' in ws.recv()
        ws.send("over tcp")
        assert ws.recv() == "ann: over tcp"
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{url}/staff?room=r", additional_headers=ann)
    assert refused.value.response.status_code == 403
    # Auth comes before the parameters: no token and no room is a 401, not a 422.
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{url}/staff")
    assert refused.value.response.status_code == 401
    with connect(f"{url}/staff?room=r", additional_headers=sam) as ws:
        assert ws.recv() == '{"room":"r","staff":true}'


# ---- backends configured in code ----------------------------------------------------


class FakeUser:
    """What create_jwt_for_user reads of a user."""

    pk = 42
    is_staff = True
    is_superuser = False

    def get_username(self) -> str:
        return "fake"


def test_rs256_audience_and_issuer():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    api = BoltAPI()
    backend = JWTAuthentication(
        public, ["RS256"], audience="api", issuer="https://issuer", load_user=False
    )

    @api.get("/claims", auth=[backend], guards=[IsStaff()])
    async def claims(request: Request):
        # Another issuer's subject is no user of ours: the token describes the user.
        assert isinstance(request.user, TokenUser) and request.user.has_perm("any") is False
        assert request.user is request.user and request.user.id == request.auth["user_id"]
        return {**request.auth["claims"], "user": request.user.get_username()}

    def made(**options):
        options = {"secret": private, "algorithm": "RS256", **options}
        return {"Authorization": f"Bearer {create_jwt_for_user(FakeUser(), **options)}"}

    with TestClient(api) as client:
        good = made(audience="api", issuer="https://issuer", extra_claims={"tenant": "t1"})
        claims = client.get("/claims", headers=good).json()
        assert claims["sub"] == "42"
        assert (claims["user"], claims["tenant"], claims["is_staff"]) == ("fake", "t1", True)
        assert claims["exp"] - claims["iat"] == 3600
        # PyJWT checks what we made, and we check what PyJWT made.
        token_text = good["Authorization"].removeprefix("Bearer ")
        assert pyjwt.decode(token_text, public, ["RS256"], audience="api")["sub"] == "42"
        theirs = pyjwt.encode({**claims, "sub": "7"}, private, algorithm="RS256")
        assert (
            client.get("/claims", headers={"Authorization": f"Bearer {theirs}"}).json()["sub"]
            == "7"
        )
        no_audience = client.get("/claims", headers=made(issuer="https://issuer"))
        assert no_audience.json() == {"detail": "Token has no 'aud' claim"}
        other_issuer = client.get("/claims", headers=made(audience="api", issuer="https://x"))
        assert other_issuer.json() == {"detail": "Token issuer is not accepted"}
        hs256 = token(sub="1", aud="api", iss="https://issuer")
        assert client.get("/claims", headers=hs256).status_code == 401


def test_api_key_in_authorization_and_key_permissions():
    api = BoltAPI()
    keys = APIKeyAuthentication(
        ["reader", "writer"], header="authorization", key_permissions={"writer": ["app.write"]}
    )

    @api.post("/write", auth=[keys], guards=[HasPermission("app.write")])
    async def write():
        return {"written": True}

    with TestClient(api) as client:
        assert client.post("/write", headers={"Authorization": "Bearer writer"}).status_code == 200
        assert client.post("/write", headers={"Authorization": "Bearer reader"}).status_code == 403
        assert client.post("/write", headers={"Authorization": "Bearer other"}).status_code == 401


def test_declarations_that_cannot_work_fail_at_import():
    api = BoltAPI()
    with pytest.raises(ValueError, match="guards need an auth backend"):
        api.get("/x", guards=[IsAuthenticated()])
    with pytest.raises(TypeError, match=r"takes instances: IsAuthenticated\(\)"):
        api.get("/x", auth=[JWTAuthentication(secret="s")], guards=[IsAuthenticated])
    with pytest.raises(TypeError, match="takes instances: JWTAuthentication"):
        api.websocket("/ws", auth=[JWTAuthentication])
    with pytest.raises(ValueError, match="HasPermission needs permission names"):
        HasPermission("")
    with pytest.raises(ValueError, match="at least one algorithm"):
        JWTAuthentication(secret="s", algorithms=[])
    api.get("/open", guards=[AllowAny()])(lambda: {})


def test_settings_that_cannot_work_fail_when_the_server_starts():
    for backend, message in (
        (JWTAuthentication(secret="s", algorithms=["HS256", "RS256"]), "share one key type"),
        (JWTAuthentication(secret="not a pem", algorithms=["RS256"]), "not valid PEM"),
        (JWTAuthentication(secret="s", algorithms=["XX1"]), "unknown JWT algorithm"),
    ):
        api = BoltAPI()

        @api.get("/x", auth=[backend])
        async def handler():
            return {}

        with pytest.raises(ValueError, match=message):
            TestClient(api).__enter__()


def test_an_api_key_backend_without_keys_fails_closed(caplog):
    api = BoltAPI()

    @api.get("/keyed", auth=[APIKeyAuthentication([])])
    async def keyed():
        return {}

    @api.get("/open")
    async def open_route():
        return {"open": True}

    with TestClient(api) as client:
        assert client.get("/open").json() == {"open": True}
        for headers in ({}, {"X-API-Key": "guess"}):
            refused = client.get("/keyed", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "ApiKey"
        assert "not configured" in refused.json()["detail"]
    assert "GET /keyed (test_auth." in caplog.text
    assert "set BOLT_API_KEYS" in caplog.text


def test_websocket_handler_sees_auth_and_user_without_a_database():
    api = BoltAPI()

    @api.websocket("/ws", auth=[APIKeyAuthentication(["k"])])
    async def ws(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_json(
            {"auth": websocket.auth, "anonymous": not websocket.user.is_authenticated}
        )
        await websocket.close()

    with TestClient(api) as client:
        with client.websocket_connect("/ws", headers={"X-API-Key": "k"}) as ws:
            assert ws.receive_json() == {
                "auth": {
                    "backend": "api_key",
                    "user_id": None,
                    "is_staff": False,
                    "is_superuser": False,
                    "permissions": [],
                    "claims": None,
                },
                "anonymous": True,
            }


def test_openapi_describes_security_and_rate_limits():
    api = BoltAPI(openapi_config=OpenAPIConfig(title="t", version="1"))

    @api.get("/me", auth=[JWTAuthentication(secret="s")], guards=[IsStaff()])
    async def me():
        return {}

    @api.get("/maybe", auth=[APIKeyAuthentication(["k"])], guards=[AllowAny()])
    async def maybe():
        return {}

    @api.get("/limited")
    @rate_limit(rps=5, burst=5)
    async def limited():
        return {}

    with TestClient(api) as client:
        document = client.get("/docs/openapi.json").json()
    validate(document)
    assert document["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "api_key.x-api-key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
    }
    me_operation = document["paths"]["/me"]["get"]
    assert me_operation["security"] == [{"bearerAuth": []}]
    assert {"401", "403"} <= set(me_operation["responses"])
    maybe_operation = document["paths"]["/maybe"]["get"]
    assert maybe_operation["security"] == [{"api_key.x-api-key": []}, {}]
    assert "403" not in maybe_operation["responses"]
    assert "429" not in me_operation["responses"]
    assert "429" in document["paths"]["/limited"]["get"]["responses"]
