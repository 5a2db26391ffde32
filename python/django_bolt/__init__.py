"""django-bolt: one Rust server for a Django project."""

from ._core import Request
from .api import BoltAPI
from .auth import APIKeyAuthentication, JWTAuthentication, SessionAuthentication
from .compression import CompressionConfig
from .decorators import no_compress, skip_middleware
from .exceptions import HTTPException
from .guards import (
    AllowAny,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
)
from .openapi import (
    OpenAPIConfig,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
)
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
from .tokens import create_jwt_for_user
from .uploads import UploadFile
from .views import APIView
from .websocket import WebSocket, WebSocketDisconnect

__all__ = [
    "APIKeyAuthentication",
    "AllowAny",
    "APIView",
    "BoltAPI",
    "CompressionConfig",
    "CursorPagination",
    "Depends",
    "FileResponse",
    "FileSize",
    "HTML",
    "HTTPException",
    "HasAllPermissions",
    "HasAnyPermission",
    "HasPermission",
    "IsAdminUser",
    "IsAuthenticated",
    "IsStaff",
    "JSON",
    "JWTAuthentication",
    "OpenAPIConfig",
    "LimitOffsetPagination",
    "PageNumberPagination",
    "PlainText",
    "RapidocRenderPlugin",
    "RedocRenderPlugin",
    "Redirect",
    "Request",
    "Response",
    "ScalarRenderPlugin",
    "SessionAuthentication",
    "StoplightRenderPlugin",
    "StreamingResponse",
    "SwaggerRenderPlugin",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "create_jwt_for_user",
    "no_compress",
    "paginate",
    "skip_middleware",
]
