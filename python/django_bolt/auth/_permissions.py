"""Permission guards decided by Django: for a token without a ``permissions`` claim
(Rust decides the claim) and for a Django session, ``HasPermission`` and its kin ask
the user's ``has_perm()`` (groups, superusers, custom backends; an inactive user has
no permission).

The answers are kept per user for ``settings.BOLT_PERMISSION_CACHE_SECONDS`` (default
30; 0 asks Django on every request), so a guarded route does not cost queries on every
request: a permission granted or revoked in Django is seen within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import HTTPException
from .users import _active, _query

__all__ = ["PermissionCheck", "cache_seconds", "permission_cache"]

#: How long Django's answers are kept when the project does not say.
DEFAULT_CACHE_SECONDS = 30
#: Users whose answers are kept at most; the oldest go first beyond it.
MAX_CACHED_USERS = 10_000


def cache_seconds() -> float:
    """``settings.BOLT_PERMISSION_CACHE_SECONDS``, read on each use (tests change it)."""
    from django.conf import settings

    seconds = getattr(settings, "BOLT_PERMISSION_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
    if not isinstance(seconds, (int, float)) or seconds < 0:
        raise ValueError(
            f"BOLT_PERMISSION_CACHE_SECONDS must be a number of seconds >= 0, not {seconds!r}"
        )
    return seconds


@dataclass
class _Answers:
    """What Django said about one user, until ``expires`` (``time.monotonic``)."""

    expires: float
    has: dict[str, bool] = field(default_factory=dict)
    every: frozenset[str] | None = None


class PermissionCache:
    """Django's answers about users' permissions, per user, for a short time.

    Dict operations are atomic, so worker threads and the event loop share it; two
    threads missing at once both ask Django, which is harmless."""

    def __init__(self) -> None:
        self._users: dict[Any, _Answers] = {}
        self._lock = threading.Lock()

    def cached(self, key: Any, permissions: Iterable[str]) -> dict[str, bool] | None:
        """The kept answers for ``permissions``, or None when one is missing or old."""
        answers = self._fresh(key)
        if answers is None:
            return None
        try:
            return {p: answers.has[p] for p in permissions}
        except KeyError:
            return None

    def ask(self, key: Any, user: Any, permissions: Iterable[str]) -> dict[str, bool]:
        """``user.has_perm`` for each of ``permissions``, kept under ``key``."""
        found = {p: bool(user.has_perm(p)) for p in permissions}
        if cache_seconds() > 0:
            self._answers(key).has.update(found)
        return found

    def has_perms(self, key: Any, user: Any, permissions: Iterable[str]) -> dict[str, bool]:
        """``user.has_perm`` of each permission, from the cache when it is fresh."""
        permissions = list(permissions)
        return self.cached(key, permissions) or self.ask(key, user, permissions)

    def all_permissions(self, key: Any, user: Any) -> frozenset[str]:
        """``user.get_all_permissions()``, from the cache when it is fresh."""
        answers = self._fresh(key)
        if answers is not None and answers.every is not None:
            return answers.every
        every = frozenset(user.get_all_permissions())
        if cache_seconds() > 0:
            self._answers(key).every = every
        return every

    def clear(self) -> None:
        self._users.clear()

    def _fresh(self, key: Any) -> _Answers | None:
        answers = self._users.get(key)
        if answers is None or answers.expires <= time.monotonic() or cache_seconds() == 0:
            return None
        return answers

    def _answers(self, key: Any) -> _Answers:
        """The fresh entry of ``key``, made (and the table pruned) when it has none."""
        answers = self._fresh(key)
        if answers is not None:
            return answers
        answers = _Answers(expires=time.monotonic() + cache_seconds())
        with self._lock:
            self._users.pop(key, None)
            self._users[key] = answers  # insertion order is expiry order
            while len(self._users) > MAX_CACHED_USERS:
                del self._users[next(iter(self._users))]
        return answers


#: The process's cache, shared by every route.
permission_cache = PermissionCache()


def user_key(user: Any) -> tuple[str, str]:
    """Who ``user`` is in the cache: the model's label and the primary key."""
    return (user._meta.label_lower, str(user.pk))


def has_perms(user: Any, permissions: Iterable[str]) -> dict[str, bool]:
    """``user.has_perm`` of each permission (a session's user), cached."""
    return permission_cache.has_perms(user_key(user), user, permissions)


def all_permissions(user: Any) -> frozenset[str]:
    """``user.get_all_permissions()`` (a session's user), cached."""
    return permission_cache.all_permissions(user_key(user), user)


class PermissionCheck:
    """The permission guards of a route, for a request Rust marked
    ``request.auth["check_permissions"]``: a token naming a database user but carrying
    no ``permissions`` claim. Every other guard already passed in Rust."""

    def __init__(self, guards: list[Any]) -> None:
        self.guards = guards
        self.permissions = list(dict.fromkeys(p for g in guards for p in g.permissions))

    @classmethod
    def of(cls, guards: list[Any]) -> PermissionCheck | None:
        """The check of a route whose guards read permissions, else None."""
        chosen = [g for g in guards if g.reads_permissions]
        return cls(chosen) if chosen else None

    @staticmethod
    def needed(request: Any) -> bool:
        return request.auth.get("check_permissions", False)

    def check(self, request: Any) -> None:
        """Refuse (403 with the guard's requirement) unless Django grants the user the
        permissions; 401 when the user is gone or inactive. Sync: it may query."""
        self._decide(self._cached(request) or self._ask(request))

    async def acheck(self, request: Any) -> None:
        """``check`` from the event loop: a fresh cache answers without a thread."""
        answers = self._cached(request)
        if answers is None:
            from asgiref.sync import sync_to_async

            answers = await sync_to_async(self._ask)(request)
        self._decide(answers)

    def _cached(self, request: Any) -> dict[str, bool] | None:
        return permission_cache.cached(self._key(request), self.permissions)

    def _ask(self, request: Any) -> dict[str, bool]:
        user = _active(_query(request.auth["user_id"], lambda users: users.first()))
        return permission_cache.ask(self._key(request), user, self.permissions)

    @staticmethod
    def _key(request: Any) -> tuple[str, str]:
        from django.contrib.auth import get_user_model

        return (get_user_model()._meta.label_lower, str(request.auth["user_id"]))

    def _decide(self, answers: dict[str, bool]) -> None:
        for guard in self.guards:
            if not guard.decides(answers):
                raise HTTPException(403, guard.requirement)
