"""The user a request has before any authentication: ``request.user``'s default."""

from __future__ import annotations

from typing import Any


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
