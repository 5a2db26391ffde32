"""Who may call a route: everything about authentication, by concern, under the module
names of the original django-bolt.

- ``backends``: ``auth=[...]`` on a route (JWT, API keys, Django sessions), described
  to Rust, which checks each request's credentials before any Python runs;
- ``guards``: ``guards=[...]`` on a route, decided in Rust from what a backend found;
- ``jwt_utils``: tokens for users, the context helpers, ``CurrentUser``;
- ``token``: ``Token``, a JWT as a value (encode, decode);
- ``tokens``: access and refresh token pairs and their rotation;
- ``revocation``: revoked tokens (stores, and the check of a route that has one);
- ``user_loader``: custom user loaders;
- ``context``: the types of ``request.auth`` (``AuthContext``, ``JWTClaims``);
- ``users``: ``request.user``, the Django user (or the token's) a request names;
- ``_permissions`` and ``_sessions``: what Python decides where Rust cannot (Django's
  permissions of a token's user, a Django session), run before the handler.
"""

from .backends import (
    APIKeyAuthentication,
    AuthBackend,
    BaseAuthentication,
    JWTAuthentication,
    SessionAuthentication,
    get_default_authentication_classes,
    jwt_secret,
)
from .context import APIKeyAuth, AuthContext, JWTClaims
from .guards import (
    AllowAny,
    BasePermission,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    get_default_permission_classes,
)
from .jwt_utils import (
    CurrentUser,
    OptionalCurrentUser,
    create_jwt_for_user,
    extract_user_id_from_context,
    get_auth_context,
    get_current_user,
)
from .revocation import (
    DjangoCacheRevocation,
    DjangoORMRevocation,
    InMemoryRevocation,
    RevocationStore,
    create_revocation_handler,
)
from .token import Token
from .tokens import (
    TokenPair,
    TokenRotationError,
    create_token_pair,
    rotate_refresh_token,
    set_token_cookies,
)
from .user_loader import get_registered_backend, load_user, register_auth_backend

__all__ = [
    "APIKeyAuth",
    "APIKeyAuthentication",
    "AllowAny",
    "AuthBackend",
    "AuthContext",
    "BaseAuthentication",
    "BasePermission",
    "CurrentUser",
    "DjangoCacheRevocation",
    "DjangoORMRevocation",
    "HasAllPermissions",
    "HasAnyPermission",
    "HasPermission",
    "InMemoryRevocation",
    "IsAdminUser",
    "IsAuthenticated",
    "IsStaff",
    "JWTAuthentication",
    "JWTClaims",
    "OptionalCurrentUser",
    "RevocationStore",
    "SessionAuthentication",
    "Token",
    "TokenPair",
    "TokenRotationError",
    "create_jwt_for_user",
    "create_revocation_handler",
    "create_token_pair",
    "extract_user_id_from_context",
    "get_auth_context",
    "get_current_user",
    "get_default_authentication_classes",
    "get_default_permission_classes",
    "get_registered_backend",
    "jwt_secret",
    "load_user",
    "register_auth_backend",
    "rotate_refresh_token",
    "set_token_cookies",
]
