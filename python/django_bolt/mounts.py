"""Mounts: ASGI applications under a prefix (``api.mount_asgi``,
``api.mount_django``). (``api.mount`` of another ``BoltAPI`` copies its routes and
mounts into the parent, so Rust routes them like any other: that is ``BoltAPI``'s.)

An ASGI mount is served by the application that Rust hands every request no
Bolt route answers: ``with_mounts`` puts a dispatcher in front of that application
when some API has mounts (and only then, so a project without mounts runs exactly as
before). A matched Bolt route never reaches it, and neither does a near miss that
Rust answers itself (405, the trailing-slash alias).

The mounted application gets the scope the ASGI specification describes for an
application mounted at a prefix: ``root_path`` extended by the prefix and ``path``
the whole path (which starts with ``root_path``), as Starlette, Django and asgiref's
WSGI adapter read it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

from .router import checked_prefix
from .routing import Route


@dataclasses.dataclass(frozen=True)
class AsgiMount:
    """An ASGI ``app`` under ``prefix``; ``app=None`` is Django's application.
    ``clear_root_path``: the app's URLs already include the prefix, so its
    ``root_path`` stays the server's."""

    prefix: str
    app: Any = None
    clear_root_path: bool = False

    def __post_init__(self) -> None:
        prefix = checked_prefix("mount", self.prefix) or "/"
        if "{" in prefix or "}" in prefix:
            raise ValueError(f"mount prefix {self.prefix!r} must be static (no {{parameters}})")
        if self.app is not None and not callable(self.app):
            raise TypeError(f"mount {prefix}: {self.app!r} is not an ASGI application")
        object.__setattr__(self, "prefix", prefix)

    def matches(self, path: str) -> bool:
        return self.prefix == "/" or path == self.prefix or path.startswith(self.prefix + "/")

    def scope(self, scope: dict[str, Any], root_path: str) -> dict[str, Any]:
        if self.clear_root_path or self.prefix == "/":
            return scope
        return {**scope, "root_path": root_path + self.prefix}


class Mounting(Protocol):
    """What ``with_mounts`` reads of a ``BoltAPI``: its routes and its ASGI mounts
    (the API imports this module, so it is named by shape, not by class)."""

    routes: list[Route]
    asgi_mounts: list[AsgiMount]


def with_mounts(apis: Sequence[Mounting], fallback: Any) -> Any:
    """The application for requests no Bolt route answers: ``fallback`` itself, or a
    dispatcher to the ASGI mounts of ``apis`` in front of it. Raises ValueError for two
    mounts at one prefix, or a mount at a route's path (the route would always win)."""
    mounts = [mount for api in apis for mount in api.asgi_mounts]
    if not mounts:
        return fallback
    routes = {route.path.rstrip("/") or "/" for api in apis for route in api.routes}
    seen: set[str] = set()
    for mount in mounts:
        if mount.prefix in seen:
            raise ValueError(f"two ASGI mounts at {mount.prefix}")
        if mount.prefix in routes:
            raise ValueError(f"the ASGI mount at {mount.prefix} has the path of a Bolt route")
        seen.add(mount.prefix)
    return MountDispatcher(mounts, fallback)


class MountDispatcher:
    """The longest matching prefix's application, else ``fallback`` (404 without)."""

    def __init__(self, mounts: list[AsgiMount], fallback: Any) -> None:
        self.mounts = sorted(mounts, key=lambda m: len(m.prefix), reverse=True)
        self.fallback = fallback
        self._django: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            root_path = scope.get("root_path", "")
            path = scope["path"]
            if root_path and path.startswith(root_path):
                path = path[len(root_path) :]
            for mount in self.mounts:
                if mount.matches(path):
                    app = mount.app or self._django_app()
                    return await app(mount.scope(scope, root_path), receive, send)
        if self.fallback is not None:
            return await self.fallback(scope, receive, send)
        await _unanswered(scope, receive, send)

    def _django_app(self) -> Any:
        """``mount_django`` without an app: the server's Django application when it
        is the fallback, else one made at the first request such a mount gets."""
        if self._django is None:
            from .django_app import DjangoApplication, get_django_application

            fallback = self.fallback
            is_django = isinstance(fallback, DjangoApplication)
            self._django = fallback if is_django else get_django_application()
        return self._django


async def _unanswered(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """No fallback application (``--no-asgi``, a TestClient without ``asgi=``): a 404,
    a refused handshake, and a lifespan with nothing to start."""
    if scope["type"] == "http":
        body = b'{"detail":"Not Found"}'
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1000})
    elif scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
