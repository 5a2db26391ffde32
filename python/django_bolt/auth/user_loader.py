"""Custom user loaders: a backend class that defines ``get_user(user_id, auth_context)``
(async or not) or ``get_user_sync(user_id)`` decides what ``request.user`` is for the
requests it authenticates, in place of the query by primary key (a user from another
table, a cache, an identity provider). Routes find the loader on their own backends;
``register_auth_backend`` names a backend for ``load_user`` calls of your own."""

from __future__ import annotations

import inspect
from typing import Any

from .context import get_auth_context
from .users import _active, _has_users, _query

__all__ = ["UserLoader", "get_registered_backend", "load_user", "register_auth_backend"]

_registered: dict[str, Any] = {}


def register_auth_backend(backend_name: str, backend_instance: Any) -> None:
    """Make ``backend_instance`` the one ``load_user(..., backend_name)`` asks."""
    _registered[backend_name] = backend_instance


def get_registered_backend(backend_name: str) -> Any | None:
    return _registered.get(backend_name)


def has_loader(backend: Any) -> bool:
    """Whether the backend's class says how to load its users."""
    return callable(getattr(backend, "get_user", None)) or callable(
        getattr(backend, "get_user_sync", None)
    )


async def load_user(
    user_id: str | None, backend_name: str | None, auth_context: dict[str, Any] | None = None
) -> Any | None:
    """The user ``user_id`` names, as the backend registered under ``backend_name``
    loads it; without one, the Django user of that primary key. None when there is
    no such user (or no ``user_id``)."""
    if not user_id:
        return None
    backend = _registered.get(backend_name) if backend_name else None
    if backend is not None and has_loader(backend):
        return await _aload(backend, str(user_id), auth_context or {})
    if not _has_users():
        return None
    found = _query(str(user_id), lambda users: users.afirst())
    return await found if found is not None else None


async def _aload(backend: Any, user_id: str, context: dict[str, Any]) -> Any:
    from asgiref.sync import sync_to_async

    get_user = getattr(backend, "get_user", None)
    if callable(get_user):
        if inspect.iscoroutinefunction(get_user):
            return await get_user(user_id, context)
        return await sync_to_async(get_user)(user_id, context)
    return await sync_to_async(backend.get_user_sync)(user_id)


class UserLoader:
    """The custom loaders of a route's backends, by the backend kind Rust reports in
    ``request.auth["backend"]``: they set ``request.user`` before the handler, a user
    they do not find being a 401 as a deleted user is."""

    def __init__(self, backends: dict[str, Any]) -> None:
        self.backends = backends

    @classmethod
    def of(cls, auth: list[Any]) -> UserLoader | None:
        backends: dict[str, Any] = {}
        for backend in auth:
            if has_loader(backend):
                backends.setdefault(backend.kind, backend)
        return cls(backends) if backends else None

    def backend_of(self, request: Any) -> Any | None:
        """The loader for this request's credentials, when they name a user."""
        if request.auth.get("user_id") is None:
            return None
        return self.backends.get(request.auth.get("backend"))

    async def aload(self, request: Any, backend: Any) -> None:
        context = get_auth_context(request)
        request.user = _active(await _aload(backend, context["user_id"], context))

    def load(self, request: Any, backend: Any) -> None:
        """``aload`` from a worker thread (a sync handler's)."""
        from asgiref.sync import async_to_sync

        context = get_auth_context(request)
        if callable(getattr(backend, "get_user", None)):
            user = backend.get_user(context["user_id"], context)
            if inspect.isawaitable(user):
                user = async_to_sync(_awaited)(user)
        else:
            user = backend.get_user_sync(context["user_id"])
        request.user = _active(user)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
