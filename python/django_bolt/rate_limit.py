"""``@rate_limit(rps=, burst=, key=)``: a token bucket per client, kept and checked in
Rust before auth and before Python; a client over the limit gets 429 with
``Retry-After``. Each server process limits on its own (docs/middleware.md)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable)

#: An HTTP header name (RFC 9110 token).
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def rate_limit(
    rps: float, burst: int | None = None, key: str = "ip"
) -> Callable[[Handler], Handler]:
    """Allow each client ``rps`` requests a second on average, and bursts of up to
    ``burst`` (default: ``rps`` rounded up). ``key="ip"`` tells clients apart by address
    (as trusted proxy headers give it); ``key="header:x-api-key"`` by that header's
    value, falling back to the address for requests without it."""
    if isinstance(rps, bool) or not isinstance(rps, int | float) or not 0 < rps < math.inf:
        raise ValueError(f"rate_limit rps must be a positive number, not {rps!r}")
    burst = math.ceil(rps) if burst is None else burst
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise ValueError(f"rate_limit burst must be an int >= 1, not {burst!r}")
    if not isinstance(key, str) or (
        key != "ip" and not (key.startswith("header:") and HEADER_NAME.match(key[7:]))
    ):
        raise ValueError(f"rate_limit key must be 'ip' or 'header:<name>', not {key!r}")
    described = {"rps": float(rps), "burst": burst, "key": key.lower()}

    def decorate(handler: Handler) -> Handler:
        handler.__bolt_rate_limit__ = described  # type: ignore[attr-defined]
        return handler

    return decorate


def describe_rate_limit(handler: Callable[..., Any]) -> dict[str, Any] | None:
    """The route's limit for Rust; none without ``@rate_limit`` or when skipped."""
    if "rate_limit" in getattr(handler, "__bolt_skip_middleware__", ()):
        return None
    return getattr(handler, "__bolt_rate_limit__", None)
