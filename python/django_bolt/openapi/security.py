"""Security requirements of a route, for the document.

Authentication is being added to routes separately (``auth=`` and ``guards=``); until
routes carry their backends, no route declares a requirement. When they do, map each
backend here to an OpenAPI security scheme (HTTP bearer for JWT, an ``apiKey`` in a
header, ...); the document then lists the schemes under ``components.securitySchemes``
and requires them on the route.
"""

from __future__ import annotations

from typing import Any

from ..routing import Route


def security_schemes(route: Route) -> dict[str, dict[str, Any]]:
    """The security schemes ``route`` requires, by scheme name (any one of them is
    enough). None yet: see the module."""
    return {}
