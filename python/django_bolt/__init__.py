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
from .cookies import Cookie
from .cors import CORSConfig, cors
from .decorators import action, no_compress, skip_middleware
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
    middleware,
)
from .openapi import (
    JsonRenderPlugin,
    OpenAPIConfig,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from .pagination import (
    CursorPagination,
    LimitOffsetPagination,
    PageNumberPagination,
    PaginatedResponse,
    PaginationBase,
    paginate,
)
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
from .router import Router
from .types import DjangoModel, TimingState, TracingState, UserType
from .types import Request as RequestProtocol
from .uploads import UploadFile
from .views import (
    APIView,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    ModelViewSet,
    PartialUpdateMixin,
    ReadOnlyModelViewSet,
    RetrieveMixin,
    UpdateMixin,
    ViewSet,
)
from .websocket import (
    CloseCode,
    WebSocket,
    WebSocketClose,
    WebSocketDisconnect,
    WebSocketException,
    WebSocketState,
)

__all__ = [
    "APIKeyAuth",
    "APIKeyAuthentication",
    "APIView",
    "AllowAny",
    "AuthContext",
    "BaseMiddleware",
    "BoltAPI",
    "CORSConfig",
    "CloseCode",
    "CompressionConfig",
    "Cookie",
    "CreateMixin",
    "CurrentUser",
    "CursorPagination",
    "Depends",
    "DestroyMixin",
    "DjangoMiddleware",
    "DjangoModel",
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
    "JWTClaims",
    "JsonRenderPlugin",
    "LimitOffsetPagination",
    "ListMixin",
    "LoggingMiddleware",
    "MediaType",
    "Middleware",
    "MiddlewareProtocol",
    "ModelViewSet",
    "OpenAPIConfig",
    "OptionalCurrentUser",
    "PageNumberPagination",
    "PaginatedResponse",
    "PaginationBase",
    "PartialUpdateMixin",
    "PlainText",
    "RapidocRenderPlugin",
    "ReadOnlyModelViewSet",
    "Redirect",
    "RedocRenderPlugin",
    "Request",
    "RequestProtocol",
    "Response",
    "RetrieveMixin",
    "Router",
    "ScalarRenderPlugin",
    "SessionAuthentication",
    "StoplightRenderPlugin",
    "StreamingResponse",
    "SwaggerRenderPlugin",
    "TimingMiddleware",
    "TimingState",
    "Token",
    "TracingState",
    "UpdateMixin",
    "UploadFile",
    "UserType",
    "ViewSet",
    "WebSocket",
    "WebSocketClose",
    "WebSocketDisconnect",
    "WebSocketException",
    "WebSocketState",
    "YamlRenderPlugin",
    "action",
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
