"""The chain of Python middleware around a Bolt handler: the classes given to
``@middleware(...)`` on a route or to ``BoltAPI(middleware=[...])`` for all its routes
(see ``base``), and the project's Django middleware (``django_middleware=``).

A middleware awaits ``self.get_response(request)`` for the route's response (always a
``Response``, whatever the handler returned, so its ``headers`` can be changed), or
returns a ``Response`` of its own without calling it. An ``HTTPException`` raised
inside is that layer's response, so outer layers see (and log) it. Only routes with
middleware pay for this; the others call their handler directly. CORS and rate limits
are not Python middleware: Rust applies them (``cors.py``, ``rate_limit.py``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from .. import _loop
from .._core import Request
from ..exceptions import HTTPException
from ..responses import Response, Wire
from ._wire import answer, from_wire
from .base import GetResponse, checked, is_wrapper, names
from .request_logging import LoggingMiddleware


def api_middleware(
    specs: Iterable[Any], enable_logging: bool, django_middleware: Any = None
) -> tuple[Any, ...]:
    """A BoltAPI's middleware, outermost first: LoggingMiddleware (once) when
    ``enable_logging``, then the project's Django middleware, then ``specs``."""
    specs = checked("BoltAPI(middleware=...)", specs)
    if django_middleware is not None and django_middleware is not False:
        from .django_loader import load_django_middleware

        specs = (*load_django_middleware(django_middleware), *specs)
    logs = any(isinstance(s, type) and issubclass(s, LoggingMiddleware) for s in specs)
    if enable_logging and not logs:
        specs = (LoggingMiddleware, *specs)
    return specs


def route_middleware(handler: Callable[..., Any], api_specs: tuple[Any, ...]) -> list[Any]:
    """The API's middleware outside the route's own, without those it skips (by class,
    class name, or ``"*"`` for all)."""
    skipped = getattr(handler, "__bolt_skip_middleware__", ())
    specs = [*api_specs, *getattr(handler, "__bolt_middleware__", ())]
    if "*" in skipped:
        return []
    return [s for s in specs if s not in skipped and not names(s) & set(skipped)]


class Chain:
    """What Rust calls for a route with middleware: the layers, then the handler, and
    the final ``Response`` handed back to ``finalize``. ``view``: the route's handler
    as declared, which Django middleware's ``process_view`` is shown."""

    def __init__(
        self,
        specs: list[Any],
        handler: Callable[..., Any],
        is_async: bool,
        request_key: str,
        handler_takes_request: bool,
        finalize: Callable[[Any], Any],
        on_error: Callable[[BaseException], Wire],
        view: Callable[..., Any] | None = None,
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
        for spec in reversed(specs):
            inner = _answering(call, on_error)
            if is_wrapper(spec):
                call = spec.bind(inner, on_error, view or handler)
            else:
                call = spec(inner)
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
            return await answer(on_error, exc)

    return get_response
