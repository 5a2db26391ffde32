"""What a Python middleware is: a class made once per route with the next layer as
``get_response``, whose instances are awaited with the request (Django's own shape),
and the ``@middleware(...)`` decorator that puts some around one route.

``BaseMiddleware`` subclasses override ``process_request``; any other class with
``__init__(get_response)`` and ``async __call__(request)`` is accepted as it is, as are
the ``DjangoMiddleware``/``DjangoMiddlewareStack`` wrappers of Django middleware.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar, runtime_checkable

from .._core import Request
from ..exceptions import HTTPException
from ..responses import Response

Handler = TypeVar("Handler", bound=Callable)
GetResponse = Callable[[Request], Awaitable[Response]]


@runtime_checkable
class MiddlewareProtocol(Protocol):
    """A middleware class: made once per route with the next layer, then awaited with
    each request; it returns the next layer's response (changed or not) or its own."""

    def __init__(self, get_response: GetResponse) -> None: ...

    async def __call__(self, request: Request) -> Response: ...


class BaseMiddleware:
    """Made once per route, with the next layer as ``get_response``; override
    ``process_request``.

    ``exclude_paths`` (``*`` matches within a segment, ``**`` across them) and
    ``exclude_methods`` name requests this middleware lets through untouched."""

    exclude_paths: list[str] | None = None
    exclude_methods: list[str] | None = None

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self._excluded_paths = _glob_pattern(self.exclude_paths)
        self._excluded_methods = frozenset(m.upper() for m in self.exclude_methods or ())

    async def __call__(self, request: Request) -> Response:
        if request.method in self._excluded_methods or (
            self._excluded_paths is not None and self._excluded_paths.match(request.path)
        ):
            return await self.get_response(request)
        return await self.process_request(request)

    async def process_request(self, request: Request) -> Response:
        return await self.get_response(request)


class Middleware(BaseMiddleware):
    """The name the original django-bolt documents for a middleware base class: the
    same as ``BaseMiddleware``."""


#: What ``middleware=[...]`` and ``@middleware(...)`` take.
MiddlewareType = type[MiddlewareProtocol] | type[BaseMiddleware] | Any


def _glob_pattern(globs: list[str] | None) -> re.Pattern[str] | None:
    if not globs:
        return None
    parts = [re.escape(glob).replace(r"\*\*", ".*").replace(r"\*", "[^/]*") for glob in globs]
    return re.compile("^(?:" + "|".join(parts) + ")$")


class TimingMiddleware(BaseMiddleware):
    """Adds ``X-Response-Time`` (seconds the layers inside took, e.g. ``0.0012s``) and
    ``X-Request-ID``; the handler finds both in ``request.state`` (``request_id``,
    ``start_time``: see ``TimingState``). The id is the server's (the one its access
    log names) when it made one, a new one otherwise (under the TestClient)."""

    async def process_request(self, request: Request) -> Response:
        start = time.perf_counter()
        request_id = request.state.setdefault(
            "request_id", request.headers.get("x-request-id") or uuid.uuid4().hex
        )
        request.state["start_time"] = start
        response = await self.get_response(request)
        response.headers["X-Response-Time"] = f"{time.perf_counter() - start:.4f}s"
        response.headers.setdefault("X-Request-ID", request_id)
        return response


class ErrorHandlerMiddleware(BaseMiddleware):
    """An exception of the layers inside, other than ``HTTPException``, becomes a 500
    here (logged on ``django_bolt.errors``) instead of passing the outer layers by;
    ``debug=True`` puts the traceback in its ``detail``."""

    def __init__(self, get_response: GetResponse, debug: bool = False) -> None:
        super().__init__(get_response)
        self.debug = debug

    async def process_request(self, request: Request) -> Response:
        try:
            return await self.get_response(request)
        except HTTPException:
            raise
        except Exception as exc:
            logging.getLogger("django_bolt.errors").exception(
                "Unhandled exception in %s %s", request.method, request.path
            )
            detail = "".join(traceback.format_exception(exc)) if self.debug else None
            raise HTTPException(500, detail or "Internal Server Error") from None


def middleware(*classes: Any) -> Callable[[Handler], Handler]:
    """Run ``classes`` around this route's handler, the first outermost, inside the
    API's middleware."""
    checked("@middleware", classes)

    def decorate(handler: Handler) -> Handler:
        inner = getattr(handler, "__bolt_middleware__", ())
        handler.__bolt_middleware__ = (*classes, *inner)  # type: ignore[attr-defined]
        return handler

    return decorate


def is_wrapper(spec: Any) -> bool:
    """A Django middleware wrapper: an instance that makes its layer with ``bind``."""
    return callable(getattr(spec, "bind", None)) and not isinstance(spec, type)


def checked(where: str, specs: Iterable[Any]) -> tuple[Any, ...]:
    """``specs``, refused with a TypeError naming the fix when one is not a middleware
    class or a Django middleware wrapper."""
    specs = tuple(specs)
    for spec in specs:
        if is_wrapper(spec):
            continue
        if isinstance(spec, dict):
            raise TypeError(
                f"{where}: a dict of options is not a middleware here; use @cors(...) or "
                "BoltAPI(cors=CORSConfig(...)) for CORS and @rate_limit(...) for rate limits"
            )
        if not isinstance(spec, type):
            what = "function" if callable(spec) else "instance"
            raise TypeError(
                f"{where} takes middleware classes (made once per route with get_response),"
                f" not the {what} {spec!r}; pass the class itself, or wrap Django"
                " middleware in DjangoMiddleware(...)"
            )
        if not any("__call__" in vars(k) for k in spec.__mro__[:-1]):
            raise TypeError(
                f"{where}: {spec.__name__} has no async __call__(request); subclass"
                " BaseMiddleware and override process_request"
            )
    return specs


def names(spec: Any) -> set[str]:
    """The names ``@skip_middleware`` may give ``spec`` by."""
    if is_wrapper(spec):
        return {type(spec).__name__, *spec.names()}
    return {spec.__name__}
