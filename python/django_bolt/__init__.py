"""django-bolt: one Rust server for a Django project."""

from ._core import Request
from .api import BoltAPI
from .auth.backends import APIKeyAuthentication, JWTAuthentication, SessionAuthentication
from .auth.context import APIKeyAuth, AuthContext, JWTClaims
from .auth.guards import (
    AllowAny,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
)
from .auth.jwt_utils import (
    CurrentUser,
    OptionalCurrentUser,
    create_jwt_for_user,
    extract_user_id_from_context,
    get_auth_context,
    get_current_user,
)
from .auth.token import Token
from .compression import CompressionConfig
from .cors import CORSConfig, cors
from .decorators import no_compress, skip_middleware
from .enums import FileSize, MediaType
from .exceptions import HTTPException
from .middleware import BaseMiddleware, LoggingMiddleware, TimingMiddleware, middleware
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
    "APIKeyAuth",
    "APIKeyAuthentication",
    "APIView",
    "AllowAny",
    "AuthContext",
    "BaseMiddleware",
    "BoltAPI",
    "CORSConfig",
    "CompressionConfig",
    "CurrentUser",
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
    "JWTClaims",
    "LimitOffsetPagination",
    "LoggingMiddleware",
    "MediaType",
    "OpenAPIConfig",
    "OptionalCurrentUser",
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
    "Token",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "cors",
    "create_jwt_for_user",
    "extract_user_id_from_context",
    "get_auth_context",
    "get_current_user",
    "middleware",
    "no_compress",
    "paginate",
    "rate_limit",
    "skip_middleware",
]
