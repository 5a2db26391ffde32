"""Revoked tokens: where a logout, a stolen token or a used refresh token is recorded,
and the check ``JWTAuthentication(revocation_store=...)`` runs.

Tokens are verified in Rust without Python; only a route whose JWT backend has a
``revoked_token_handler`` (or a ``revocation_store``) pays for a Python check of the
token's ``jti`` before the handler, and such a backend requires the ``jti`` claim.

A store keeps each entry until the token would have expired anyway (``exp``), so it
never grows beyond the tokens still alive. ``consume`` (an atomic "revoke unless
already revoked") is what refresh-token rotation needs to detect a replay.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = [
    "DjangoCacheRevocation",
    "DjangoORMRevocation",
    "InMemoryRevocation",
    "RevocationCheck",
    "RevocationStore",
    "create_revocation_handler",
]

logger = logging.getLogger("django_bolt")

#: How long an entry is kept when the caller does not give the token's ``exp``.
DEFAULT_TTL = 7 * 24 * 3600
#: Entries naming a rotation family, not a single token.
FAMILY_PREFIX = "family:"


def time_to_live(exp: int | None, default: int) -> int:
    """Seconds an entry must live: until the token's ``exp``, else ``default``."""
    if exp is None:
        return default
    return max(0, int(exp) - int(time.time()))


class RevocationStore(ABC):
    """Where revoked token ids (``jti``) are kept. Subclass it for another storage
    (Redis directly, say): ``is_revoked`` and ``revoke`` are required, the rest serve
    refresh-token rotation."""

    default_ttl: int = DEFAULT_TTL

    @abstractmethod
    async def is_revoked(self, jti: str) -> bool:
        """Whether the token ``jti`` was revoked."""

    @abstractmethod
    async def revoke(self, jti: str, *, exp: int | None = None) -> None:
        """Revoke the token ``jti``; pass its ``exp`` so the entry lives as long as
        the token could be used."""

    async def consume(self, jti: str, *, exp: int | None = None) -> bool:
        """Revoke ``jti`` and say whether it was not revoked before, in one step.
        Stores shared by processes must make it atomic; this default is not."""
        if await self.is_revoked(jti):
            return False
        await self.revoke(jti, exp=exp)
        return True

    async def revoke_family(self, family: str, *, exp: int | None = None) -> None:
        """Revoke every refresh token of a rotation ``family`` (a replay was seen)."""
        await self.revoke(FAMILY_PREFIX + family, exp=exp)

    async def is_family_revoked(self, family: str) -> bool:
        return await self.is_revoked(FAMILY_PREFIX + family)

    async def get_user_version(self, user_id: str) -> int:
        """The user's token version (``bump_user_version`` logs them out everywhere)."""
        raise NotImplementedError(f"{type(self).__name__} keeps no user versions")

    async def bump_user_version(self, user_id: str) -> int:
        raise NotImplementedError(f"{type(self).__name__} keeps no user versions")

    async def revoke_all(self, user_id: str) -> None:
        """Revoke every refresh token of the user: their next rotation fails."""
        await self.bump_user_version(user_id)


class InMemoryRevocation(RevocationStore):
    """Revocations in this process's memory: for tests, development and a single
    process (``runbolt --processes 1``). Entries are dropped once their token expired."""

    def __init__(self, *, default_ttl: int = DEFAULT_TTL) -> None:
        self.default_ttl = default_ttl
        self._until: dict[str, float] = {}
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()

    async def is_revoked(self, jti: str) -> bool:
        until = self._until.get(jti)
        return until is not None and until > time.time()

    async def revoke(self, jti: str, *, exp: int | None = None) -> None:
        with self._lock:
            self._prune()
            self._until[jti] = time.time() + time_to_live(exp, self.default_ttl)

    async def consume(self, jti: str, *, exp: int | None = None) -> bool:
        with self._lock:
            until = self._until.get(jti)
            if until is not None and until > time.time():
                return False
            self._until[jti] = time.time() + time_to_live(exp, self.default_ttl)
            return True

    async def get_user_version(self, user_id: str) -> int:
        return self._versions.get(str(user_id), 0)

    async def bump_user_version(self, user_id: str) -> int:
        with self._lock:
            version = self._versions.get(str(user_id), 0) + 1
            self._versions[str(user_id)] = version
            return version

    def clear(self) -> None:
        """Forget every revocation (between tests)."""
        with self._lock:
            self._until.clear()
            self._versions.clear()

    def _prune(self) -> None:
        now = time.time()
        for jti in [jti for jti, until in self._until.items() if until <= now]:
            del self._until[jti]


