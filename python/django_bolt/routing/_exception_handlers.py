"""Custom exception handlers as an API declares them (``BoltAPI(exception_handlers=)``,
``@api.exception_handler``), checked when declared so a mistake fails at import;
``_response.ErrorHandler`` calls them."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

#: A custom exception handler: the exception in, a ``Response`` out (or awaited).
ExceptionHandlerFunc = Callable[[BaseException], Any]


def checked_exception_handlers(handlers: Any) -> dict[type[BaseException], ExceptionHandlerFunc]:
    """``BoltAPI(exception_handlers=...)`` as a dict, refusing what cannot work at import."""
    if handlers is None:
        return {}
    if not isinstance(handlers, dict):
        raise TypeError(
            f"exception_handlers must be a dict of exception class to handler, not {handlers!r}"
        )
    for exc_class, handler in handlers.items():
        check_exception_handler(exc_class, handler)
    return dict(handlers)


def check_exception_handler(exc_class: Any, handler: Any) -> None:
    if not (isinstance(exc_class, type) and issubclass(exc_class, Exception)):
        raise TypeError(f"exception handler key {exc_class!r} must be an Exception subclass")
    if not callable(handler):
        raise TypeError(
            f"exception handler for {exc_class.__name__} must be callable, not {handler!r}"
        )
    try:
        signature = inspect.signature(handler)
    except ValueError:  # a builtin without a signature: called as it is
        return
    try:
        signature.bind(None)
    except TypeError:
        raise TypeError(
            f"exception handler {getattr(handler, '__name__', handler)!r} for {exc_class.__name__}"
            " must take the exception as its one argument: def handler(exc) -> Response"
            " (the Request is not passed)"
        ) from None
