"""Exceptions a handler raises to answer with an HTTP error.

Every one is a ``BoltException``. An ``HTTPException`` (or any subclass) raised by a
handler, a dependency or a middleware layer is the response it stands for: its
``status_code``, its ``headers``, and the JSON body ``{"detail": ...}`` (plus ``"extra"``
when given), or ``body`` encoded as it is. The classes named after a status
(``NotFound``, ``TooManyRequests``, ...) carry their status, so their first argument is
the detail: ``raise NotFound("Book not found")``.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import msgspec

from ._core import ClientDisconnected

__all__ = [
    "BadGateway",
    "BadRequest",
    "BoltException",
    "ClientDisconnected",
    "ClientException",
    "Conflict",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "HTTPException",
    "InternalServerError",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "NotImplemented",
    "RequestValidationError",
    "ResponseValidationError",
    "ServerException",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnprocessableEntity",
    "ValidationException",
    "parse_msgspec_decode_error",
]

#: ``body`` not given: the response is the ``{"detail": ...}`` envelope.
_ENVELOPE: Any = object()


class BoltException(Exception):
    """The base of every exception django-bolt defines, to catch them all at once."""


class HTTPException(BoltException):
    """Answer with ``status_code`` and ``{"detail": detail}``.

    ``detail`` defaults to the status's reason phrase; ``headers`` are sent with the
    response (``WWW-Authenticate``, ``Retry-After``, ...); ``extra`` (a dict or a list)
    is added to the body under ``"extra"``; ``body``, when given, is sent instead of
    the envelope, encoded as JSON as it is (a dict, a list, a ``msgspec.Struct``).
    """

    status_code: int = 500

    def __init__(
        self,
        status_code: int | None = None,
        detail: Any = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | list[Any] | None = None,
        *,
        body: Any = _ENVELOPE,
    ) -> None:
        status_code = type(self).status_code if status_code is None else status_code
        if detail is None:
            detail = _phrase(status_code)
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra
        self.body = body

    def content(self) -> Any:
        """What the response body encodes: ``body``, or the ``detail`` envelope."""
        if self.body is not _ENVELOPE:
            return self.body
        if self.extra is None:
            return {"detail": self.detail}
        return {"detail": self.detail, "extra": self.extra}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, detail={self.detail!r})"


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:  # a status Python does not name (e.g. 499)
        return ""


class _StatusOfTheClass(HTTPException):
    """An ``HTTPException`` whose status is its class's, so the first argument is the
    detail; ``status_code=`` still picks another one (``ClientException(status_code=418)``)."""

    def __init__(
        self,
        detail: Any = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | list[Any] | None = None,
        *,
        status_code: int | None = None,
        body: Any = _ENVELOPE,
    ) -> None:
        super().__init__(status_code, detail, headers, extra, body=body)


class ClientException(_StatusOfTheClass):
    """A 4xx answer: the request is at fault."""

    status_code = 400


class ServerException(_StatusOfTheClass):
    """A 5xx answer: the server (or one behind it) failed."""

    status_code = 500


class BadRequest(ClientException):
    status_code = 400


class Unauthorized(ClientException):
    """401: send ``headers={"WWW-Authenticate": ...}`` to say how to authenticate."""

    status_code = 401


class Forbidden(ClientException):
    status_code = 403


class NotFound(ClientException):
    status_code = 404


class MethodNotAllowed(ClientException):
    """405: send ``headers={"Allow": "GET, POST"}`` to name the allowed methods."""

    status_code = 405


class NotAcceptable(ClientException):
    status_code = 406


class Conflict(ClientException):
    status_code = 409


class Gone(ClientException):
    status_code = 410


class UnprocessableEntity(ClientException):
    status_code = 422


class TooManyRequests(ClientException):
    """429: send ``headers={"Retry-After": "30"}`` to say when to come back."""

    status_code = 429


class InternalServerError(ServerException):
    status_code = 500


class NotImplemented(ServerException):  # shadows the builtin here only, as code expects
    status_code = 501


class BadGateway(ServerException):
    status_code = 502


class ServiceUnavailable(ServerException):
    """503: send ``headers={"Retry-After": "120"}`` to say when to come back."""

    status_code = 503


class GatewayTimeout(ServerException):
    status_code = 504


class ValidationException(HTTPException):
    """Data did not validate: a 422 whose ``detail`` lists each error as
    ``{"loc": [...], "msg": ..., "type": ...}``. ``body`` is the data that failed, kept
    for logging; it is not sent."""

    status_code = 422

    def __init__(self, errors: list[dict[str, Any]], body: Any = None) -> None:
        super().__init__(None, list(errors), body=body)
        self._errors = self.detail

    def errors(self) -> list[dict[str, Any]]:
        """Each error: ``{"loc": [...], "msg": ..., "type": ...}``."""
        return self._errors

    def content(self) -> Any:
        return {"detail": self._errors}

    def __str__(self) -> str:
        return "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', '')}"
            for error in self._errors
        )


class RequestValidationError(ValidationException):
    """The request did not match the handler's declared types: a 422 listing each field."""


