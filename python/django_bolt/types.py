"""Types for annotations, under the names code written for the original django-bolt
imports (``from django_bolt.types import Request, JWTClaims, UserType``).

``Request`` is the server's own Request class (``django_bolt.Request``), so a handler
annotated with it receives the request. The others are for type checkers only: the
Protocols say what a Django model, a user and an authentication context offer, and
the TypedDicts the shape of JWT claims, API-key auth and middleware state.
"""

from __future__ import annotations

from typing import Any, NotRequired, Protocol, TypedDict, runtime_checkable

from ._core import Request

__all__ = [
    "APIKeyAuth",
    "AuthContext",
    "DjangoModel",
    "JWTClaims",
    "MiddlewareResponse",
    "Request",
    "TimingState",
    "TracingState",
    "UserType",
]


@runtime_checkable
class DjangoModel(Protocol):
    """What every Django model instance offers: saving, deleting and reloading, sync
    and async (``isinstance(obj, DjangoModel)`` is true for any model instance)."""

    def save(self, *args: Any, **kwargs: Any) -> None: ...
    def delete(self, *args: Any, **kwargs: Any) -> Any: ...
    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None: ...
    def full_clean(self, *args: Any, **kwargs: Any) -> None: ...
    async def asave(self, *args: Any, **kwargs: Any) -> None: ...
    async def adelete(self, *args: Any, **kwargs: Any) -> Any: ...
    async def arefresh_from_db(self, *args: Any, **kwargs: Any) -> None: ...


class UserType(DjangoModel, Protocol):
    """A Django user (any model built on ``AbstractBaseUser`` with Django's usual
    fields), as ``request.user`` gives it."""

    id: Any
    pk: Any
    is_active: bool
    email: str
    first_name: str
    last_name: str
    is_staff: bool
    is_superuser: bool

    @property
    def is_anonymous(self) -> bool: ...
    @property
    def is_authenticated(self) -> bool: ...
    def set_password(self, raw_password: str | None) -> None: ...
    def check_password(self, raw_password: str) -> bool: ...
    def has_usable_password(self) -> bool: ...


class AuthContext(Protocol):
    """What authentication found for a request: who (``user_id``), with which backend,
    their flags and permissions, and a token's ``claims``."""

    user_id: str | None
    is_staff: bool
    is_superuser: bool
    backend: str
    permissions: set[str] | None
    claims: dict[str, Any] | None


class JWTClaims(TypedDict, total=False):
    """The registered claims of RFC 7519 and the ones ``create_jwt_for_user`` adds."""

    sub: str
    exp: int
    iat: int
    nbf: int
    iss: str
    aud: str
    jti: str
    user_id: int
    username: str
    email: str
    is_staff: bool
    is_superuser: bool
    permissions: list[str]
    groups: list[str]


class APIKeyAuth(TypedDict, total=False):
    """What API-key authentication tells a handler about the key."""

    key_id: str
    key_name: str
    permissions: list[str]
    rate_limit: NotRequired[int]
    metadata: NotRequired[dict[str, Any]]


class TimingState(TypedDict, total=False):
    """Request state a timing middleware keeps."""

    start_time: float
    request_id: str


class TracingState(TypedDict, total=False):
    """Request state a tracing middleware keeps."""

    trace_id: str
    span_id: str
    parent_span_id: NotRequired[str]
    baggage: NotRequired[dict[str, str]]


class MiddlewareResponse(TypedDict, total=False):
    """A response as a middleware describes it; ``set_cookies`` is a list because a
    response may set several cookies."""

    body: bytes
    status_code: int
    headers: dict[str, str]
    set_cookies: list[str]
