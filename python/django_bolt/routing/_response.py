"""Response shaping: a handler's result, or the exception it raised, turned into the
``(status, headers, body)`` Rust sends."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import msgspec

from .. import _loop, orm
from ..exceptions import HTTPException
from ..responses import Encoded, Response, StreamingResponse, Wire
from ..serializers import loading

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
        result = msgspec.convert(result, route.response_model, from_attributes=True)
    else:
        result = orm.evaluate(result)
    return route.status_code, [("content-type", "application/json")], encoder.encode(result)


class ErrorHandler:
    """Turns an exception from a handler into the response to send."""

    def __init__(self, route_name: str, label: str, debug: bool) -> None:
        self.route_name = route_name
        self.label = label
        self.debug = debug

    def __call__(self, exc: BaseException) -> Wire:
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
        _note_for_test_client(exc)
        body: dict[str, Any] = {"detail": "Internal Server Error"}
        if self.debug:
            body["traceback"] = traceback.format_exception(exc)
        return 500, [("content-type", "application/json")], encoder.encode(body)


def _note_for_test_client(exc: BaseException) -> None:
    """Under TestClient, hand ``exc`` to the test, which raises it again
    (``raise_server_exceptions``); the test client's loop keeps the list."""
    try:
        errors = getattr(asyncio.get_running_loop(), "server_errors", None)
    except RuntimeError:
        return
    if errors is not None:
        errors.append(exc)
