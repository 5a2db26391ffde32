"""``@rate_limit(rps=, burst=, key=)``: a token bucket per client, kept and checked in
Rust before Python (and before auth, unless clients are told apart by user or API key);
a client over the limit gets 429 with ``Retry-After``. Each server process limits on
its own, unless ``BOLT_RATE_LIMIT_BACKEND`` keeps the buckets in Redis
(rate_limit_backend.py, docs/middleware.md)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable)

#: An HTTP header name (RFC 9110 token).
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")

#: The keys naming who authentication found rather than the request itself.
IDENTITY_KEYS = ("user", "api_key")


def rate_limit(
    rps: float,
    burst: int | None = None,
    key: str = "ip",
    *,
    ipv6_prefix: int = 64,
    max_clients: int = 65536,
) -> Callable[[Handler], Handler]:
    """Allow each client ``rps`` requests a second on average, and bursts of up to
    ``burst`` (default: ``rps`` rounded up). ``key="ip"`` tells clients apart by address
    (as trusted proxy headers give it; IPv6 addresses by their first ``ipv6_prefix``
    bits, a /64 network by default); ``key="user"`` by the authenticated user (a
    token's ``sub``) and ``key="api_key"`` by the API key that authenticated the
    request, both checked after the route's auth; ``key="header:x-api-key"`` (or just
    ``"x-api-key"``) by that header's value. Each falls back to the address for
    requests without what it names (no user: an anonymous request, or a Django session,
    whose user only Python knows).

    The route keeps about ``max_clients`` buckets. Only buckets that have refilled are
    forgotten to make room; when every bucket is still limiting someone, a client not
    seen before gets 429 until one refills (at most ``burst / rps`` seconds)."""
    if isinstance(rps, bool) or not isinstance(rps, int | float) or not 0 < rps < math.inf:
        raise ValueError(f"rate_limit rps must be a positive number, not {rps!r}")
    burst = math.ceil(rps) if burst is None else burst
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise ValueError(f"rate_limit burst must be an int >= 1, not {burst!r}")
    key = _key(key)
    if (
        isinstance(ipv6_prefix, bool)
        or not isinstance(ipv6_prefix, int)
        or not (1 <= ipv6_prefix <= 128)
    ):
        raise ValueError(
            f"rate_limit ipv6_prefix must be an int from 1 to 128, not {ipv6_prefix!r}"
        )
    if isinstance(max_clients, bool) or not isinstance(max_clients, int) or max_clients < 1:
        raise ValueError(f"rate_limit max_clients must be an int >= 1, not {max_clients!r}")
    described = {
        "rps": float(rps),
        "burst": burst,
        "key": key.lower(),
        "ipv6_prefix": ipv6_prefix,
        "max_clients": max_clients,
    }

    def decorate(handler: Handler) -> Handler:
        handler.__bolt_rate_limit__ = described  # type: ignore[attr-defined]
        return handler

    return decorate


def _key(key: object) -> str:
    """``key`` as Rust reads it: ``ip``, ``user``, ``api_key`` or ``header:<name>``."""
    if isinstance(key, str) and (key == "ip" or key in IDENTITY_KEYS):
        return key
    if isinstance(key, str) and HEADER_NAME.match(key.removeprefix("header:")):
        return "header:" + key.removeprefix("header:")
    raise ValueError(
        f"rate_limit key must be 'ip', 'user', 'api_key' or a header name "
        f"('header:<name>'), not {key!r}"
    )


def describe_rate_limit(handler: Callable[..., Any]) -> dict[str, Any] | None:
    """The route's limit for Rust; none without ``@rate_limit`` or when skipped."""
    if "rate_limit" in getattr(handler, "__bolt_skip_middleware__", ()):
        return None
    return getattr(handler, "__bolt_rate_limit__", None)
