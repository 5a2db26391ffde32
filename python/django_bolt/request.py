"""``Request`` under the module name code written for the original django-bolt imports
(``from django_bolt.request import Request``); it is ``django_bolt.Request``."""

from ._core import Request

__all__ = ["Request"]
