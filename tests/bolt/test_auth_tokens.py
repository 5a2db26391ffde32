"""The original django-bolt's auth package and its extras: the module layout and names,
access + refresh token pairs with rotation, revocation stores (a revoked token is a
401), ``CurrentUser``/``OptionalCurrentUser`` and custom user loaders; through
TestClient and a real runbolt process (``project/authapp/api.py``'s ``/tokens`` routes)."""

from __future__ import annotations

import asyncio
import datetime
import importlib
import time

import jwt as pyjwt
import pytest

from django_bolt import AllowAny, BoltAPI, CurrentUser, JWTAuthentication, Request, WebSocket
from django_bolt.testing import TestClient

PASSWORD = "auth-tests-password-1"  # authapp's seed_auth_users
SECRET = "tests-only-jwt-secret-" + "x" * 48  # the project's BOLT_JWT_SECRET


@pytest.fixture(scope="module")
def project_api(django_project):
    from authapp.api import api

    return api


@pytest.fixture
def client(project_client):
    return project_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pair(client, username: str = "ann") -> dict[str, str]:
    response = client.post("/authn/tokens/pair", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


# ---- names and modules ----------------------------------------------------------------

AUTH_NAMES = """AllowAny IsAuthenticated IsAdminUser IsStaff HasPermission HasAnyPermission
HasAllPermissions BasePermission BaseAuthentication Token AuthContext create_jwt_for_user
RevocationStore InMemoryRevocation DjangoCacheRevocation DjangoORMRevocation
create_revocation_handler get_auth_context get_current_user extract_user_id_from_context
load_user register_auth_backend get_registered_backend get_default_authentication_classes
get_default_permission_classes JWTAuthentication APIKeyAuthentication CurrentUser""".split()
ROOT_NAMES = """Token AuthContext JWTClaims APIKeyAuth get_auth_context get_current_user
extract_user_id_from_context CurrentUser OptionalCurrentUser""".split()
SUBMODULES = {
    "backends": ["JWTAuthentication", "BaseAuthentication", "get_default_authentication_classes"],
    "guards": ["IsAuthenticated", "BasePermission", "get_default_permission_classes"],
    "token": ["Token"],
    "tokens": ["create_token_pair", "rotate_refresh_token", "TokenPair", "create_jwt_for_user"],
    "jwt_utils": ["create_jwt_for_user", "get_current_user", "get_auth_context", "CurrentUser"],
    "revocation": ["InMemoryRevocation", "DjangoORMRevocation", "create_revocation_handler"],
    "user_loader": ["load_user", "register_auth_backend", "get_registered_backend"],
}


def test_the_auth_package_offers_the_original_names():
    import django_bolt
    from django_bolt import auth

    for name in AUTH_NAMES:
        assert name in auth.__all__ and getattr(auth, name) is not None, name
    for name in ROOT_NAMES:
        assert name in django_bolt.__all__, name
        assert getattr(django_bolt, name) is getattr(auth, name), name
    assert django_bolt.__all__ == sorted(django_bolt.__all__)


@pytest.mark.parametrize("module", sorted(SUBMODULES))
def test_the_submodules_are_homes_of_one_implementation(module):
    from django_bolt import auth

    loaded = importlib.import_module(f"django_bolt.auth.{module}")
    for name in SUBMODULES[module]:
        assert getattr(loaded, name) is getattr(auth, name), (module, name)


def test_old_paths_keep_working():
    from django_bolt import auth, guards, tokens, users
    from django_bolt.auth import tokens as auth_tokens

    assert tokens.create_jwt_for_user is auth.create_jwt_for_user
    assert auth_tokens.create_jwt_for_user is auth.create_jwt_for_user
    assert guards.IsAuthenticated is auth.IsAuthenticated
    assert users.TokenUser is not None


def test_a_guard_or_backend_of_ones_own_is_refused_naming_depends():
    from django_bolt.auth import BaseAuthentication, BasePermission

    class OwnerOnly(BasePermission):
        def has_permission(self, auth_context):
            return True

    class Header(BaseAuthentication):
        pass

    api = BoltAPI()
    with pytest.raises(TypeError, match="Depends"):
        api.get("/x", auth=[JWTAuthentication(secret=SECRET)], guards=[OwnerOnly()])(lambda: 1)
    with pytest.raises(TypeError, match="Depends"):
        api.get("/y", auth=[Header("x-user")])(lambda: 1)


def test_default_classes_come_from_the_settings(django_project):
    from django.test import override_settings

    from django_bolt.auth import (
        AllowAny,
        IsStaff,
        get_default_authentication_classes,
        get_default_permission_classes,
    )

    assert get_default_authentication_classes() == []
    assert [type(g) for g in get_default_permission_classes()] == [AllowAny]
    backend = JWTAuthentication(secret=SECRET)
    with override_settings(
        BOLT_AUTHENTICATION_CLASSES=[backend], BOLT_DEFAULT_PERMISSION_CLASSES=[IsStaff()]
    ):
        api = BoltAPI()

        @api.get("/staff-only")
        async def staff_only():
            return {"ok": True}

        @api.get("/open", auth=[], guards=[])
        async def open_route():
            return {"ok": True}

    now = int(time.time())
    staff = pyjwt.encode({"sub": "1", "is_staff": True, "exp": now + 60}, SECRET)
    plain = pyjwt.encode({"sub": "1", "exp": now + 60}, SECRET)
    with TestClient(api) as client:
        assert client.get("/staff-only").status_code == 401
        assert client.get("/staff-only", headers=bearer(plain)).status_code == 403
        assert client.get("/staff-only", headers=bearer(staff)).status_code == 200
        assert client.get("/open").status_code == 200


# ---- Token ------------------------------------------------------------------------------


def test_token_encode_decode_round_trip():
    from django_bolt.auth import Token

    token = Token.create(
        "42",
        datetime.timedelta(minutes=5),
        issuer="me",
        audience="api",
        permissions=["a.b"],
        tenant="acme",
    )
    encoded = token.encode(SECRET)
    # Another implementation reads it, and ours reads it back.
    claims = pyjwt.decode(encoded, SECRET, algorithms=["HS256"], audience="api")
    assert claims["sub"] == "42" and claims["tenant"] == "acme" and claims["iss"] == "me"
    decoded = Token.decode(encoded, SECRET, audience="api", issuer="me")
    assert decoded == token
    assert decoded.extras == {"tenant": "acme"} and decoded.exp.tzinfo is not None


def test_token_encode_writes_header_fields():
    from django_bolt.auth import Token

    token = Token.create("1")
    encoded = token.encode(SECRET, headers={"kid": "key-1"})
    assert pyjwt.get_unverified_header(encoded) == {"alg": "HS256", "kid": "key-1", "typ": "JWT"}
    assert Token.decode(encoded, SECRET).sub == "1"
    with pytest.raises(ValueError, match="x5c"):
        token.encode(SECRET, headers={"x5c": "chain"})


def test_token_decode_refuses_what_a_route_refuses():
    from django_bolt.auth import Token

    now = int(time.time())
    good = pyjwt.encode({"sub": "1", "exp": now + 60, "aud": "api"}, SECRET)
    with pytest.raises(ValueError, match="signature"):
        Token.decode(good, "another-secret-" + "y" * 40, audience="api")
    with pytest.raises(ValueError, match="audience"):
        Token.decode(good, SECRET, audience="other")
    expired = pyjwt.encode({"sub": "1", "exp": now - 600}, SECRET)
    with pytest.raises(ValueError, match="expired"):
        Token.decode(expired, SECRET)
    assert Token.decode(expired, SECRET, verify_exp=False).sub == "1"
    with pytest.raises(ValueError, match="malformed"):
        Token.decode("not.a.token", SECRET)
    with pytest.raises(ValueError, match="sub"):
        Token(exp=datetime.datetime.now(datetime.UTC), sub="")
    past = Token(exp=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1), sub="1")
    with pytest.raises(ValueError, match="past"):
        past.encode(SECRET)


