"""The permission cache's former module, kept for code that imports it: it lives in
``django_bolt.auth._permissions``."""

from .auth._permissions import PermissionCheck, cache_seconds, permission_cache

__all__ = ["PermissionCheck", "cache_seconds", "permission_cache"]