class ResponseValidationError(ValidationException):
    """What a handler returned did not match its declared response type: a 500 (the
    server is at fault, not the client), logged, answering
    ``{"detail": "Response validation error", "extra": {"validation_errors": [...]}}``."""

    status_code = 500

    def content(self) -> Any:
        return {
            "detail": "Response validation error",
            "extra": {"validation_errors": self._errors},
        }


class FieldValidationError(ValueError):
    """A serializer's field validator refused ``field``'s value; msgspec keeps it as the
    cause of its ValidationError, so the 422 can name the field. (Importable from
    ``django_bolt.serializers``, where validators are written.)"""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_DECODE_POSITION = re.compile(r"^(?:JSON is malformed: )?(.*?)\s*\(byte (\d+)\)$", re.S)


def parse_msgspec_decode_error(error: Exception, body_bytes: bytes) -> dict[str, Any]:
    """The validation error for a body msgspec could not decode as JSON (``error``, a
    ``msgspec.DecodeError``), located by line and column (from 1) in ``body_bytes``:
    ``{"loc": ["body", line, column], "msg": "Invalid JSON at line 2, column 5: ...",
    "type": "json_invalid"}``. Without a byte position in the message, ``loc`` is
    ``["body"]`` and ``msg`` msgspec's own."""
    message = str(error)
    match = _DECODE_POSITION.match(message)
    if match is None:
        return {"loc": ["body"], "msg": message, "type": "json_invalid"}
    reason, offset = match.group(1), min(int(match.group(2)), len(body_bytes))
    before = body_bytes[:offset]
    line = before.count(b"\n") + 1
    # Counted in characters, not bytes, so a UTF-8 line reads as an editor shows it.
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    return {
        "loc": ["body", line, column],
        "msg": f"Invalid JSON at line {line}, column {column}: {reason}",
        "type": "json_invalid",
    }


_JSON_ERROR_LOCATION = re.compile(r" - at `\$(.*)`$")
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


def msgspec_error_detail(
    exc: msgspec.MsgspecError, body: bytes, location: str = "body"
) -> dict[str, Any]:
    """The 422 detail of a value msgspec could not decode or validate from ``body``
    (a request body, or the data given to ``Serializer.model_validate``): a JSON error
    located by line and column, else the field's path under ``location``, with a
    ``FieldValidationError``'s field (a validator refused it) at the end."""
    if not isinstance(exc, msgspec.ValidationError):
        # Not JSON at all: where it breaks, by line and column of ``body``.
        return parse_msgspec_decode_error(exc, body)
    message = str(exc)
    loc: list[str | int] = [location]
    match = _JSON_ERROR_LOCATION.search(message)
    if match:
        message = message[: match.start()]
        for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", match.group(1)):
            loc.append(part[0] if part[0] else int(part[1]))
    missing = _MISSING_FIELD.search(message)
    if missing:
        loc.append(missing.group(1))
    kind = "validation_error"
    # A Serializer's validator raised: msgspec keeps its ValueError as the cause.
    if isinstance(exc.__cause__, ValueError):
        kind = "value_error"
        if isinstance(exc.__cause__, FieldValidationError):
            loc.append(exc.__cause__.field)
    return {"loc": loc, "msg": message, "type": kind}
