"""django-bolt: one Rust server for a Django project."""

from ._core import Request
from .api import BoltAPI
from .compression import CompressionConfig
from .decorators import no_compress, skip_middleware
from .exceptions import HTTPException
from .pagination import CursorPagination, LimitOffsetPagination, PageNumberPagination, paginate
from .param_functions import Depends, FileSize
from .responses import (
    HTML,
    JSON,
    FileResponse,
    PlainText,
    Redirect,
    Response,
    StreamingResponse,
)
from .uploads import UploadFile
from .views import APIView
from .websocket import WebSocket, WebSocketDisconnect

__all__ = [
    "APIView",
    "BoltAPI",
    "CompressionConfig",
    "CursorPagination",
    "Depends",
    "FileResponse",
    "FileSize",
    "HTML",
    "HTTPException",
    "JSON",
    "LimitOffsetPagination",
    "PageNumberPagination",
    "PlainText",
    "Redirect",
    "Request",
    "Response",
    "StreamingResponse",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "no_compress",
    "paginate",
    "skip_middleware",
]
