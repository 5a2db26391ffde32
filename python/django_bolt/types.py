"""Types for annotations, under the names code written for the original django-bolt
imports (``from django_bolt.types import Request, JWTClaims, UserType``).

``Request`` is the server's own Request class (``django_bolt.Request``), so a handler
annotated with it receives the request; ``AuthContext``, ``JWTClaims`` and
``APIKeyAuth`` are the auth package's (``django_bolt.auth.context``). The others are for
type checkers only: the Protocols say what a Django model and a user offer, and the
TypedDicts the shape of middleware state.
"""

from __future__ import annotations

from typing import Any, NotRequired, Protocol, TypedDict, runtime_checkable

from ._core import Request
from .auth.context import APIKeyAuth, AuthContext, JWTClaims

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
