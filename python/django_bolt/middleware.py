"""Python middleware around Bolt handlers: ``BaseMiddleware`` subclasses, given to
``@middleware(...)`` on a route or to ``BoltAPI(middleware=[...])`` for all its routes.

A middleware's ``process_request(request)`` awaits ``self.get_response(request)`` for the
route's response (always a ``Response``, whatever the handler returned, so its
``headers`` can be changed), or returns a ``Response`` of its own without calling it.
An ``HTTPException`` raised inside is that layer's response, so outer layers see (and
log) it. Only routes with middleware pay for this; the others call their handler
directly. CORS and rate limits are not Python middleware: Rust applies them
(``cors.py``, ``rate_limit.py``).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from . import _loop
from ._core import Request
from .exceptions import HTTPException
from .responses import Response, Wire

logger = logging.getLogger("django_bolt")

Handler = TypeVar("Handler", bound=Callable)
GetResponse = Callable[[Request], Awaitable[Response]]


class BaseMiddleware:
    """Made once per route, with the next layer as ``get_response``; override
    ``process_request``."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    async def process_request(self, request: Request) -> Response:
        return await self.get_response(request)


class TimingMiddleware(BaseMiddleware):
    """Adds ``X-Response-Time`` (seconds the layers inside took, e.g. ``0.0012s``)."""

    async def process_request(self, request: Request) -> Response:
        start = time.perf_counter()
        response = await self.get_response(request)
        response.headers["X-Response-Time"] = f"{time.perf_counter() - start:.4f}s"
        return response


class LoggingMiddleware(BaseMiddleware):
    """Logs one INFO line per request on the ``django_bolt`` logger:
    ``GET /items/1 200 1.2ms`` (500 when the handler raised)."""

    async def process_request(self, request: Request) -> Response:
        start = time.perf_counter()
        status = 500
        try:
            response = await self.get_response(request)
            status = response.status_code
            return response
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            logger.info("%s %s %d %.1fms", request.method, request.path, status, elapsed)


def middleware(*classes: type[BaseMiddleware]) -> Callable[[Handler], Handler]:
    """Run ``classes`` around this route's handler, the first outermost, inside the
    API's middleware."""
    checked("@middleware", classes)

    def decorate(handler: Handler) -> Handler:
        inner = getattr(handler, "__bolt_middleware__", ())
        handler.__bolt_middleware__ = (*classes, *inner)  # type: ignore[attr-defined]
        return handler

    return decorate


def checked(where: str, classes: Iterable[Any]) -> tuple[type[BaseMiddleware], ...]:
    classes = tuple(classes)
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, BaseMiddleware)):
            raise TypeError(f"{where} takes BaseMiddleware subclasses, not {cls!r}")
    return classes


def api_middleware(
    classes: Iterable[type[BaseMiddleware]], enable_logging: bool
) -> tuple[type[BaseMiddleware], ...]:
    """A BoltAPI's middleware; ``enable_logging`` adds LoggingMiddleware (once)."""
    classes = checked("BoltAPI(middleware=...)", classes)
    if enable_logging and LoggingMiddleware not in classes:
        classes = (LoggingMiddleware, *classes)
    return classes


def route_middleware(
    handler: Callable[..., Any], api_classes: tuple[type[BaseMiddleware], ...]
) -> list[type[BaseMiddleware]]:
    """The API's middleware outside the route's own, without those it skips (by class
    or class name)."""
    skipped = getattr(handler, "__bolt_skip_middleware__", ())
    classes = [*api_classes, *getattr(handler, "__bolt_middleware__", ())]
    return [c for c in classes if c not in skipped and c.__name__ not in skipped]


class Chain:
    """What Rust calls for a route with middleware: the layers, then the handler, and
    the final ``Response`` handed back to ``finalize``."""

    def __init__(
        self,
        classes: list[type[BaseMiddleware]],
        handler: Callable[..., Any],
        is_async: bool,
        request_key: str,
        handler_takes_request: bool,
        finalize: Callable[[Any], Any],
        on_error: Callable[[BaseException], Wire],
    ) -> None:
        self.handler = handler
        self.is_async = is_async
        self.request_key = request_key
        self.handler_takes_request = handler_takes_request
        self.finalize = finalize
        #: Each request's handler arguments, until the innermost layer calls it: the
        #: layers are made once, and pass on nothing but the request.
        self.arguments: dict[Request, dict[str, Any]] = {}
        call: GetResponse = self._call_handler
        for cls in reversed(classes):
            call = cls(_answering(call, on_error)).process_request
        self.outermost = call

    async def __call__(self, **kwargs: Any) -> Response:
        if self.handler_takes_request:
            request = kwargs[self.request_key]
        else:
            request = kwargs.pop(self.request_key)
        self.arguments[request] = kwargs
        try:
            response = await self.outermost(request)
        finally:
            del self.arguments[request]
        if not isinstance(response, Response):
            raise TypeError(f"middleware returned {response!r}, not a Response")
        return response

    async def _call_handler(self, request: Request) -> Response:
        kwargs = self.arguments[request]
        if self.is_async:
            result = await self.handler(**kwargs)
        else:
            result = await _loop.run_sync(self.handler, kwargs)
        if isinstance(result, Response):
            return result
        produced = self.finalize(result)
        if inspect.iscoroutine(produced):
            produced = (await produced).wire
        return produced if isinstance(produced, Response) else from_wire(produced)


def _answering(call: GetResponse, on_error: Callable[[BaseException], Wire]) -> GetResponse:
    """``call``, with an HTTPException turned into the response it stands for."""

    async def get_response(request: Request) -> Response:
        try:
            return await call(request)
        except HTTPException as exc:
            wire = on_error(exc)
            if inspect.iscoroutine(wire):  # an async custom exception handler
                wire = (await wire).wire
            return from_wire(wire)

    return get_response


def from_wire(wire: Wire) -> Response:
    """An encoded response as a Response whose headers middleware can change."""
    status, headers, body = wire
    response = Response(body, status)
    for name, value in headers:
        if name.lower() == "set-cookie":
            response.cookies.append(value)
        else:
            response.headers[name] = value
    return response
