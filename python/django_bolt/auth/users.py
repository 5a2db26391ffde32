"""``request.user``: anonymous until authentication names a user, then that Django
user, loaded before the handler runs (only for handlers that take the ``Request``), or
a ``TokenUser`` made from the token when the database is not asked."""

from __future__ import annotations

from typing import Any

from ..exceptions import HTTPException

__all__ = [
    "AnonymousUser",
    "TokenUser",
    "aget_permissions",
    "aload_user",
    "anonymous_user",
    "load_user",
]


class AnonymousUser:
    """Stands in for Django's ``AnonymousUser`` when ``django.contrib.auth`` is not
    installed: the same attributes, nobody behind them."""

    id = None
    pk = None
    username = ""
    is_active = False
    is_staff = False
    is_superuser = False
    is_anonymous = True
    is_authenticated = False

    def __repr__(self) -> str:
        return "AnonymousUser"


def anonymous_user() -> Any:
    """Django's ``AnonymousUser`` when the project installs ``django.contrib.auth``,
    otherwise the stand-in above (imported lazily: Django may not be configured)."""
    try:
        from django.apps import apps
    except ImportError:
        return AnonymousUser()
    if apps.ready and apps.is_installed("django.contrib.auth"):
        from django.contrib.auth.models import AnonymousUser as DjangoAnonymousUser

        return DjangoAnonymousUser()
    return AnonymousUser()


class TokenUser:
    """The user a token describes, read from its claims without the database: for
    ``JWTAuthentication(load_user=False)`` and projects without ``django.contrib.auth``."""

    is_active = True
    is_anonymous = False
    is_authenticated = True

    def __init__(self, auth: dict[str, Any]) -> None:
        self.id = self.pk = auth["user_id"]
        self.username = (auth["claims"] or {}).get("username", "")
        self.is_staff = auth["is_staff"]
        self.is_superuser = auth["is_superuser"]
        self.permissions = frozenset(auth["permissions"])

    def get_username(self) -> str:
        return self.username

    def has_perm(self, permission: str, obj: Any = None) -> bool:
        return self.is_superuser or permission in self.permissions

    def __repr__(self) -> str:
        return f"TokenUser(id={self.id!r}, username={self.username!r})"


def load_user(request: Any) -> None:
    """Set ``request.user`` to the user ``request.auth`` names, from a worker thread.

    A user who is gone or inactive is refused with 401; a project without
    ``django.contrib.auth`` gets the token's user. Credentials that name no user (an API
    key) leave the anonymous user."""
    user_id = request.auth.get("user_id")
    if user_id is None:
        return
    if _has_users():
        request.user = _active(_query(user_id, lambda users: users.first()))
    else:
        request.user = TokenUser(request.auth)


async def aload_user(request: Any) -> None:
    """``load_user`` on the event loop: the query runs in Django's thread."""
    user_id = request.auth.get("user_id")
    if user_id is None:
        return
    if _has_users():
        found = _query(user_id, lambda users: users.afirst())
        request.user = _active(await found if found is not None else None)
    else:
        request.user = TokenUser(request.auth)


async def aget_permissions(user: Any) -> list[str]:
    """Every permission of ``user`` (its groups' included), for a token's claim."""
    from asgiref.sync import sync_to_async

    return sorted(await sync_to_async(user.get_all_permissions)())


def _has_users() -> bool:
    """Whether the project keeps users in Django's database."""
    from django.apps import apps

    return apps.ready and apps.is_installed("django.contrib.auth")


def _query(user_id: str, run: Any) -> Any:
    """``run`` on the users with primary key ``user_id``; None when it cannot be one."""
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError

    try:
        return run(get_user_model()._default_manager.filter(pk=user_id))
    except (ValueError, ValidationError):
        return None


def _active(user: Any) -> Any:
    if user is None or not getattr(user, "is_active", True):
        raise HTTPException(401, "The token's user does not exist or is inactive")
    return user
