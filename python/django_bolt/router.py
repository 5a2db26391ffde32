"""``Router``: routes declared apart from any ``BoltAPI``, with a common prefix, tags,
auth, guards and middleware, and served once included (``api.include_router(router)``).

A router only records what its decorators are given; ``BoltAPI.route`` checks and
analyses each route when the router is included, so one implementation of a route
serves both. Routers nest (``router.include_router(child)`` or ``Router(parent=...)``):
a child's routes take the prefixes of its parents, the defaults (tags, auth, guards) of
the nearest router that has them unless the route gives its own, and the middleware of
every router on the way, outermost first, after the API's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .middleware import BaseMiddleware, checked
from .routing._verbs import RouteMethods

__all__ = ["Router"]

#: The method recorded for ``router.websocket(...)`` declarations.
WEBSOCKET = "WEBSOCKET"

#: Route options a router gives its routes when the route does not (a WebSocket route
#: takes no tags).
_DEFAULTS = ("tags", "auth", "guards")


@dataclass(frozen=True)
class Declaration:
    """One route as a router holds it, with its full path under the router."""

    method: str
    path: str
    handler: Callable[..., Any]
    options: dict[str, Any]
    #: The routers' middleware, outermost first (HTTP routes only).
    middleware: tuple[type[BaseMiddleware], ...] = ()


def join(prefix: str, path: str) -> str:
    """``prefix`` + ``path``, where a path of ``""`` is the prefix itself."""
    return prefix + path if path else prefix


def checked_prefix(where: str, prefix: str) -> str:
    if prefix and not prefix.startswith("/"):
        raise ValueError(f"{where}: prefix {prefix!r} must start with '/'")
    return prefix.rstrip("/")


class Router(RouteMethods):
    """A group of routes under ``prefix``, with defaults for ``tags``, ``auth`` and
    ``guards`` (a route's own wins) and ``middleware`` run inside the API's."""

    def __init__(
        self,
        prefix: str = "",
        tags: list[str] | None = None,
        dependencies: list[Any] | None = None,
        middleware: list[type[BaseMiddleware]] | None = None,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
        parent: Router | None = None,
    ) -> None:
        if dependencies:
            raise TypeError(
                "Router(dependencies=...) is not supported: declare each dependency as a "
                "handler parameter, `name: T = Depends(provider)`"
            )
        self.prefix = checked_prefix("Router", prefix)
        self.tags = list(tags) if tags is not None else None
        self.auth = list(auth) if auth is not None else None
        self.guards = list(guards) if guards is not None else None
        self.middleware = checked("Router(middleware=...)", middleware or ())
        self._declared: list[Declaration] = []
        self._children: list[tuple[str, Router]] = []
        if parent is not None:
            parent.include_router(self)

    def route(self, method: str, path: str, **options: Any) -> Callable[[Callable], Callable]:
        """Record a route; its options are ``BoltAPI.route``'s."""
        if path and not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/' (or be '')")

        def record(handler: Callable[..., Any]) -> Callable[..., Any]:
            self._declared.append(Declaration(method.upper(), path, handler, options))
            return handler

        return record

    def websocket(self, path: str, **options: Any) -> Callable[[Callable], Callable]:
        return self.route(WEBSOCKET, path, **options)

    def include_router(self, router: Router, prefix: str = "") -> None:
        """Nest ``router`` under this one, at ``prefix`` + its own prefix."""
        if router is self:
            raise ValueError("a router cannot include itself")
        self._children.append((checked_prefix("include_router", prefix), router))

    def declarations(self) -> Iterator[Declaration]:
        """Every route of this router and its children, with full paths, defaults
        filled in and middleware gathered."""
        for declared in self._declared:
            yield self._adopt(declared, declared.path)
        for prefix, child in self._children:
            for declared in child.declarations():
                yield self._adopt(declared, join(prefix, declared.path))

    def _adopt(self, declared: Declaration, path: str) -> Declaration:
        websocket = declared.method == WEBSOCKET
        options = dict(declared.options)
        for key in _DEFAULTS[1:] if websocket else _DEFAULTS:
            default = getattr(self, key)
            if default is not None and key not in options:
                options[key] = default
        return Declaration(
            declared.method,
            join(self.prefix, path),
            declared.handler,
            options,
            () if websocket else (*self.middleware, *declared.middleware),
        )


def include(api: Any, router: Router, prefix: str = "") -> None:
    """Register every route of ``router`` on ``api`` (a ``BoltAPI``) under ``prefix``."""
    prefix = checked_prefix("include_router", prefix)
    for declared in router.declarations():
        path = join(prefix, declared.path)
        if declared.method == WEBSOCKET:
            api.websocket(path, **declared.options)(declared.handler)
            continue
        api.route(declared.method, path, **declared.options)(declared.handler)
        if declared.middleware:
            route = api.routes[-1]
            route.middleware = (*route.middleware, *declared.middleware)
