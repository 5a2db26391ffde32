"""django-bolt: one Rust server for a Django project."""

from ._core import Request
from .api import BoltAPI
from .auth.backends import APIKeyAuthentication, JWTAuthentication, SessionAuthentication
from .auth.guards import (
    AllowAny,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
)
from .auth.tokens import create_jwt_for_user
from .compression import CompressionConfig
from .cors import CORSConfig, cors
from .decorators import no_compress, skip_middleware
from .enums import FileSize, MediaType
from .exceptions import HTTPException
from .middleware import (
    BaseMiddleware,
    DjangoMiddleware,
    ErrorHandlerMiddleware,
    LoggingMiddleware,
    Middleware,
    MiddlewareProtocol,
    TimingMiddleware,
    TimingState,
    TracingState,
    middleware,
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
from .param_functions import Depends
from .rate_limit import rate_limit
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
    "APIKeyAuthentication",
    "APIView",
    "AllowAny",
    "BaseMiddleware",
    "BoltAPI",
    "CORSConfig",
    "CompressionConfig",
    "CursorPagination",
    "Depends",
    "DjangoMiddleware",
    "ErrorHandlerMiddleware",
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
    "LimitOffsetPagination",
    "LoggingMiddleware",
    "MediaType",
    "Middleware",
    "MiddlewareProtocol",
    "OpenAPIConfig",
    "PageNumberPagination",
    "PlainText",
    "RapidocRenderPlugin",
    "Redirect",
    "RedocRenderPlugin",
    "Request",
    "Response",
    "ScalarRenderPlugin",
    "SessionAuthentication",
    "StoplightRenderPlugin",
    "StreamingResponse",
    "SwaggerRenderPlugin",
    "TimingMiddleware",
    "TimingState",
    "TracingState",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "cors",
    "create_jwt_for_user",
    "middleware",
    "no_compress",
    "paginate",
    "rate_limit",
    "skip_middleware",
]
