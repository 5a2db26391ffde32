"""Decorators that adjust how a route is served."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Handler = TypeVar("Handler", bound=Callable)


def no_compress(handler: Handler) -> Handler:
    """Never compress this route's responses (streams and SSE should be sent as made).

    The server does not compress responses yet, so today this only records the choice.
    """
    handler.__bolt_no_compress__ = True  # type: ignore[attr-defined]
    return handler