def test_create_jwt_for_user_takes_the_originals_arguments(django_project):
    from django.contrib.auth import get_user_model

    from django_bolt.auth import create_jwt_for_user

    user = get_user_model()(pk=7, username="zoe", email="zoe@example.com", is_staff=True)
    token = create_jwt_for_user(user, "another-secret-" + "z" * 40, "HS384", 120, {"role": "x"})
    claims = pyjwt.decode(token, "another-secret-" + "z" * 40, algorithms=["HS384"])
    assert claims["sub"] == "7" and claims["email"] == "zoe@example.com"
    assert claims["role"] == "x" and claims["is_staff"] is True
    assert claims["exp"] - claims["iat"] == 120 and len(claims["jti"]) == 32


# ---- token pairs and rotation ------------------------------------------------------------


def test_access_token_calls_routes_refresh_token_does_not(client):
    tokens = pair(client)
    assert client.get("/authn/tokens/me", headers=bearer(tokens["access_token"])).json() == {
        "username": "ann"
    }
    refused = client.get("/authn/tokens/me", headers=bearer(tokens["refresh_token"]))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Token type 'refresh' is not accepted"
    # ... and the refresh route (token_type="refresh") takes no access token, nor a
    # token that does not say what it is.
    refused = client.post("/authn/tokens/refresh", headers=bearer(tokens["access_token"]))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Token type 'access' is not accepted"
    untyped = pyjwt.encode({"sub": "1", "jti": "u", "exp": int(time.time()) + 60}, SECRET)
    refused = client.post("/authn/tokens/refresh", headers=bearer(untyped))
    assert refused.json()["detail"] == "Token has no 'typ' claim"


