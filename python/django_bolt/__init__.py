"""django-bolt: one Rust server for a Django project."""

from ._core import Request
from .api import BoltAPI
from .compression import CompressionConfig
from .decorators import no_compress, skip_middleware
from .exceptions import HTTPException
from .openapi import (
    OpenAPIConfig,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
)
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
from .websocket import WebSocket, WebSocketDisconnect

__all__ = [
    "BoltAPI",
    "CompressionConfig",
    "Depends",
    "FileResponse",
    "FileSize",
    "HTML",
    "HTTPException",
    "JSON",
    "OpenAPIConfig",
    "PlainText",
    "RapidocRenderPlugin",
    "RedocRenderPlugin",
    "Redirect",
    "Request",
    "Response",
    "ScalarRenderPlugin",
    "StoplightRenderPlugin",
    "StreamingResponse",
    "SwaggerRenderPlugin",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "no_compress",
    "skip_middleware",
]
