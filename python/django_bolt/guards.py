"""The guards' former module, kept for code that imports it: they live in
:mod:`django_bolt.auth.guards`."""

from .auth.guards import (
    AllowAny,
    Guard,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
)

__all__ = [
    "AllowAny",
    "Guard",
    "HasAllPermissions",
    "HasAnyPermission",
    "HasPermission",
    "IsAdminUser",
    "IsAuthenticated",
    "IsStaff",
]