def test_refresh_rotates_and_a_replayed_refresh_token_ends_the_family(client):
    first = pair(client)
    rotated = client.post("/authn/tokens/refresh", headers=bearer(first["refresh_token"]))
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/authn/tokens/me", headers=bearer(second["access_token"])).status_code == 200
    # The first refresh token was used: a second use is a theft, which ends the session.
    replay = client.post("/authn/tokens/refresh", headers=bearer(first["refresh_token"]))
    assert replay.status_code == 401
    assert replay.json()["detail"] == "Refresh token is not valid"
    after = client.post("/authn/tokens/refresh", headers=bearer(second["refresh_token"]))
    assert after.status_code == 401


def test_rotation_keeps_origin_and_caps_the_session():
    from django_bolt.auth import InMemoryRevocation, TokenRotationError, create_token_pair
    from django_bolt.auth import rotate_refresh_token as rotate

    store = InMemoryRevocation()
    old = create_token_pair("9", secret=SECRET, method="otp", oat=int(time.time()) - 100)
    new = asyncio.run(rotate(old.refresh_claims, store=store, secret=SECRET))
    assert new.refresh_claims["oat"] == old.refresh_claims["oat"]
    assert new.refresh_claims["fam"] == old.refresh_claims["fam"]
    assert new.access_claims["amr"] == ["otp"]
    with pytest.raises(TokenRotationError):
        asyncio.run(rotate(new.refresh_claims, store=store, secret=SECRET, max_session_lifetime=50))
    only_access = asyncio.run(rotate(new.refresh_claims, store=store, secret=SECRET, rotate=False))
    assert only_access.refresh_token == "" and only_access.access_claims["typ"] == "access"
    # Logging the user out everywhere: the version moves on, older refresh tokens fail.
    asyncio.run(store.revoke_all("9"))
    with pytest.raises(TokenRotationError, match="version"):
        asyncio.run(rotate(new.refresh_claims, store=store, secret=SECRET))
    with pytest.raises(ValueError, match="sub"):
        create_token_pair("9", secret=SECRET, claims={"sub": "10"})
    with pytest.raises(TokenRotationError):
        asyncio.run(rotate(old.access_claims, store=store, secret=SECRET))


# ---- revocation ---------------------------------------------------------------------------


def test_a_revoked_token_is_a_401_and_others_still_pass(client):
    tokens = pair(client, "sam")
    headers = bearer(tokens["access_token"])
    assert client.get("/authn/tokens/me-sync", headers=headers).json()["username"] == "sam"
    assert client.post("/authn/tokens/logout", headers=headers).status_code == 200
    for path in ("/authn/tokens/me", "/authn/tokens/me-sync", "/authn/tokens/logout"):
        method = client.post if path.endswith("logout") else client.get
        refused = method(path, headers=headers)
        assert refused.status_code == 401, path
        assert refused.json() == {"detail": "Token has been revoked"}
        assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    # A route without a revocation check takes the same token (it is verified in Rust).
    assert client.get("/authn/tokens/whoami", headers=headers).json() == {"username": "sam"}
    # Another token of the same user is not revoked.
    other = pair(client, "sam")
    assert client.get("/authn/tokens/me", headers=bearer(other["access_token"])).status_code == 200


def test_require_jti_without_revocation():
    api = BoltAPI()

    @api.get("/x", auth=[JWTAuthentication(secret=SECRET, require_jti=True)])
    async def x():
        return {"ok": True}

    now = int(time.time())
    with TestClient(api) as client:
        without = pyjwt.encode({"sub": "1", "exp": now + 60}, SECRET)
        assert client.get("/x", headers=bearer(without)).status_code == 401
        with_jti = pyjwt.encode({"sub": "1", "jti": "a", "exp": now + 60}, SECRET)
        assert client.get("/x", headers=bearer(with_jti)).status_code == 200