class DjangoCacheRevocation(RevocationStore):
    """Revocations in a Django cache (``CACHES[cache_alias]``): shared by every worker
    and process when the cache is (Redis, Memcached, the database cache); the cache
    expires the entries.

    ``negative_ttl`` (seconds, 0: off) keeps each "not revoked" answer in this process
    for that long, so a token used again and again costs one cache round trip per
    ``negative_ttl`` instead of one per request. The price: a token revoked by another
    process is still accepted here until its remembered answer expires (a revocation
    made through this process's store is seen at once)."""

    def __init__(
        self,
        cache_alias: str = "default",
        key_prefix: str = "revoked:",
        *,
        default_ttl: int = DEFAULT_TTL,
        negative_ttl: float = 0,
        negative_size: int = 10_000,
    ) -> None:
        if isinstance(negative_ttl, bool) or not isinstance(negative_ttl, int | float):
            raise TypeError(f"negative_ttl is a number of seconds, not {negative_ttl!r}")
        if negative_ttl < 0:
            raise ValueError(f"negative_ttl is 0 (off) or more seconds, not {negative_ttl!r}")
        self.cache_alias = cache_alias
        self.key_prefix = key_prefix
        self.default_ttl = default_ttl
        self.negative = NegativeCache(negative_ttl, negative_size) if negative_ttl else None

    @property
    def cache(self) -> Any:
        from django.core.cache import caches

        return caches[self.cache_alias]

    async def is_revoked(self, jti: str) -> bool:
        negative = self.negative
        if negative is not None and negative.remembers(jti):
            return False
        revoked = await self.cache.aget(self.key_prefix + jti) is not None
        if negative is not None and not revoked:
            negative.remember(jti)
        return revoked

    async def revoke(self, jti: str, *, exp: int | None = None) -> None:
        if self.negative is not None:
            self.negative.forget(jti)
        await self.cache.aset(self.key_prefix + jti, 1, time_to_live(exp, self.default_ttl))

    async def consume(self, jti: str, *, exp: int | None = None) -> bool:
        if self.negative is not None:
            self.negative.forget(jti)
        # cache.add sets only an absent key, atomically in the shared caches.
        return await self.cache.aadd(self.key_prefix + jti, 1, time_to_live(exp, self.default_ttl))

    async def get_user_version(self, user_id: str) -> int:
        return await self.cache.aget(self._version_key(user_id), 0)

    async def bump_user_version(self, user_id: str) -> int:
        key = self._version_key(user_id)
        await self.cache.aadd(key, 0, None)
        return await self.cache.aincr(key)

    def _version_key(self, user_id: str) -> str:
        return f"{self.key_prefix}version:{user_id}"


class NegativeCache:
    """Token ids found not revoked, remembered in this process for ``ttl`` seconds; at
    most ``size`` of them (expired ones are dropped first, then the oldest)."""

    def __init__(self, ttl: float, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"negative_size is a number of tokens, 1 or more, not {size!r}")
        self.ttl = float(ttl)
        self.size = size
        #: jti -> when the answer expires (time.monotonic()), oldest first.
        self._until: dict[str, float] = {}
        # Sync routes check from worker threads: pruning must not race an insertion.
        self._lock = threading.Lock()

    def remembers(self, jti: str) -> bool:
        until = self._until.get(jti)
        if until is None:
            return False
        if until > time.monotonic():
            return True
        self._until.pop(jti, None)
        return False

    def remember(self, jti: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._until) >= self.size:
                self._until = {k: u for k, u in self._until.items() if u > now}
                while len(self._until) >= self.size:
                    del self._until[next(iter(self._until))]
            self._until.pop(jti, None)
            self._until[jti] = now + self.ttl

    def forget(self, jti: str) -> None:
        with self._lock:
            self._until.pop(jti, None)


