"""What authentication found, as handlers read it: the types of ``request.auth`` and the
helpers the original django-bolt offered for it (``get_auth_context`` and kin).

``request.auth`` is a dict Rust fills (``backend``, ``user_id``, ``is_staff``,
``is_superuser``, ``permissions``, ``claims``); code written for the original reads
the same facts under ``auth_backend`` and ``auth_claims`` too, so the context helpers
hand out both names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

__all__ = [
    "APIKeyAuth",
    "AuthContext",
    "JWTClaims",
    "extract_user_id_from_context",
    "get_auth_context",
]


@dataclass
class AuthContext:
    """An identity as a typed value (``AuthContext.of(request)``), for code that would
    rather not index a dict."""

    user_id: str | None = None
    is_staff: bool = False
    is_superuser: bool = False
    backend: str = "none"
    claims: dict[str, Any] | None = None
    permissions: set[str] | None = field(default=None)

    @classmethod
    def of(cls, request: Any) -> AuthContext:
        """The identity of ``request`` (anonymous when nothing authenticated it)."""
        auth = _auth_of(request)
        return cls(
            user_id=auth.get("user_id"),
            is_staff=bool(auth.get("is_staff", False)),
            is_superuser=bool(auth.get("is_superuser", False)),
            backend=auth.get("backend") or "none",
            claims=auth.get("claims"),
            permissions=set(auth["permissions"]) if "permissions" in auth else None,
        )


class JWTClaims(TypedDict, total=False):
    """The claims ``create_jwt_for_user`` and ``create_token_pair`` write (a token from
    another issuer may carry others; ``request.auth["claims"]`` has them all)."""

    sub: str
    exp: int
    iat: int
    nbf: int
    iss: str
    aud: str | list[str]
    jti: str
    typ: str
    username: str
    is_staff: bool
    is_superuser: bool
    permissions: list[str]


class APIKeyAuth(TypedDict):
    """``request.auth`` of a request an ``APIKeyAuthentication`` let in: a key names
    no user, only the permissions the key was given."""

    backend: str
    user_id: None
    is_staff: bool
    is_superuser: bool
    permissions: list[str]
    claims: None


def get_auth_context(request: Any) -> dict[str, Any]:
    """The identity of ``request`` as a dict: ``request.auth``'s keys plus the original
    django-bolt's names ``auth_backend`` and ``auth_claims``; empty when nothing
    authenticated the request. Takes a ``Request`` (or a dict with a ``context``)."""
    auth = _auth_of(request)
    if not auth:
        return {}
    return {**auth, "auth_backend": auth.get("backend"), "auth_claims": auth.get("claims")}


def extract_user_id_from_context(request: Any) -> str | None:
    """The user id the request's credentials name, or None (anonymous, an API key)."""
    return _auth_of(request).get("user_id")


def _auth_of(request: Any) -> dict[str, Any]:
    """``request.auth`` of a Request; a plain dict (the original's request dict, a test's
    fake) gives its ``context`` or ``auth``."""
    if isinstance(request, dict):
        auth = request.get("context", request.get("auth"))
    else:
        auth = getattr(request, "auth", None)
    return dict(auth) if auth else {}