def test_a_revocable_route_requires_a_jti(client):
    now = int(time.time())
    token = pyjwt.encode({"sub": "1", "exp": now + 60}, SECRET)
    refused = client.get("/authn/tokens/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Token has no 'jti' claim"


@pytest.mark.parametrize("store_kind", ["memory", "cache", "orm"])
def test_each_store_revokes(django_project, store_kind):
    from django_bolt.auth import DjangoCacheRevocation, DjangoORMRevocation, InMemoryRevocation

    store = {
        "memory": InMemoryRevocation,
        "cache": DjangoCacheRevocation,
        "orm": DjangoORMRevocation,
    }[store_kind]()
    api = BoltAPI()
    jti = f"jti-{store_kind}-{time.time_ns()}"

    @api.get("/async", auth=[JWTAuthentication(secret=SECRET, revocation_store=store)])
    async def read(request: Request):
        return {"jti": request.auth["claims"]["jti"]}

    @api.get("/sync", auth=[JWTAuthentication(secret=SECRET, revocation_store=store)])
    def read_sync(request: Request):
        return {"jti": request.auth["claims"]["jti"]}

    token = pyjwt.encode({"sub": "1", "jti": jti, "exp": int(time.time()) + 60}, SECRET)
    with TestClient(api) as client:
        for path in ("/async", "/sync"):
            assert client.get(path, headers=bearer(token)).status_code == 200
        asyncio.run(store.revoke(jti, exp=int(time.time()) + 60))
        assert asyncio.run(store.is_revoked(jti))
        for path in ("/async", "/sync"):
            assert client.get(path, headers=bearer(token)).status_code == 401
    assert asyncio.run(store.consume(jti + "-new")) is True
    assert asyncio.run(store.consume(jti + "-new")) is False


def test_a_revoked_token_handler_takes_jti_or_jti_and_claims():
    seen = []

    def by_claims(jti, claims):
        seen.append((jti, claims["sub"]))
        return claims["sub"] == "banned"

    async def by_jti(jti):
        return jti == "revoked-jti"

    api = BoltAPI()

    @api.get("/a", auth=[JWTAuthentication(secret=SECRET, revoked_token_handler=by_claims)])
    async def a():
        return {"ok": True}

    @api.get("/b", auth=[JWTAuthentication(secret=SECRET, revoked_token_handler=by_jti)])
    def b():
        return {"ok": True}

    def make(sub, jti):
        return bearer(pyjwt.encode({"sub": sub, "jti": jti, "exp": int(time.time()) + 60}, SECRET))

    with TestClient(api) as client:
        assert client.get("/a", headers=make("ann", "j1")).status_code == 200
        assert client.get("/a", headers=make("banned", "j2")).status_code == 401
        assert seen == [("j1", "ann"), ("j2", "banned")]
        assert client.get("/b", headers=make("ann", "ok-jti")).status_code == 200
        assert client.get("/b", headers=make("ann", "revoked-jti")).status_code == 401


def test_orm_store_rows_expire(django_project):
    from django_bolt.auth import DjangoORMRevocation
    from django_bolt.models import RevokedToken

    store = DjangoORMRevocation()
    jti = f"short-{time.time_ns()}"
    asyncio.run(store.revoke(jti, exp=int(time.time()) - 1))
    assert not asyncio.run(store.is_revoked(jti))
    assert RevokedToken.objects.expired().filter(jti=jti).exists()
    with pytest.raises(ValueError, match="app_label.ModelName"):
        DjangoORMRevocation("RevokedToken")


# ---- CurrentUser, OptionalCurrentUser, user loaders -------------------------------------------


def test_current_user_parameters(client):
    tokens = pair(client)
    headers = bearer(tokens["access_token"])
    assert client.get("/authn/tokens/whoami", headers=headers).json() == {"username": "ann"}
    assert client.get("/authn/tokens/whoami").json() == {"username": None}


def test_current_user_is_a_401_without_a_user():
    api = BoltAPI()

    @api.get("/me", auth=[JWTAuthentication(secret=SECRET, load_user=False)], guards=[AllowAny()])
    async def me(user: CurrentUser):
        return {"id": user.id}

    with TestClient(api) as client:
        refused = client.get("/me")
        assert refused.status_code == 401
        assert refused.json() == {"detail": "Authentication credentials were not provided"}
        token = pyjwt.encode({"sub": "5", "exp": int(time.time()) + 60}, SECRET)
        assert client.get("/me", headers=bearer(token)).json() == {"id": "5"}


def test_a_backends_user_loader_makes_request_user(client):
    now = int(time.time())
    token = pyjwt.encode({"sub": "u-1", "name": "Dee", "exp": now + 60}, SECRET)
    response = client.get("/authn/tokens/directory", headers=bearer(token))
    assert response.json() == {"id": "u-1", "username": "Dee", "kind": "DirectoryUser"}
    gone = pyjwt.encode({"sub": "404", "exp": now + 60}, SECRET)
    refused = client.get("/authn/tokens/directory", headers=bearer(gone))
    assert refused.status_code == 401


def test_sync_user_loader_and_load_user(django_project):
    from django_bolt.auth import get_registered_backend, load_user, register_auth_backend

    class Sync(JWTAuthentication):
        def get_user_sync(self, user_id):
            return None if user_id == "0" else type("U", (), {"id": user_id, "is_active": True})()

    backend = Sync(secret=SECRET)
    api = BoltAPI()

    @api.get("/who", auth=[backend])
    def who(request: Request):
        return {"id": request.user.id}

    with TestClient(api) as client:
        token = pyjwt.encode({"sub": "s-2", "exp": int(time.time()) + 60}, SECRET)
        assert client.get("/who", headers=bearer(token)).json() == {"id": "s-2"}
        zero = pyjwt.encode({"sub": "0", "exp": int(time.time()) + 60}, SECRET)
        assert client.get("/who", headers=bearer(zero)).status_code == 401

    register_auth_backend("directory", backend)
    assert get_registered_backend("directory") is backend
    assert asyncio.run(load_user("s-3", "directory")).id == "s-3"
    assert asyncio.run(load_user(None, "directory")) is None
    # Without a registered backend: the Django user of that primary key.
    from django.contrib.auth import get_user_model

    ann = get_user_model().objects.get(username="ann")
    assert asyncio.run(load_user(str(ann.pk), "jwt")) == ann
    assert asyncio.run(load_user("999999", "jwt")) is None


def test_context_helpers_read_a_request_or_the_originals_dict(client):
    from django_bolt.auth import AuthContext, extract_user_id_from_context, get_auth_context

    tokens = pair(client)
    body = client.get("/authn/tokens/me-sync", headers=bearer(tokens["access_token"])).json()
    assert body["user_id"].isdigit()
    context = {"context": {"user_id": "3", "backend": "jwt", "claims": {"sub": "3"}}}
    assert extract_user_id_from_context(context) == "3"
    assert get_auth_context(context)["auth_claims"] == {"sub": "3"}
    assert get_auth_context({}) == {}
    assert AuthContext.of(context).user_id == "3"


def test_websocket_handshakes_check_revocation_and_loaders():
    from django_bolt.auth import InMemoryRevocation
    from django_bolt.testing_websocket import WebSocketRejected

    store = InMemoryRevocation()

    class Loader(JWTAuthentication):
        async def get_user(self, user_id, auth_context):
            return type("U", (), {"id": user_id, "username": f"user-{user_id}"})()

    api = BoltAPI()

    @api.websocket("/ws", auth=[Loader(secret=SECRET, revocation_store=store)])
    async def ws(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_json({"username": websocket.user.username})
        await websocket.close()

    token = pyjwt.encode({"sub": "8", "jti": "w-1", "exp": int(time.time()) + 60}, SECRET)
    with TestClient(api) as client:
        with client.websocket_connect("/ws", headers=bearer(token)) as socket:
            assert socket.receive_json() == {"username": "user-8"}
        asyncio.run(store.revoke("w-1"))
        with pytest.raises(WebSocketRejected) as refused:
            client.websocket_connect("/ws", headers=bearer(token))
        assert refused.value.response.status_code == 401
        assert refused.value.response.json() == {"detail": "Token has been revoked"}


def test_set_token_cookies_scopes_the_refresh_cookie():
    from django_bolt import JSON
    from django_bolt.auth import create_token_pair, set_token_cookies

    api = BoltAPI()

    @api.post("/login")
    async def login():
        pair = create_token_pair("3", secret=SECRET, access_ttl=60)
        return set_token_cookies(JSON({"ok": True}), pair, refresh_path="/refresh")

    with TestClient(api) as client:
        cookies = client.post("/login").headers.get_list("set-cookie")
    access, refresh = sorted(cookies)
    assert access.startswith("access_token=") and "Max-Age=60" in access
    assert "Path=/;" in access and "HttpOnly" in access and "Secure" in access
    assert refresh.startswith("refresh_token=") and "Path=/refresh" in refresh
