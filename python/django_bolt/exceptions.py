"""Exceptions a handler raises to answer with an HTTP error."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from ._core import ClientDisconnected

__all__ = ["ClientDisconnected", "HTTPException", "RequestValidationError"]


class HTTPException(Exception):
    """Answer with ``status_code`` and ``{"detail": detail}``."""

    def __init__(
        self,
        status_code: int,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if detail is None:
            detail = HTTPStatus(status_code).phrase
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, detail={self.detail!r})"


class RequestValidationError(HTTPException):
    """The request did not match the handler's declared types: a 422 listing each field."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(422, errors)
        self.errors = errors
