"""Security requirements of a route, for the document: each auth backend as an OpenAPI
security scheme (HTTP bearer for a JWT in ``Authorization``, an ``apiKey`` cookie for a
Django session, an ``apiKey`` header otherwise)."""

from __future__ import annotations

from typing import Any

from ..auth.backends import AuthBackend, JWTAuthentication, SessionAuthentication
from ..auth.guards import AllowAny, Guard, IsAuthenticated
from ..routing import Route


def security_schemes(route: Route) -> dict[str, dict[str, Any]]:
    """The security schemes ``route`` accepts, by scheme name (any one of them is
    enough)."""
    return {_name(backend): _scheme(backend) for backend in route.auth}


def is_optional(route: Route) -> bool:
    """An ``AllowAny`` route serves anonymous clients too."""
    return any(isinstance(guard, AllowAny) for guard in route.guards)


def refusals(route: Route) -> dict[str, str]:
    """The statuses auth and guards may answer with, and why."""
    if not route.auth:
        return {}
    statuses = {"401": "Missing or invalid credentials"}
    if any(_grants(guard) for guard in route.guards):
        statuses["403"] = "The credentials lack a permission the route requires"
    return statuses


def _grants(guard: Guard) -> bool:
    return not isinstance(guard, (AllowAny, IsAuthenticated))


def _name(backend: AuthBackend) -> str:
    uses_bearer = isinstance(backend, JWTAuthentication) and backend.header == "authorization"
    if isinstance(backend, SessionAuthentication):
        return "sessionAuth"
    return "bearerAuth" if uses_bearer else f"{backend.kind}.{backend.header}"


def _scheme(backend: AuthBackend) -> dict[str, Any]:
    if isinstance(backend, JWTAuthentication) and backend.header == "authorization":
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    if isinstance(backend, SessionAuthentication):
        return {"type": "apiKey", "in": "cookie", "name": backend.cookie}
    return {"type": "apiKey", "in": "header", "name": backend.header}
