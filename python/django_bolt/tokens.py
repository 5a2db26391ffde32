"""The token maker's former module, kept for code that imports it: it lives in
:mod:`django_bolt.auth.jwt_utils`."""

from .auth.jwt_utils import create_jwt_for_user

__all__ = ["create_jwt_for_user"]
