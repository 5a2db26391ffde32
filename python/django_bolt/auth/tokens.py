"""Access and refresh token pairs: a short-lived access token (checked in Rust on every
request) and a long-lived refresh token, accepted only by a refresh route
(``JWTAuthentication(token_types=("refresh",))``), exchanged there for a new pair.

Each token says what it is in ``typ``, so a refresh token cannot call an ordinary route
(Rust refuses it, as any token of another kind). A refresh token carries a ``jti``
and the id of its rotation family (``fam``); rotating consumes the ``jti`` in a
revocation store, so a refresh token used twice (stolen and replayed) revokes its whole
family. ``oat`` (the time of the original login) survives rotations, to cap a session's
length; ``ver`` is the user's token version, bumped to log out everywhere.
"""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .jwt_utils import create_jwt_for_user, seconds, sign
from .revocation import RevocationStore

__all__ = [
    "TokenPair",
    "TokenRotationError",
    "create_jwt_for_user",
    "create_token_pair",
    "rotate_refresh_token",
    "set_token_cookies",
]

ACCESS_TTL = 15 * 60
REFRESH_TTL = 7 * 24 * 3600
#: Claims the pair's life depends on: ``claims=`` may not set them.
RESERVED_CLAIMS = frozenset({"sub", "iat", "exp", "typ", "jti", "fam", "oat", "ver"})


class TokenRotationError(Exception):
    """The refresh token cannot be exchanged (revoked, replayed, of another version,
    past the session's cap). Answer every such case with the same 401."""


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    access_claims: dict[str, Any]
    refresh_claims: dict[str, Any]


def create_token_pair(
    user: Any,
    *,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
    access_ttl: int | datetime.timedelta = ACCESS_TTL,
    refresh_ttl: int | datetime.timedelta = REFRESH_TTL,
    claims: dict[str, Any] | None = None,
    method: str | list[str] | None = None,
    version: int = 0,
    oat: int | None = None,
) -> TokenPair:
    """A new pair for ``user`` (a user, or its id). ``claims`` go into both tokens;
    ``method`` is recorded as ``amr`` (how the user logged in: ``"pwd"``, ``"otp"``);
    ``version`` is the user's token version in the store (``get_user_version``)."""
    _refuse_reserved(claims)
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": str(user.pk) if hasattr(user, "pk") else str(user),
        "iat": now,
        "oat": now if oat is None else int(oat),
        "ver": version,
        **(claims or {}),
    }
    if method is not None:
        base["amr"] = [method] if isinstance(method, str) else list(method)
    return _pair(
        base, uuid.uuid4().hex, secret, algorithm, seconds(access_ttl), seconds(refresh_ttl)
    )


