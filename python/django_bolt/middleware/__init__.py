"""Middleware of Bolt routes: CORS and rate limits (applied in Rust), compression, and
Python middleware around handlers, Django's ``MIDDLEWARE`` among them. See
docs/middleware.md."""

from ..compression import CompressionConfig
from ..cors import cors
from ..decorators import no_compress, skip_middleware
from ..rate_limit import rate_limit
from ..types import MiddlewareResponse, TimingState, TracingState
from ._wire import from_wire
from .base import (
    BaseMiddleware,
    ErrorHandlerMiddleware,
    GetResponse,
    Middleware,
    MiddlewareProtocol,
    MiddlewareType,
    TimingMiddleware,
    checked,
    middleware,
)
from .chain import Chain, api_middleware, route_middleware
from .django_adapter import DjangoMiddleware, DjangoMiddlewareStack
from .django_loader import (
    DEFAULT_EXCLUDED_MIDDLEWARE,
    get_django_middleware_setting,
    load_django_middleware,
)
from .request_logging import LoggingConfig, LoggingMiddleware, create_logging_middleware

__all__ = [
    "DEFAULT_EXCLUDED_MIDDLEWARE",
    "BaseMiddleware",
    "Chain",
    "CompressionConfig",
    "DjangoMiddleware",
    "DjangoMiddlewareStack",
    "ErrorHandlerMiddleware",
    "GetResponse",
    "LoggingConfig",
    "LoggingMiddleware",
    "Middleware",
    "MiddlewareProtocol",
    "MiddlewareResponse",
    "MiddlewareType",
    "TimingMiddleware",
    "TimingState",
    "TracingState",
    "api_middleware",
    "checked",
    "cors",
    "create_logging_middleware",
    "from_wire",
    "get_django_middleware_setting",
    "load_django_middleware",
    "middleware",
    "no_compress",
    "rate_limit",
    "route_middleware",
    "skip_middleware",
]
