"""Guards for ``guards=[...]`` on a route: who may call it, decided in Rust from what
authentication found (``request.auth``), before any Python runs. For a request a Django
session authenticates, they run in Python against the session's user (``allows``), with
the same answers. Permission guards over a token without a ``permissions`` claim ask
Django about the token's user (``_permissions.py``), as they do for a session.

Every guard of a route must pass. Without credentials a guard answers 401; with them
but without the right, 403. A route with ``auth=`` and no guard requires
authentication; ``AllowAny()`` makes it optional. A check that needs the database or
the request body belongs in a ``Depends()`` that raises ``HTTPException(403)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._permissions import has_perms
from .backends import AuthBackend, _setting, get_default_authentication_classes

__all__ = [
    "AllowAny",
    "BasePermission",
    "Guard",
    "HasAllPermissions",
    "HasAnyPermission",
    "HasPermission",
    "IsAdminUser",
    "IsAuthenticated",
    "IsStaff",
    "get_default_permission_classes",
]


class Guard:
    """What every guard has: the name Rust knows it by, and the permissions it names."""

    kind = ""
    #: Whether Django's permissions decide it (``decides``) where Rust cannot: for a
    #: token without a ``permissions`` claim, and for a session.
    reads_permissions = False

    def __init__(self, *permissions: str) -> None:
        self.permissions = list(permissions)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "permissions": self.permissions,
            "requirement": self.requirement,
        }

    def allows(self, user: Any) -> bool:
        """Whether an authenticated Django ``user`` passes (it may query the database)."""
        return True

    @property
    def requirement(self) -> str:
        """What a 403 tells the client it lacks, whether Rust or Python refuses."""
        return "Authentication required"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.permissions))})"


def checked_protection(
    what: str, auth: Iterable[Any] | None, guards: Iterable[Any] | None
) -> tuple[list[AuthBackend], list[Guard]]:
    """A route's ``auth`` and ``guards``, refused at declaration when they cannot work:
    a route must never start less protected than it was declared. A route declared
    without ``auth=`` or ``guards=`` gets the project's defaults, when it sets them."""
    if auth is None:
        auth = get_default_authentication_classes()
    if guards is None:
        guards = _setting("BOLT_DEFAULT_PERMISSION_CLASSES", None)
    auth, guards = list(auth or []), list(guards or [])
    for kind, items, base in (("auth", auth, AuthBackend), ("guards", guards, Guard)):
        for item in items:
            if isinstance(item, type) and issubclass(item, base):
                raise TypeError(f"{what}: {kind} takes instances: {item.__name__}()")
            if not isinstance(item, base) or not item.kind:
                raise TypeError(
                    f"{what}: {item!r} is not one of django_bolt's {kind}; a custom check "
                    "belongs in a Depends() that raises HTTPException"
                )
    if not auth and any(not isinstance(guard, AllowAny) for guard in guards):
        raise ValueError(
            f"{what}: guards need an auth backend to identify the client: add auth=[...]"
        )
    return auth, guards


#: The original django-bolt's name for the base of the guards. Subclasses of your own
#: are refused: guards are decided in Rust; a check of your own belongs in a Depends().
BasePermission = Guard


def get_default_permission_classes() -> list[Guard]:
    """``settings.BOLT_DEFAULT_PERMISSION_CLASSES``, else ``[AllowAny()]``: the guards
    of a route declared without ``guards=`` (when unset, a route with ``auth=`` and no
    guards requires authentication, as ``IsAuthenticated()`` would)."""
    configured = _setting("BOLT_DEFAULT_PERMISSION_CLASSES", None)
    return list(configured) if configured is not None else [AllowAny()]


class _Plain(Guard):
    def __init__(self) -> None:
        super().__init__()


class AllowAny(_Plain):
    """Anyone, authenticated or not."""

    kind = "allow_any"


class IsAuthenticated(_Plain):
    """Any client a backend authenticated."""

    kind = "is_authenticated"


class IsAdminUser(_Plain):
    """A superuser: the token's ``is_superuser`` claim (a session's user's flag)."""

    kind = "is_admin_user"
    requirement = "Admin (superuser) access required"

    def allows(self, user: Any) -> bool:
        return getattr(user, "is_superuser", False)


class IsStaff(_Plain):
    """A staff member: the token's ``is_staff`` claim (a session's user's flag)."""

    kind = "is_staff"
    requirement = "Staff access required"

    def allows(self, user: Any) -> bool:
        return getattr(user, "is_staff", False)


class _Permissions(Guard):
    reads_permissions = True

    def __init__(self, *permissions: str) -> None:
        if not permissions or not all(isinstance(p, str) and p for p in permissions):
            raise ValueError(f"{type(self).__name__} needs permission names like 'app.codename'")
        super().__init__(*permissions)

    def allows(self, user: Any) -> bool:
        return self.decides(has_perms(user, self.permissions))

    def decides(self, has: dict[str, bool]) -> bool:
        """Whether Django's answers ``{permission: has_perm}`` let the user in."""
        raise NotImplementedError

    def _quoted(self) -> str:
        return ", ".join(f"'{p}'" for p in self.permissions)


class HasPermission(_Permissions):
    """The permission is in the token's ``permissions`` claim (or the API key's
    permissions). A token without the claim, or a session, asks the user's
    ``has_perm()`` in Django (cached, see ``_permissions.py``). A superuser has every
    permission."""

    kind = "has_permission"

    def __init__(self, permission: str) -> None:
        super().__init__(permission)

    def decides(self, has: dict[str, bool]) -> bool:
        return has[self.permissions[0]]

    @property
    def requirement(self) -> str:
        return f"Permission {self._quoted()} required"


class HasAnyPermission(_Permissions):
    """At least one of the permissions."""

    kind = "has_any_permission"

    def decides(self, has: dict[str, bool]) -> bool:
        return any(has[p] for p in self.permissions)

    @property
    def requirement(self) -> str:
        return f"One of the permissions {self._quoted()} required"


class HasAllPermissions(_Permissions):
    """Every one of the permissions."""

    kind = "has_all_permissions"

    def decides(self, has: dict[str, bool]) -> bool:
        return all(has[p] for p in self.permissions)

    @property
    def requirement(self) -> str:
        return f"All of the permissions {self._quoted()} required"