async def rotate_refresh_token(
    refresh_claims: dict[str, Any],
    *,
    store: RevocationStore,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
    access_ttl: int | datetime.timedelta = ACCESS_TTL,
    refresh_ttl: int | datetime.timedelta = REFRESH_TTL,
    rotate: bool = True,
    max_session_lifetime: int | datetime.timedelta | None = None,
    claims: dict[str, Any] | None = None,
) -> TokenPair:
    """A new pair for the refresh token whose verified claims are ``refresh_claims``
    (``request.auth["claims"]`` on a refresh route). With ``rotate`` the old refresh
    token is consumed (a second use revokes its family); without, only a new access
    token is made (``refresh_token`` is empty) and the refresh token stays usable.
    ``claims`` are not copied from the old tokens (they may be stale): pass them again.
    Raises ``TokenRotationError``."""
    _refuse_reserved(claims)
    now = int(time.time())
    jti, family, user_id = (refresh_claims.get(k) for k in ("jti", "fam", "sub"))
    if refresh_claims.get("typ") != "refresh":
        raise TokenRotationError("Not a refresh token")
    if not all(isinstance(v, str) and v for v in (jti, family, user_id)):
        raise TokenRotationError("Refresh token lacks jti, fam or sub")
    if await store.is_family_revoked(family):
        raise TokenRotationError("Refresh token family revoked")
    if not rotate and await store.is_revoked(jti):
        raise TokenRotationError("Refresh token revoked")
    oat = _int_claim(refresh_claims, "oat", now)
    access_seconds = seconds(access_ttl)
    if max_session_lifetime is not None:
        if "oat" not in refresh_claims:
            raise TokenRotationError("Refresh token lacks the time of the login (oat)")
        left = oat + seconds(max_session_lifetime) - now
        if left <= 0:
            raise TokenRotationError("Session exceeded its maximum lifetime")
        access_seconds = min(access_seconds, left)
    version = await _user_version(store, user_id)
    if _int_claim(refresh_claims, "ver", 0) != version:
        raise TokenRotationError("Refresh token version is outdated")
    carried = {"sub": user_id, "oat": oat, "ver": version, **(claims or {})}
    if "amr" in refresh_claims:
        carried["amr"] = refresh_claims["amr"]
    if not rotate:
        carried.update(iat=now, typ="access", exp=now + access_seconds)
        return TokenPair(sign(carried, secret, algorithm), "", carried, refresh_claims)
    if not await store.consume(jti, exp=_int_claim(refresh_claims, "exp", None)):
        # Used before: the token was copied. End the whole session, the thief's and the
        # user's, whose next refresh fails and who logs in again.
        await store.revoke_family(family, exp=now + seconds(refresh_ttl))
        raise TokenRotationError("Refresh token already used")
    carried["iat"] = now
    return _pair(carried, family, secret, algorithm, access_seconds, seconds(refresh_ttl))


def set_token_cookies(
    response: Any,
    pair: TokenPair,
    *,
    access_cookie: str = "access_token",
    refresh_cookie: str = "refresh_token",
    refresh_path: str = "/",
    secure: bool = True,
    samesite: str = "Lax",
    domain: str | None = None,
) -> Any:
    """Put the pair in ``HttpOnly`` cookies of ``response``, each living as long as its
    token; the refresh cookie only for ``refresh_path`` (the refresh route), so that
    ordinary requests do not carry it. Returns ``response``."""
    now = int(time.time())
    cookies = [(access_cookie, pair.access_token, pair.access_claims, "/")]
    if pair.refresh_token:
        cookies.append((refresh_cookie, pair.refresh_token, pair.refresh_claims, refresh_path))
    for name, value, claims, path in cookies:
        response.set_cookie(
            name,
            value,
            max_age=max(0, int(claims["exp"]) - now),
            path=path,
            domain=domain,
            secure=secure,
            httponly=True,
            samesite=samesite,
        )
    return response


def _pair(
    base: dict[str, Any],
    family: str,
    secret: str | bytes | None,
    algorithm: str,
    access_seconds: int,
    refresh_seconds: int,
) -> TokenPair:
    now = base["iat"]
    access = {**base, "typ": "access", "exp": now + access_seconds, "jti": uuid.uuid4().hex}
    refresh = {
        **base,
        "typ": "refresh",
        "exp": now + refresh_seconds,
        "jti": uuid.uuid4().hex,
        "fam": family,
    }
    return TokenPair(
        sign(access, secret, algorithm), sign(refresh, secret, algorithm), access, refresh
    )


def _refuse_reserved(claims: dict[str, Any] | None) -> None:
    reserved = sorted(RESERVED_CLAIMS.intersection(claims or {}))
    if reserved:
        raise ValueError(f"claims may not set the pair's own claims {reserved}")


def _int_claim(claims: dict[str, Any], name: str, default: Any) -> Any:
    if name not in claims:
        return default
    try:
        return int(claims[name])
    except (TypeError, ValueError):
        raise TokenRotationError(f"Refresh token has an invalid {name!r}") from None


async def _user_version(store: RevocationStore, user_id: str) -> int:
    try:
        return await store.get_user_version(user_id)
    except NotImplementedError:
        return 0
