"""Decorators that adjust how a route is served."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Handler = TypeVar("Handler", bound=Callable)


def no_compress(handler: Handler) -> Handler:
    """Never compress this route's responses, even when its API compresses."""
    handler.__bolt_no_compress__ = True  # type: ignore[attr-defined]
    return handler


def skip_middleware(*names: str | type) -> Callable[[Handler], Handler]:
    """Leave the named middleware out for this route: ``"compression"`` (that is
    ``@no_compress``), ``"cors"``, ``"rate_limit"``, or a middleware class (or its name)
    of the API or the route."""

    def decorate(handler: Handler) -> Handler:
        skipped = set(getattr(handler, "__bolt_skip_middleware__", ())) | set(names)
        handler.__bolt_skip_middleware__ = frozenset(skipped)  # type: ignore[attr-defined]
        if "compression" in names:
            no_compress(handler)
        return handler

    return decorate
