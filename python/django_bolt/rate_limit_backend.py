"""Where ``@rate_limit`` keeps its buckets: in each server process (the default), or in
Redis, shared by every process and machine (docs/middleware.md, docs/deployment.md).

The Django settings ``BOLT_RATE_LIMIT_BACKEND`` (or ``BoltAPI(rate_limit_backend=...)``
for one API's routes), ``BOLT_RATE_LIMIT_FAILURE`` and ``BOLT_RATE_LIMIT_TIMEOUT`` are
read here when the route table is built, so a mistake stops the server at start-up
with the setting named; Rust checks the URL again and makes the connection."""

from __future__ import annotations

import math
from typing import Any

#: In-process buckets: the default.
MEMORY = "memory"
#: URL schemes the Rust client (the ``redis`` crate) connects to.
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "unix://")
#: Django cache backends whose ``LOCATION`` is a Redis URL.
REDIS_CACHES = (
    "django.core.cache.backends.redis.RedisCache",
    "django_redis.cache.RedisCache",
)
FAILURES = ("open", "closed")
#: Seconds a request waits for Redis at most, unless ``BOLT_RATE_LIMIT_TIMEOUT`` says.
DEFAULT_TIMEOUT = 0.1


def check_backend(value: object, where: str) -> str | None:
    """``value`` as given to ``where`` (a setting or argument), checked for its form
    only: None, ``"memory"``, a Redis URL, ``"cache"`` or a cache alias."""
    if value is None or (isinstance(value, str) and value.strip()):
        return value
    raise ValueError(
        f"{where} must be 'memory', a Redis URL ('redis://host:6379/0'), 'cache' or the "
        f"alias of a Django cache backed by Redis, not {value!r}"
    )


def describe_backend(override: str | None) -> dict[str, Any]:
    """The keys a limited route adds to its ``rate_limit`` description: ``backend``
    (a Redis URL; none for in-process buckets), ``failure`` and ``timeout``."""
    where = "BOLT_RATE_LIMIT_BACKEND"
    value = check_backend(_setting(where, None), where)
    if override is not None:
        where, value = "BoltAPI(rate_limit_backend=...)", override
    url = _redis_url(value, where)
    if url is None:
        return {}
    failure = _setting("BOLT_RATE_LIMIT_FAILURE", "open")
    if failure not in FAILURES:
        raise ValueError(f"BOLT_RATE_LIMIT_FAILURE must be 'open' or 'closed', not {failure!r}")
    timeout = _setting("BOLT_RATE_LIMIT_TIMEOUT", DEFAULT_TIMEOUT)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 < timeout <= 60
        or not math.isfinite(timeout)
    ):
        raise ValueError(
            f"BOLT_RATE_LIMIT_TIMEOUT must be seconds, more than 0 and at most 60, not {timeout!r}"
        )
    return {"backend": url, "failure": failure, "timeout": float(timeout)}


def _setting(name: str, default: Any) -> Any:
    """A Django setting; its default outside a Django project (a bare TestClient)."""
    from django.conf import settings

    return getattr(settings, name, default) if settings.configured else default


def _redis_url(value: str | None, where: str) -> str | None:
    """The Redis URL ``value`` names, or None for in-process buckets."""
    if value is None or value == MEMORY:
        return None
    if value.startswith(REDIS_SCHEMES):
        return value
    if "://" in value:
        raise ValueError(
            f"{where} = {value!r}: not a Redis URL (schemes: {', '.join(REDIS_SCHEMES)})"
        )
    return _cache_location(value, where)


def _cache_location(alias: str, where: str) -> str:
    """The Redis URL of the Django cache ``alias`` (``"cache"``: the default one)."""
    from django.conf import settings

    alias = "default" if alias == "cache" else alias
    caches = getattr(settings, "CACHES", {}) if settings.configured else {}
    if alias not in caches:
        raise ValueError(
            f"{where} = {alias!r}: no such cache in CACHES (give 'memory', a Redis URL "
            f"such as 'redis://host:6379/0', 'cache' or a cache alias: {sorted(caches)})"
        )
    backend = caches[alias].get("BACKEND")
    if backend not in REDIS_CACHES:
        raise ValueError(
            f"{where}: the cache {alias!r} is {backend!r}, not Redis "
            f"({' or '.join(REDIS_CACHES)}); give a Redis URL instead"
        )
    location = caches[alias].get("LOCATION")
    # Django's RedisCache and django-redis take a list, or a comma-separated string,
    # whose first server takes the writes.
    if isinstance(location, list | tuple):
        location = location[0] if location else None
    elif isinstance(location, str):
        location = location.split(",")[0].strip()
    if not isinstance(location, str) or not location.startswith(REDIS_SCHEMES):
        raise ValueError(
            f"{where}: the cache {alias!r} has no Redis URL as LOCATION ({location!r})"
        )
    return location
