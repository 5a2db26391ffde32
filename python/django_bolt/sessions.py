"""The session check's former module, kept for code that imports it: it lives in
``django_bolt.auth._sessions``."""

from .auth._sessions import SessionCheck

__all__ = ["SessionCheck"]
