"""Routes for the JWT tests (``settings_jwt``, under /jwt): a token read from a cookie
with the cross-site check, keys from a JSON Web Key Set the test serves (its URL in the
``JWT_TEST_JWKS_URL`` environment variable), and rate limits per user and per API key."""

from __future__ import annotations

import os

from django_bolt import APIKeyAuthentication, BoltAPI, JWTAuthentication, Request, rate_limit

api = BoltAPI(prefix="/jwt")

SECRET = "tests-only-jwt-secret-" + "x" * 48  # the project's BOLT_JWT_SECRET
API_KEYS = ["key-one", "key-two"]
JWKS_AUDIENCE = "bolt-tests"
JWKS_ISSUER = "https://issuer.test/"

cookie_auth = [JWTAuthentication(cookie="access_token", load_user=False)]
no_csrf_auth = [JWTAuthentication(cookie="access_token", csrf=False, load_user=False)]


def whoami(request: Request) -> dict:
    return {"user_id": request.auth["user_id"]}


@api.get("/cookie", auth=cookie_auth)
async def cookie_read(request: Request) -> dict:
    return whoami(request)


@api.post("/cookie", auth=cookie_auth)
async def cookie_write(request: Request) -> dict:
    return whoami(request)


@api.post("/cookie-no-csrf", auth=no_csrf_auth)
async def cookie_write_unchecked(request: Request) -> dict:
    return whoami(request)


if os.environ.get("JWT_TEST_JWKS_URL"):
    jwks_auth = [
        JWTAuthentication(
            jwks_url=os.environ["JWT_TEST_JWKS_URL"],
            algorithms=["RS256", "ES256"],
            audience=JWKS_AUDIENCE,
            issuer=JWKS_ISSUER,
            load_user=False,
        )
    ]

    @api.get("/jwks", auth=jwks_auth)
    async def jwks_read(request: Request) -> dict:
        return whoami(request)


jwt_auth = [JWTAuthentication(load_user=False)]
key_auth = [APIKeyAuthentication(api_keys=API_KEYS)]


@api.get("/per-user", auth=jwt_auth)
@rate_limit(rps=0.2, burst=2, key="user")
async def per_user(request: Request) -> dict:
    return whoami(request)


@api.get("/per-key", auth=key_auth)
@rate_limit(rps=0.2, burst=2, key="api_key")
async def per_key() -> dict:
    return {"ok": True}
