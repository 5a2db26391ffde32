"""Authentication backends for ``auth=[...]`` on a route.

They are settings, not code that runs per request: each describes itself to Rust,
which checks every request's credentials before any Python runs (a bad or missing one
is a 401 from Rust). What a backend learns becomes ``request.auth``; a route whose
handler takes the ``Request`` also gets ``request.user``, the Django user the token
names (see ``users.py``). Django sessions are the exception: Rust only sees the
cookie, and Python reads the session (see ``_sessions.py``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..rate_limit import HEADER_NAME
from .csrf import csrf_description
from .jwks import JwksSource

__all__ = [
    "APIKeyAuthentication",
    "AuthBackend",
    "BaseAuthentication",
    "JWTAuthentication",
    "SessionAuthentication",
    "get_default_authentication_classes",
    "jwt_secret",
]


class AuthBackend:
    """What every backend has: the header its credentials come in."""

    #: The backend's name in ``request.auth["backend"]`` and in Rust.
    kind = ""
    #: The ``WWW-Authenticate`` of a 401 without credentials (Rust sends the same).
    challenge = ""

    def __init__(self, header: str) -> None:
        if not header or not header.isascii():
            raise ValueError(f"{type(self).__name__}: header {header!r} is not a header name")
        self.header = header.lower()

    def describe(self) -> dict[str, Any]:
        """The description Rust compiles; read when the server (or TestClient) starts."""
        return {"kind": self.kind, "header": self.header}

    def unconfigured(self, description: dict[str, Any]) -> str | None:
        """Why the backend, as ``description`` says it is configured, refuses every
        request, and how to configure it; None when it can let someone in."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(header={self.header!r})"


class JWTAuthentication(AuthBackend):
    """A JSON Web Token in ``Authorization: Bearer <token>`` (or the whole value of
    another ``header``), checked in Rust: signature, ``exp``, ``nbf``, ``aud`` /
    ``iss`` when ``audience`` / ``issuer`` are given, and that every claim named in
    ``required_claims`` is present.

    ``token_types`` are the kinds of token accepted (default ``("access",)``): a token
    that declares another kind in its ``token_type``, ``typ`` or ``token_use`` claim or
    its JOSE header's ``typ`` (other than ``JWT``) is refused, so a refresh or ID token
    signed with the same secret is no access token. ``at+jwt`` and ``Bearer`` count as
    "access"; a token declaring no type is accepted. ``token_types=None`` checks nothing.

    ``secret`` is the HMAC secret (default: ``settings.BOLT_JWT_SECRET``, else
    ``settings.SECRET_KEY``), or the PEM public key for RS*/PS*/ES*/EdDSA algorithms
    (``public_key=`` says the same more plainly). An identity provider's keys come from
    its JSON Web Key Set instead: ``jwks_url`` (see ``jwks.py``), or the document
    itself as ``jwks``.

    ``cookie`` also reads the token from that cookie (a browser's ``HttpOnly`` one),
    after the header. A request whose token came from the cookie and whose method is
    unsafe must come from this site (``csrf=True``, see ``csrf.py``), or it is a 403.

    ``request.user`` is the Django user whose primary key is the ``sub`` claim (a 401 if
    it is gone or inactive); with ``load_user=False`` (tokens from another issuer, or no
    database query per request) it is a ``TokenUser`` read from the claims.

    ``revoked_token_handler(jti)`` (or ``(jti, claims)``, sync or async), or a
    ``revocation_store`` (``revocation.py``), makes a revoked token a 401: checked in
    Python before the handler, on this backend's routes only; the ``jti`` claim is then
    required (as with ``require_jti=True``). ``token_type="refresh"`` (the original's
    spelling) accepts only tokens whose ``typ`` claim says so.
    """

    kind = "jwt"
    challenge = "Bearer"

    def __init__(
        self,
        secret: str | bytes | None = None,
        algorithms: Iterable[str] = ("HS256",),
        *,
        header: str = "authorization",
        audience: str | Iterable[str] | None = None,
        issuer: str | Iterable[str] | None = None,
        leeway: int | datetime.timedelta = 0,
        required_claims: Iterable[str] = ("exp",),
        token_types: Iterable[str] | None = ("access",),
        load_user: bool = True,
        revoked_token_handler: Callable[..., Any] | None = None,
        revocation_store: Any | None = None,
        token_type: str | None = None,
        require_jti: bool = False,
        cookie: str | None = None,
        csrf: bool = True,
        public_key: str | bytes | None = None,
        jwks_url: str | None = None,
        jwks: Mapping[str, Any] | str | None = None,
        jwks_refresh_interval: int = 300,
        oidc_issuer: str | None = None,
    ) -> None:
        super().__init__(header)
        if oidc_issuer is not None:
            raise ValueError(
                "JWTAuthentication(oidc_issuer=...) is not offered: pass jwks_url= (the "
                "jwks_uri of the issuer's /.well-known/openid-configuration) and issuer="
            )
        self.load_user = load_user
        if public_key is not None and secret is not None:
            raise ValueError("JWTAuthentication takes secret= or public_key=, not both")
        self.secret = secret if public_key is None else public_key
        self.cookie = _cookie_name(cookie)
        self.csrf = bool(csrf)
        self.jwks = JwksSource.configure(
            jwks_url, jwks, jwks_refresh_interval, self.secret, audience, issuer
        )
        self.algorithms = _strings(algorithms)
        if not self.algorithms:
            raise ValueError("JWTAuthentication needs at least one algorithm")
        self.audience = _strings(audience)
        self.issuer = _strings(issuer)
        self.leeway = int(
            leeway.total_seconds() if isinstance(leeway, datetime.timedelta) else leeway
        )
        if self.leeway < 0:
            raise ValueError("JWTAuthentication: leeway cannot be negative")
        self.required_claims = _strings(required_claims)
        self.token_types = None if token_types is None else _strings(token_types)
        if self.token_types == []:
            raise ValueError("JWTAuthentication: token_types is empty; pass None to accept any")
        if token_type is not None:
            # The original's spelling: the token must declare exactly this type.
            self.token_types = [token_type]
            self.required_claims.append("typ")
        self.revocation_store = revocation_store
        self.revoked_token_handler = revoked_token_handler or _revocation_handler(revocation_store)
        if (require_jti or self.revoked_token_handler) and "jti" not in self.required_claims:
            self.required_claims.append("jti")

    def describe(self) -> dict[str, Any]:
        keys = self.jwks.describe() if self.jwks else {"secret": _bytes(self.key())}
        return {
            **super().describe(),
            **keys,
            **({"cookie": self.cookie, **csrf_description(self.csrf)} if self.cookie else {}),
            "algorithms": self.algorithms,
            "audience": self.audience,
            "issuer": self.issuer,
            "leeway": self.leeway,
            "required_claims": self.required_claims,
            "token_types": self.token_types,
            "load_user": self.load_user,
        }

    def key(self) -> str | bytes:
        """The secret or PEM public key tokens are checked with (not with ``jwks``)."""
        return self.secret if self.secret is not None else jwt_secret()


