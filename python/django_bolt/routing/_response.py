"""Response shaping: a handler's result, or the exception it raised, turned into the
``(status, headers, body)`` Rust sends."""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import msgspec

from .. import _loop, orm
from ..exceptions import HTTPException, ResponseValidationError
from ..responses import Encoded, Response, StreamingResponse, Wire
from ..serializers import loading
from ._exception_handlers import ExceptionHandlerFunc

if TYPE_CHECKING:
    from ._route import Route

logger = logging.getLogger("django_bolt")

#: Encodes a handler's plain result; Rust calls its ``encode`` for dicts and lists.
encoder = msgspec.json.Encoder(enc_hook=orm.enc_hook)


def finalize(route: Route, result: Any) -> Wire | StreamingResponse | Coroutine[Any, Any, Encoded]:
    """The response for ``result``, on the event loop thread: what may query the
    database (models, querysets) is made in a thread, and Rust awaits it."""
    if type(result) is Encoded:
        return result.wire
    if orm.needs_database(result):
        return _produce_off_loop(route, result)
    return produce(route, result)


async def _produce_off_loop(route: Route, result: Any) -> Encoded:
    from asgiref.sync import sync_to_async

    return Encoded(await sync_to_async(produce)(route, result))


def produce(route: Route, result: Any) -> Wire | StreamingResponse:
    """The response for ``result``, in any thread."""
    if isinstance(result, StreamingResponse):
        return result  # Rust streams it from a Task of its own
    if isinstance(result, Response):
        return result.to_wire()
    if route.response_model is not None and route.validate_response:
        # Model results are built by the serializer, with its relations loaded up front.
        result = loading.shape(result, route.response_model)
        try:
            result = msgspec.convert(result, route.response_model, from_attributes=True)
        except msgspec.ValidationError as exc:
            raise ResponseValidationError([_response_error(exc)], body=result) from exc
    else:
        result = orm.evaluate(result)
    return route.status_code, [("content-type", "application/json")], encoder.encode(result)


def _response_error(exc: msgspec.ValidationError) -> dict[str, Any]:
    """msgspec's ``Expected `int`, got `str` - at `$.id``` as a located error."""
    message, _, where = str(exc).partition(" - at `")
    path = where.rstrip("`").removeprefix("$")
    loc = [
        "response",
        *(part for part in path.replace("]", "").replace("[", ".").split(".") if part),
    ]
    return {"loc": loc, "msg": message, "type": "validation_error"}


class ErrorHandler:
    """Turns an exception from a handler into the response to send.

    ``handlers`` is the API's dict of custom exception handlers (shared, so one
    registered after the route still applies): the most specific class in the
    exception's MRO wins. A sync handler's response is sent at once; an async one
    makes this return a coroutine that Rust awaits. A handler that raises, or returns
    something other than a ``Response``, is a logged 500.
    """

    def __init__(
        self,
        route_name: str,
        label: str,
        debug: bool,
        handlers: dict[type[BaseException], ExceptionHandlerFunc] | None = None,
    ) -> None:
        self.route_name = route_name
        self.label = label
        self.debug = debug
        self.handlers = {} if handlers is None else handlers

    def __call__(self, exc: BaseException) -> Wire | Coroutine[Any, Any, Encoded]:
        if self.handlers and isinstance(exc, Exception):
            for cls in type(exc).__mro__:
                handler = self.handlers.get(cls)
                if handler is not None:
                    return self._custom(handler, exc)
        return self.default(exc)

    def default(self, exc: BaseException) -> Wire:
        """The built-in answer: an HTTPException's own response, else a logged 500."""
        if isinstance(exc, ResponseValidationError):
            logger.error(
                "Response of route %s did not match its response model: %s",
                self.route_name,
                exc.errors(),
                exc_info=exc,
            )
        if isinstance(exc, HTTPException):
            headers = [*exc.headers.items(), ("content-type", "application/json")]
            return exc.status_code, headers, encoder.encode(exc.content())
        if isinstance(exc, asyncio.CancelledError):
            # Nobody is waiting for this answer: one line says what was cut short.
            grace = _loop.shutdown_grace
            when = "" if grace is None else f" at shutdown after {grace:.1f} s grace"
            logger.warning("request %s cancelled%s", self.label, when)
            detail = {"detail": "The request was cancelled"}
            return 503, [("content-type", "application/json")], encoder.encode(detail)
        logger.error("Exception in route %s", self.route_name, exc_info=exc)
        return self._internal_error(exc)

    def _internal_error(self, exc: BaseException) -> Wire:
        _note_for_test_client(exc)
        body: dict[str, Any] = {"detail": "Internal Server Error"}
        if self.debug:
            body["traceback"] = traceback.format_exception(exc)
        return 500, [("content-type", "application/json")], encoder.encode(body)

    def _custom(
        self, handler: ExceptionHandlerFunc, exc: Exception
    ) -> Wire | Coroutine[Any, Any, Encoded]:
        try:
            result = handler(exc)
            if inspect.isawaitable(result):
                return self._awaited(handler, exc, result)
            return _wire_of(result)
        except Exception as failure:
            return self._failed(handler, exc, failure)

    async def _awaited(self, handler: ExceptionHandlerFunc, exc: Exception, result: Any) -> Encoded:
        try:
            return Encoded(_wire_of(await result))
        except Exception as failure:
            return Encoded(self._failed(handler, exc, failure))

    def _failed(self, handler: ExceptionHandlerFunc, exc: Exception, failure: Exception) -> Wire:
        name = getattr(handler, "__qualname__", repr(handler))
        logger.error(
            "Exception handler %s failed on %s in route %s",
            name,
            type(exc).__name__,
            self.route_name,
            exc_info=failure,
        )
        return self._internal_error(failure)


def _wire_of(result: Any) -> Wire:
    if not isinstance(result, Response) or isinstance(result, StreamingResponse):
        raise TypeError(f"an exception handler must return a Response, not {result!r}")
    return result.to_wire()


def _note_for_test_client(exc: BaseException) -> None:
    """Under TestClient, hand ``exc`` to the test, which raises it again
    (``raise_server_exceptions``); the test client's loop keeps the list."""
    try:
        errors = getattr(asyncio.get_running_loop(), "server_errors", None)
    except RuntimeError:
        return
    if errors is not None:
        errors.append(exc)
