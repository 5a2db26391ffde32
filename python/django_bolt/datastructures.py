"""``UploadFile`` under the module name code written for the original django-bolt
imports (``from django_bolt.datastructures import UploadFile``); see
``django_bolt.uploads``."""

from .uploads import UploadFile

__all__ = ["UploadFile"]