class APIKeyAuthentication(AuthBackend):
    """A key in the ``X-API-Key`` header (or ``Authorization: Bearer <key>`` with
    ``header="authorization"``), compared in constant time in Rust.

    ``api_keys`` defaults to ``settings.BOLT_API_KEYS``; ``key_permissions`` maps a key
    to the permissions it grants (``HasPermission`` guards read them). Without any key
    the server still starts, and the backend accepts no key: a route that needs it
    answers 401 to every request (a warning at start-up names the route).
    """

    kind = "api_key"
    challenge = "ApiKey"

    def __init__(
        self,
        api_keys: Iterable[str] | None = None,
        *,
        header: str = "x-api-key",
        key_permissions: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        super().__init__(header)
        self.api_keys = None if api_keys is None else _strings(api_keys)
        self.key_permissions = {k: _strings(v) for k, v in (key_permissions or {}).items()}

    def describe(self) -> dict[str, Any]:
        keys = self.api_keys if self.api_keys is not None else _setting("BOLT_API_KEYS", [])
        keys = list(dict.fromkeys([*_strings(keys), *self.key_permissions]))
        return {
            **super().describe(),
            "keys": [(key, self.key_permissions.get(key, [])) for key in keys],
        }

    def unconfigured(self, description: dict[str, Any]) -> str | None:
        if description["keys"]:
            return None
        return (
            "APIKeyAuthentication has no keys, so every request is refused with 401: "
            "set BOLT_API_KEYS = ['<key>', ...] in the Django settings, or pass "
            "APIKeyAuthentication(api_keys=[...])"
        )


class SessionAuthentication(AuthBackend):
    """The Django session of a user who logged in through Django (its login view, the
    admin, ``django.contrib.auth.login``), read from the session cookie.

    Rust sees only the cookie: the session is loaded from ``settings.SESSION_ENGINE``
    and the user from the database (checking the session's auth hash, as Django's
    ``AuthenticationMiddleware`` does), and the route's guards run in Python against
    that user. Unsafe methods must pass Django's CSRF check. Backends Rust can check
    (JWT, API keys) are tried first on a route that lists several.
    """

    kind = "session"

    def __init__(self) -> None:
        super().__init__("cookie")

    @property
    def cookie(self) -> str:
        """Django's ``SESSION_COOKIE_NAME``, read when the route table is built."""
        return _setting("SESSION_COOKIE_NAME", "sessionid")

    @property
    def challenge(self) -> str:
        return f'Session cookie="{self.cookie}"'

    def describe(self) -> dict[str, Any]:
        from .users import _has_users

        if not _has_users():
            raise ValueError(
                "SessionAuthentication needs Django set up with django.contrib.auth in "
                "INSTALLED_APPS"
            )
        return {**super().describe(), "cookie": self.cookie}

    def __repr__(self) -> str:
        return "SessionAuthentication()"


#: The original django-bolt's name for the base of the backends.
BaseAuthentication = AuthBackend


def get_default_authentication_classes() -> list[AuthBackend]:
    """``settings.BOLT_AUTHENTICATION_CLASSES``: the backends of a route declared
    without ``auth=`` (none when unset)."""
    return list(_setting("BOLT_AUTHENTICATION_CLASSES", None) or [])


def _revocation_handler(store: Any) -> Callable[..., Any] | None:
    if store is None:
        return None
    from .revocation import create_revocation_handler

    return create_revocation_handler(store)


def jwt_secret() -> str:
    """The default JWT secret: ``settings.BOLT_JWT_SECRET``, else ``SECRET_KEY``."""
    secret = _setting("BOLT_JWT_SECRET", None) or _setting("SECRET_KEY", None)
    if not secret:
        raise ValueError(
            "JWTAuthentication has no secret: pass secret=... or configure Django's "
            "SECRET_KEY (or BOLT_JWT_SECRET)"
        )
    return secret


def _cookie_name(name: str | None) -> str | None:
    if name is not None and not (name and HEADER_NAME.match(name)):
        raise ValueError(f"JWTAuthentication: cookie {name!r} is not a cookie name")
    return name


def _setting(name: str, default: Any) -> Any:
    from django.conf import settings

    if not settings.configured:
        return default
    return getattr(settings, name, default)


def _strings(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)
