"""django-bolt: one Rust server for a Django project."""

from .api import BoltAPI
from .decorators import no_compress
from .exceptions import HTTPException
from .responses import HTML, JSON, PlainText, Redirect, Response, StreamingResponse

__all__ = [
    "BoltAPI",
    "HTML",
    "HTTPException",
    "JSON",
    "PlainText",
    "Redirect",
    "Response",
    "StreamingResponse",
    "no_compress",
]
