"""The parameter markers under the module name code written for the original django-bolt
imports (``from django_bolt.params import Query``); they are those of
``django_bolt.param_functions``."""

from .param_functions import Body, Cookie, Depends, File, Form, Header, Param, Path, Query

__all__ = ["Body", "Cookie", "Depends", "File", "Form", "Header", "Param", "Path", "Query"]