class DjangoORMRevocation(RevocationStore):
    """Revocations in the database: the ``django_bolt.RevokedToken`` table (add
    ``django_bolt`` to ``INSTALLED_APPS`` and migrate), or a model of yours with the
    fields ``jti`` (unique) and ``expires_at``. Delete the rows past ``expires_at``
    now and then (``RevokedToken.objects.expired().adelete()``)."""

    def __init__(self, model: str = "django_bolt.RevokedToken", *, default_ttl: int = DEFAULT_TTL):
        parts = model.split(".")
        if len(parts) != 2 or not all(parts):
            raise ValueError(
                f"DjangoORMRevocation: model must be 'app_label.ModelName', not {model!r}"
            )
        self.model_path = model
        self.default_ttl = default_ttl

    @property
    def model(self) -> Any:
        from django.apps import apps

        return apps.get_model(self.model_path)

    async def is_revoked(self, jti: str) -> bool:
        from django.utils import timezone

        rows = self.model._default_manager.filter(jti=jti, expires_at__gt=timezone.now())
        return await rows.aexists()

    async def revoke(self, jti: str, *, exp: int | None = None) -> None:
        await self.model._default_manager.aupdate_or_create(
            jti=jti, defaults={"expires_at": self._expiry(exp)}
        )

    async def consume(self, jti: str, *, exp: int | None = None) -> bool:
        from django.db import IntegrityError
        from django.utils import timezone

        manager = self.model._default_manager
        # An expired row no longer counts: it may be replaced.
        await manager.filter(jti=jti, expires_at__lte=timezone.now()).adelete()
        try:
            await manager.acreate(jti=jti, expires_at=self._expiry(exp))
        except IntegrityError:
            return False
        return True

    def _expiry(self, exp: int | None) -> Any:
        import datetime

        from django.utils import timezone

        return timezone.now() + datetime.timedelta(seconds=time_to_live(exp, self.default_ttl))


#: ``revoked_token_handler``: ``(jti)`` or ``(jti, claims)``, sync or async, true when
#: the token is revoked.
RevokedTokenHandler = Callable[..., "bool | Awaitable[bool]"]


def create_revocation_handler(store: RevocationStore) -> Callable[..., Awaitable[bool]]:
    """The ``revoked_token_handler`` asking ``store``."""

    async def is_revoked(jti: str, claims: dict[str, Any] | None = None) -> bool:
        return await store.is_revoked(jti)

    return is_revoked


class RevocationCheck:
    """The revocation handlers of a route's JWT backends, run before the handler for a
    request a JWT authenticated: a revoked token is a 401, as an expired one is."""

    #: A check (of any route) failed since the last one that worked; that failure was
    #: logged, the next ones are not.
    failing = False

    def __init__(self, handlers: list[RevokedTokenHandler]) -> None:
        self.handlers = [(handler, _takes_claims(handler)) for handler in handlers]

    @classmethod
    def of(cls, auth: list[Any]) -> RevocationCheck | None:
        """The check of a route, or None when no backend has a handler (no cost)."""
        handlers = [h for b in auth if (h := getattr(b, "revoked_token_handler", None))]
        return cls(handlers) if handlers else None

    @staticmethod
    def needed(request: Any) -> bool:
        return request.auth.get("backend") == "jwt"

    async def acheck(self, request: Any) -> None:
        from ..exceptions import HTTPException

        claims = request.auth.get("claims") or {}
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            # Only a backend without a handler (which need not require jti) let it in.
            return
        for handler, takes_claims in self.handlers:
            try:
                answer = handler(jti, claims) if takes_claims else handler(jti)
                if inspect.isawaitable(answer):
                    answer = await answer
            except HTTPException:
                raise  # the handler's own answer
            except Exception as exc:
                raise self._unavailable(exc) from exc
            if answer:
                raise _revoked()
        if RevocationCheck.failing:
            RevocationCheck.failing = False

    def _unavailable(self, exc: Exception) -> Exception:
        """The answer while the store fails (a cache server down, say): 503, never the
        token let through unchecked. The first failure of a run is logged with its
        traceback, the others are not, until a check works again."""
        from ..exceptions import HTTPException

        if not RevocationCheck.failing:
            RevocationCheck.failing = True
            logger.error("Token revocation check failed: 503 until it works again", exc_info=exc)
        return HTTPException(503, "Token revocation check unavailable", {"retry-after": "1"})

    def check(self, request: Any) -> None:
        """``acheck`` from a worker thread (a sync handler's)."""
        from asgiref.sync import async_to_sync

        async_to_sync(self.acheck)(request)


def _takes_claims(handler: RevokedTokenHandler) -> bool:
    """Whether ``handler`` takes ``(jti, claims)`` rather than ``(jti)``."""
    try:
        parameters = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


def _revoked() -> Exception:
    from ..exceptions import HTTPException

    return HTTPException(
        401,
        "Token has been revoked",
        {"www-authenticate": 'Bearer error="invalid_token"'},
    )
