"""Application request logging in Python (``django_bolt.logging`` is its public name).

The server's access log (``--access-log``, made in Rust off the GIL, docs/logging.md)
already writes one line for every request, refusals included, at no Python cost. This
is the other kind: a middleware of one API's routes, on a logger of the project's
choosing, that a ``LoggingConfig`` can sample, keep to slow requests, or silence for
some paths or statuses. ``BoltAPI(enable_logging=True)`` adds it with the defaults.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

from .._core import Request
from ..responses import Response
from .base import BaseMiddleware, GetResponse


@dataclass
class LoggingConfig:
    """What ``LoggingMiddleware`` logs, and where.

    A response is logged at INFO (2xx/3xx), WARNING (4xx) or ERROR (5xx); with
    ``log_requests`` each request is also logged at DEBUG before the handler runs.
    ``sample_rate`` (0 to 1) and ``min_duration_ms`` thin out the successful ones only:
    errors are always logged. ``response_log_fields`` chooses what the line carries
    (``status_code``, ``duration``, ``size``); request and response details are also
    passed to handlers as the record's ``extra`` fields, with the ``obfuscate_*``
    headers and cookies masked.
    """

    logger_name: str = "django_bolt"
    request_log_fields: set[str] = field(default_factory=lambda: {"method", "path"})
    response_log_fields: set[str] = field(default_factory=lambda: {"status_code", "duration"})
    obfuscate_headers: set[str] = field(
        default_factory=lambda: {"authorization", "cookie", "x-api-key", "x-auth-token"}
    )
    obfuscate_cookies: set[str] = field(default_factory=lambda: {"sessionid", "csrftoken"})
    log_requests: bool = False
    skip_paths: set[str] = field(default_factory=set)
    skip_status_codes: set[int] = field(default_factory=set)
    sample_rate: float | None = None
    min_duration_ms: float | None = None
    #: Accepted for code written for the original django-bolt, where it had no effect
    #: either: the level follows the status.
    log_level: str = "INFO"
    error_log_level: str = "ERROR"

    def __post_init__(self) -> None:
        if self.sample_rate is not None and not 0.0 <= self.sample_rate <= 1.0:
            raise ValueError(
                f"LoggingConfig sample_rate must be between 0 and 1, not {self.sample_rate}"
            )
        if self.min_duration_ms is not None and self.min_duration_ms < 0:
            raise ValueError("LoggingConfig min_duration_ms must not be negative")
        level = logging.getLevelName(self.error_log_level.upper())
        if not isinstance(level, int):
            raise ValueError(
                f"LoggingConfig error_log_level {self.error_log_level!r} is not a level"
            )

    def get_logger(self) -> logging.Logger:
        return logging.getLogger(self.logger_name)

    def should_log_request(self, path: str, status_code: int | None = None) -> bool:
        return path not in self.skip_paths and status_code not in self.skip_status_codes


class LoggingMiddleware(BaseMiddleware):
    """One line per request on ``config``'s logger: ``GET /items/1 200 1.2ms`` (500
    when the handler raised). A subclass from ``create_logging_middleware`` carries
    another ``config``."""

    config: LoggingConfig = LoggingConfig()

    def __init__(self, get_response: GetResponse) -> None:
        super().__init__(get_response)
        self.logger = self.config.get_logger()

    async def process_request(self, request: Request) -> Response:
        config = self.config
        path = request.path
        if config.log_requests and self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("%s %s", request.method, path, extra=self._request_extra(request))
        start = time.perf_counter()
        status = 500
        response = None
        try:
            response = await self.get_response(request)
            status = response.status_code
            return response
        finally:
            elapsed = time.perf_counter() - start
            if config.should_log_request(path, status):
                self.log_response(request, status, elapsed, response)

    def log_response(
        self, request: Request, status: int, elapsed: float, response: Response | None
    ) -> None:
        config = self.config
        level = (
            logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        )
        if status >= 500:
            level = logging.getLevelName(config.error_log_level.upper())
        if not self.logger.isEnabledFor(level):
            return
        if status < 400:
            if config.sample_rate is not None and random.random() >= config.sample_rate:
                return
            if config.min_duration_ms is not None and elapsed * 1000 < config.min_duration_ms:
                return
        parts = [request.method, request.path]
        extra: dict[str, Any] = {"method": request.method, "path": request.path}
        if "status_code" in config.response_log_fields:
            parts.append(str(status))
            extra["status_code"] = status
        if "duration" in config.response_log_fields:
            parts.append(f"{elapsed * 1000:.1f}ms")
            extra["duration_ms"] = round(elapsed * 1000, 2)
        if "size" in config.response_log_fields and response is not None:
            extra["response_size"] = len(response.render())
        self.logger.log(level, " ".join(parts), extra=extra | self._request_extra(request))

    def _request_extra(self, request: Request) -> dict[str, Any]:
        config, fields = self.config, self.config.request_log_fields
        extra: dict[str, Any] = {}
        if "query" in fields and request.query_string:
            extra["query"] = request.query_string
        if "headers" in fields:
            extra["headers"] = {
                k: "***" if k in config.obfuscate_headers else v for k, v in request.headers.items()
            }
        if "cookies" in fields:
            extra["cookies"] = {
                k: "***" if k in config.obfuscate_cookies else v for k, v in request.cookies.items()
            }
        if "user_agent" in fields:
            extra["user_agent"] = request.headers.get("user-agent", "")
        return extra


def create_logging_middleware(
    logger_name: str | None = None, log_level: str | None = None, **options: Any
) -> type[LoggingMiddleware]:
    """A ``LoggingMiddleware`` class logging with ``LoggingConfig(**options)`` (and
    ``logger_name``), for ``BoltAPI(middleware=[...])`` or ``@middleware(...)``.
    An option LoggingConfig does not have is a TypeError naming it."""
    if logger_name is not None:
        options["logger_name"] = logger_name
    if log_level is not None:
        options["log_level"] = log_level
    config = LoggingConfig(**options)
    return type("LoggingMiddleware", (LoggingMiddleware,), {"config": config})
