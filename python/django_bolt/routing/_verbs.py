"""The HTTP method shorthands ``BoltAPI`` and ``Router`` share: ``api.get(path)`` is
``api.route("GET", path)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class RouteMethods:
    """``get`` ... ``query``; a subclass provides ``route(method, path, **options)``."""

    def route(self, method: str, path: str, **options: Any) -> Decorator:
        raise NotImplementedError

    def get(self, path: str, **options: Any) -> Decorator:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Decorator:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Decorator:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Decorator:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Decorator:
        return self.route("DELETE", path, **options)

    def head(self, path: str, **options: Any) -> Decorator:
        return self.route("HEAD", path, **options)

    def options(self, path: str, **options: Any) -> Decorator:
        return self.route("OPTIONS", path, **options)

    def query(self, path: str, **options: Any) -> Decorator:
        """A ``QUERY`` route: a safe, idempotent read whose parameters come in the
        request body, as a POST's do."""
        return self.route("QUERY", path, **options)
