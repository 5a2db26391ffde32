"""Making JSON Web Tokens for users: what a login route hands out and
``JWTAuthentication`` accepts."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from typing import Any

import msgspec

from .._core import encode_jwt
from .backends import jwt_secret

__all__ = ["create_jwt_for_user"]


def create_jwt_for_user(
    user: Any,
    *,
    expires_in: int | datetime.timedelta = 3600,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
    permissions: Iterable[str] | None = None,
    audience: str | None = None,
    issuer: str | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """A signed token for ``user``: ``sub`` (its primary key), ``username``,
    ``is_staff``, ``is_superuser``, ``iat`` and ``exp`` (``expires_in`` seconds away).

    Guards read ``permissions`` from the token, so pass the ones ``HasPermission``
    should see (e.g. ``await aget_permissions(user)``). ``secret`` defaults to the one
    ``JWTAuthentication`` uses; for RS*/ES*/EdDSA it is the PEM private key.
    """
    now = int(time.time())
    lifetime = (
        expires_in.total_seconds() if isinstance(expires_in, datetime.timedelta) else expires_in
    )
    claims: dict[str, Any] = {
        "sub": str(user.pk),
        "username": user.get_username() if hasattr(user, "get_username") else str(user),
        "is_staff": bool(getattr(user, "is_staff", False)),
        "is_superuser": bool(getattr(user, "is_superuser", False)),
        "iat": now,
        "exp": now + int(lifetime),
    }
    if permissions is not None:
        claims["permissions"] = sorted(permissions)
    if audience is not None:
        claims["aud"] = audience
    if issuer is not None:
        claims["iss"] = issuer
    claims.update(extra_claims or {})
    key = secret if secret is not None else jwt_secret()
    key = key.encode() if isinstance(key, str) else key
    return encode_jwt(msgspec.json.encode(claims), key, algorithm)
