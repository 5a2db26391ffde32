"""WebSocket groups: ``await websocket.join("room")`` in an ``@api.websocket`` handler,
``await api.broadcast("room", message)`` (or this module's ``broadcast``) from anywhere.

Where a broadcast reaches: this process's members when no backend is set; the members
of every process and machine sharing a Redis server with the Django setting
``BOLT_GROUPS_BACKEND = "redis://host:port/db"`` (or ``BoltAPI(groups_backend=...)``).
One layer per backend and process holds the members and the Redis subscription.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from ._local import DEFAULT_QUEUE_SIZE, LocalGroups, as_message, checked_group
from ._redis import RedisGroups, _redis_module

__all__ = [
    "LOCAL",
    "LocalGroups",
    "RedisGroups",
    "as_message",
    "broadcast",
    "broadcast_sync",
    "checked_backend",
    "checked_group",
    "checked_settings",
    "layer",
]

#: The backend value for delivery within the process (the default).
LOCAL = "local"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")

_layers: dict[str, LocalGroups] = {}
_lock = threading.Lock()
# A process forked by --processes makes its own layers: members, tasks and Redis
# connections belong to the process that made them.
os.register_at_fork(after_in_child=_layers.clear)


def checked_backend(value: Any) -> str:
    """``value`` as a backend: ``"local"`` (None too) or a Redis URL; ValueError else."""
    if value is None or value == LOCAL:
        return LOCAL
    if isinstance(value, str) and value.startswith(REDIS_SCHEMES):
        return value
    raise ValueError(
        "BOLT_GROUPS_BACKEND (or BoltAPI(groups_backend=...)) is 'redis://host:port/db' "
        f"(rediss://, unix:// too) or 'local', not {value!r}"
    )


def _settings() -> tuple[Any, int]:
    """``BOLT_GROUPS_BACKEND`` and ``BOLT_GROUPS_QUEUE_SIZE`` from Django's settings."""
    from django.conf import settings

    if not settings.configured:
        return None, DEFAULT_QUEUE_SIZE
    size = getattr(settings, "BOLT_GROUPS_QUEUE_SIZE", DEFAULT_QUEUE_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"BOLT_GROUPS_QUEUE_SIZE is a number of messages, 1 or more, not {size!r}")
    return getattr(settings, "BOLT_GROUPS_BACKEND", None), size


def checked_settings() -> None:
    """ValueError for a bad ``BOLT_GROUPS_BACKEND`` or ``BOLT_GROUPS_QUEUE_SIZE``,
    ImportError for a Redis URL without the ``redis`` package: runbolt checks them
    before serving, rather than at a WebSocket's first ``join``."""
    setting, _ = _settings()
    if checked_backend(setting) != LOCAL:
        _redis_module()


def layer(backend: str | None = None) -> LocalGroups:
    """This process's layer for ``backend`` (None: the ``BOLT_GROUPS_BACKEND`` setting)."""
    setting, queue_size = _settings()
    key = checked_backend(setting if backend is None else backend)
    with _lock:
        found = _layers.get(key)
        if found is None:
            found = LocalGroups(queue_size) if key == LOCAL else RedisGroups(key, queue_size)
            _layers[key] = found
        return found


async def broadcast(group: str, message: Any, *, backend: str | None = None) -> None:
    """Send ``message`` (str: a text message, bytes: a binary one, else JSON) to every
    member of ``group``; from async code (a handler, an async view)."""
    await layer(backend).broadcast(group, message)


def broadcast_sync(group: str, message: Any, *, backend: str | None = None) -> None:
    """``broadcast`` from sync code: a plain Django view, a management command, a thread.
    Blocks for the Redis round trip, so not from async code."""
    layer(backend).broadcast_sync(group, message)
