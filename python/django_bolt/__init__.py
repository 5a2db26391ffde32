"""django-bolt: one Rust server for a Django project."""

from .api import BoltAPI
from .exceptions import HTTPException
from .responses import JSON, Response

__all__ = ["BoltAPI", "HTTPException", "JSON", "Response"]
