"""Application request logging: ``LoggingConfig`` and the ``LoggingMiddleware`` it
configures (also ``django_bolt.middleware.LoggingMiddleware``). The server's access
log is separate and made in Rust; see docs/logging.md."""

from .middleware.request_logging import (
    LoggingConfig,
    LoggingMiddleware,
    create_logging_middleware,
)

__all__ = ["LoggingConfig", "LoggingMiddleware", "create_logging_middleware"]
