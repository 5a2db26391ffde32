"""Tokens for users and the user of a request, under the original django-bolt's module
name: ``create_jwt_for_user``, the context helpers, and the ``CurrentUser`` and
``OptionalCurrentUser`` handler parameters."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Iterable
from typing import Annotated, Any

import msgspec

from .._core import Request, encode_jwt
from ..exceptions import HTTPException
from ..param_functions import Depends
from .backends import jwt_secret
from .context import extract_user_id_from_context, get_auth_context

__all__ = [
    "CurrentUser",
    "OptionalCurrentUser",
    "create_jwt_for_user",
    "extract_user_id_from_context",
    "get_auth_context",
    "get_current_user",
    "sign",
]


def create_jwt_for_user(
    user: Any,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
    expires_in: int | datetime.timedelta = 3600,
    extra_claims: dict[str, Any] | None = None,
    *,
    permissions: Iterable[str] | None = None,
    audience: str | None = None,
    issuer: str | None = None,
) -> str:
    """A signed token for ``user``: ``sub`` (its primary key), ``username``, ``email``
    and names when set, ``is_staff``, ``is_superuser``, ``iat``, ``exp``
    (``expires_in`` seconds away) and a random ``jti`` (so a revocation store can name
    it). ``extra_claims`` are added last and win.

    Guards read ``permissions`` from the token, so pass the ones ``HasPermission``
    should see (e.g. ``await aget_permissions(user)``). ``secret`` defaults to the one
    ``JWTAuthentication`` uses; for RS*/ES*/EdDSA it is the PEM private key.
    """
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user.pk),
        "username": user.get_username() if hasattr(user, "get_username") else str(user),
        "is_staff": bool(getattr(user, "is_staff", False)),
        "is_superuser": bool(getattr(user, "is_superuser", False)),
        "iat": now,
        "exp": now + seconds(expires_in),
        "jti": uuid.uuid4().hex,
    }
    for name in ("email", "first_name", "last_name"):
        if getattr(user, name, None):
            claims[name] = getattr(user, name)
    if permissions is not None:
        claims["permissions"] = sorted(permissions)
    if audience is not None:
        claims["aud"] = audience
    if issuer is not None:
        claims["iss"] = issuer
    claims.update(extra_claims or {})
    return sign(claims, secret, algorithm)


#: The JOSE header fields a token may be given besides ``alg``.
HEADER_FIELDS = frozenset({"kid", "typ", "cty", "jku", "x5u", "x5t"})


def sign(
    claims: dict[str, Any],
    secret: str | bytes | None,
    algorithm: str,
    headers: dict[str, str] | None = None,
) -> str:
    """``claims`` signed in Rust with ``secret`` (default: ``JWTAuthentication``'s);
    ``headers`` adds fields to the JOSE header (``kid`` names the key)."""
    key = secret if secret is not None else jwt_secret()
    key = key.encode() if isinstance(key, str) else key
    if not headers:
        return encode_jwt(msgspec.json.encode(claims), key, algorithm)
    unknown = sorted(set(headers) - HEADER_FIELDS)
    if unknown:
        raise ValueError(
            f"token header fields {unknown} cannot be written; these can: {sorted(HEADER_FIELDS)}"
        )
    header = msgspec.json.encode({"typ": "JWT", **headers})
    return encode_jwt(msgspec.json.encode(claims), key, algorithm, header)


def seconds(value: int | float | datetime.timedelta) -> int:
    """A lifetime given in seconds or as a ``timedelta``, in whole seconds."""
    return int(value.total_seconds() if isinstance(value, datetime.timedelta) else value)


async def get_current_user(request: Request) -> Any:
    """The user the request's credentials name (``request.user``, loaded before the
    handler by the route's backend or user loader), or None when anonymous."""
    user = request.user
    return user if getattr(user, "is_authenticated", False) else None


async def _required_user(request: Request) -> Any:
    user = await get_current_user(request)
    if user is None:
        raise HTTPException(
            401, "Authentication credentials were not provided", {"www-authenticate": "Bearer"}
        )
    return user


#: A handler parameter ``user: CurrentUser``: the authenticated user, else a 401.
CurrentUser = Annotated[Any, Depends(_required_user)]
#: ``user: OptionalCurrentUser``: the authenticated user, or None (an ``AllowAny`` route).
OptionalCurrentUser = Annotated[Any, Depends(get_current_user)]
