"""URL names of Bolt routes for Django's ``reverse()``, ``reverse_lazy()`` and
``{% url %}``: add ``path("", include("django_bolt.urls"))`` to the ROOT_URLCONF.

Bolt routes are matched in Rust, so Django never routes a request to these patterns:
they exist so that names resolve to paths. A route's name is its ``name=`` or, without
one, its handler's name; a route of ``BoltAPI(namespace="ns")`` reverses as
``"ns:name"`` only. Several methods of one path share a name; a declared name wins over
a derived one; two declared names of different paths are an ``ImproperlyConfigured``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, include, path

from .discovery import discover_apis
from .not_found import served_by_rust
from .routing import Route
from .routing._signature import _PATH_PARAM

__all__ = ["bolt_urlpatterns"]


def bolt_urlpatterns(routes: Iterable[Route]) -> list[URLPattern | URLResolver]:
    """Reverse-only patterns for ``routes``: by namespace, name -> Django path."""
    spaces: dict[str | None, dict[str, tuple[str, bool]]] = {}
    for route in routes:
        name = route.url_name or route.handler.__name__
        declared = route.url_name is not None
        django_path = _PATH_PARAM.sub(r"<\1>", route.path).lstrip("/")
        names = spaces.setdefault(route.namespace, {})
        if name in names:
            other, other_declared = names[name]
            if other == django_path or (other_declared and not declared):
                continue
            if other_declared and declared:
                where = f"{route.namespace}:{name}" if route.namespace else name
                raise ImproperlyConfigured(
                    f"Bolt route name {where!r} is declared for /{other} and /{django_path}"
                )
        names[name] = (django_path, declared)

    def patterns(names: dict[str, tuple[str, bool]]) -> list[URLPattern]:
        return [path(p, served_by_rust, name=name) for name, (p, _) in names.items()]

    found: list[URLPattern | URLResolver] = patterns(spaces.pop(None, {}))
    for namespace, names in spaces.items():
        found.append(path("", include((patterns(names), namespace), namespace=namespace)))
    return found


def __getattr__(name: str) -> Any:
    """``urlpatterns``, made when Django first reads it (every ``api.py`` is imported
    by then), so importing this module discovers nothing."""
    if name != "urlpatterns":
        raise AttributeError(name)
    global urlpatterns
    urlpatterns = bolt_urlpatterns(route for _, api in discover_apis() for route in api.routes)
    return urlpatterns
