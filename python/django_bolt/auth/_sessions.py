"""``SessionAuthentication`` at request time: a Django session is read in Python.

Rust lets a request with the session cookie through with a *deferred* identity
(``request.auth["deferred"]``) and leaves the route's guards to this module: before the
handler runs, the session is loaded from ``settings.SESSION_ENGINE`` and its user from
the database (Django's ``get_user``: the session's auth hash is checked), an unsafe
method must pass Django's own CSRF check, and then every guard runs against the user,
answering as Rust would (the same 401 and 403 bodies and ``WWW-Authenticate``).
"""

from __future__ import annotations

import functools
import io
from typing import Any

from ..exceptions import HTTPException
from ._permissions import all_permissions
from .backends import AuthBackend, SessionAuthentication
from .guards import AllowAny, Guard, IsAuthenticated

__all__ = ["SessionCheck"]

#: Rust's 401 when no backend identified the client (``src/fastpath/auth/mod.rs``).
UNAUTHENTICATED = "Authentication credentials were not provided"


class SessionCheck:
    """What a route with ``SessionAuthentication`` runs for a deferred identity."""

    def __init__(self, auth: list[AuthBackend], guards: list[Guard]) -> None:
        #: A route with backends and no guard requires authentication, as in Rust.
        self.guards = guards or [IsAuthenticated()]
        self.challenge = auth[0].challenge
        self.reads_permissions = any(g.reads_permissions for g in self.guards)

    @classmethod
    def of(cls, auth: list[AuthBackend], guards: list[Guard]) -> SessionCheck | None:
        """The check for a route, or None when no backend is a session."""
        if any(isinstance(backend, SessionAuthentication) for backend in auth):
            return cls(auth, guards)
        return None

    @staticmethod
    def defers(request: Any) -> bool:
        """Whether Rust left this request to the session (its cookie was sent)."""
        return request.auth.get("deferred", False)

    def authenticate(self, request: Any, *, websocket: bool = False) -> None:
        """Set ``request.user`` and ``request.auth`` from the session, then enforce CSRF
        (unsafe methods; the ``Origin`` of a WebSocket handshake) and the guards.
        Sync: the session store and the ORM are; raises HTTPException to refuse."""
        secure = request.auth.get("scheme") == "https"
        django_request = _django_request(request, secure)
        user = _session_user(django_request)
        request.auth = {}
        if user.is_authenticated:
            _enforce_csrf(django_request, websocket)
            request.user = user
            request.auth = self._identity(user)
        for guard in self.guards:
            self._check(guard, user)

    async def aauthenticate(self, request: Any, *, websocket: bool = False) -> None:
        """``authenticate`` from the event loop: it runs in Django's thread."""
        from asgiref.sync import sync_to_async

        await sync_to_async(self.authenticate)(request, websocket=websocket)

    def _identity(self, user: Any) -> dict[str, Any]:
        """``request.auth`` of a session, shaped as a token's."""
        permissions = sorted(all_permissions(user)) if self.reads_permissions else []
        return {
            "backend": SessionAuthentication.kind,
            "user_id": str(user.pk),
            "is_staff": getattr(user, "is_staff", False),
            "is_superuser": getattr(user, "is_superuser", False),
            "permissions": permissions,
            "claims": None,
        }

    def _check(self, guard: Guard, user: Any) -> None:
        if isinstance(guard, AllowAny):
            return
        if not user.is_authenticated:
            raise HTTPException(401, UNAUTHENTICATED, {"www-authenticate": self.challenge})
        if not guard.allows(user):
            raise HTTPException(403, guard.requirement)


def _django_request(request: Any, secure: bool) -> Any:
    """A Django request with what the session and CSRF checks read of ``request``: its
    head. The body stays Bolt's (Rust parses forms), so the CSRF token comes in the
    header, never in a ``csrfmiddlewaretoken`` field."""
    from django.core.handlers.asgi import ASGIRequest
    from django.http import QueryDict

    headers = [
        (name.encode("latin-1"), value.encode("latin-1", "replace"))
        for name, value in request.headers.items()
        if name not in ("cookie", "host")
    ]
    if request.host:
        headers.append((b"host", request.host.encode("latin-1", "replace")))
    scope = {
        "type": "http",
        "method": request.method,
        "path": request.path,
        "query_string": request.query_string.encode("latin-1", "replace"),
        "headers": headers,
        "scheme": "https" if secure else "http",
    }
    django_request = ASGIRequest(scope, io.BytesIO())
    django_request.POST = QueryDict()
    # Rust parsed the Cookie headers as Django's parse_cookie does (HTTP/2 splits
    # them, and Rust joins repeated headers with ", ", so they are not re-sent).
    django_request.COOKIES = request.cookies
    return django_request


def _session_user(django_request: Any) -> Any:
    """The user of the request's session, or the anonymous user."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user

    store = import_module(settings.SESSION_ENGINE).SessionStore
    django_request.session = store(django_request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    return get_user(django_request)


def _enforce_csrf(django_request: Any, websocket: bool) -> None:
    """Django's ``CsrfViewMiddleware`` decides, as for a Django view (DRF does the same).
    A WebSocket handshake is a GET, which CSRF lets through, yet a page of another site
    can open one with the user's cookie: its ``Origin`` must be one Django trusts."""
    from django.core.exceptions import DisallowedHost

    check = _csrf_check()
    try:
        if websocket:
            origin = django_request.META.get("HTTP_ORIGIN")
            reason = None
            if origin is not None and not check._origin_verified(django_request):
                reason = f"Origin checking failed - {origin} does not match any trusted origins."
        else:
            check.process_request(django_request)
            reason = check.process_view(django_request, None, (), {})
    except DisallowedHost as exc:
        raise HTTPException(400, str(exc)) from None
    if reason:
        raise HTTPException(403, f"CSRF Failed: {reason}")


@functools.cache
def _csrf_check() -> Any:
    from django.middleware.csrf import CsrfViewMiddleware

    class CsrfCheck(CsrfViewMiddleware):
        def _reject(self, request: Any, reason: str) -> str:
            return reason  # the reason, for a JSON 403 instead of Django's HTML page

    return CsrfCheck(lambda request: None)
