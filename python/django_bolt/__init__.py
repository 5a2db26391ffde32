"""django-bolt: one Rust server for a Django project."""

from ._core import Request
from .api import BoltAPI
from .compression import CompressionConfig
from .decorators import no_compress, skip_middleware
from .exceptions import HTTPException
from .param_functions import Depends
from .responses import (
    HTML,
    JSON,
    FileResponse,
    PlainText,
    Redirect,
    Response,
    StreamingResponse,
)

__all__ = [
    "BoltAPI",
    "CompressionConfig",
    "Depends",
    "FileResponse",
    "HTML",
    "HTTPException",
    "JSON",
    "PlainText",
    "Redirect",
    "Request",
    "Response",
    "StreamingResponse",
    "no_compress",
    "skip_middleware",
]
