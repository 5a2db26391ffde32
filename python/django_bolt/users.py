"""``request.user``'s former module, kept for code that imports it (and the Rust side,
which takes ``TokenUser`` and ``anonymous_user`` from here): it lives in
:mod:`django_bolt.auth.users`."""

from .auth.users import (
    AnonymousUser,
    TokenUser,
    aget_permissions,
    aload_user,
    anonymous_user,
    load_user,
)

__all__ = [
    "AnonymousUser",
    "TokenUser",
    "aget_permissions",
    "aload_user",
    "anonymous_user",
    "load_user",
]
