"""Django model instances and querysets as data msgspec can encode.

Django is looked up in ``sys.modules`` rather than imported: a result cannot be a model
or a queryset unless ``django.db.models`` was imported already, and a project without
Django pays nothing.
"""

from __future__ import annotations

import sys
from typing import Any


def _models() -> Any:
    return sys.modules.get("django.db.models")


def needs_database(result: Any) -> bool:
    """Whether turning ``result`` into data may query the database: a queryset, a model
    instance, a list of them (relations and deferred fields load on access), or a dict
    holding one (a page of results)."""
    models = _models()
    if models is None:
        return False
    if type(result) is list:
        return bool(result) and isinstance(result[0], models.Model)
    if type(result) is dict:
        return any(needs_database(value) for value in result.values())
    return isinstance(result, (models.Model, models.QuerySet))


def evaluate(result: Any) -> Any:
    """A queryset as the list of its objects; anything else as it is."""
    models = _models()
    if models is not None and isinstance(result, models.QuerySet):
        return list(result)
    return result


def model_fields(instance: Any) -> dict[str, Any]:
    """A model instance's concrete fields by attribute name (a foreign key is its
    ``*_id``), leaving out deferred ones so that reading them never queries."""
    deferred = instance.get_deferred_fields()
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in deferred
    }


def enc_hook(value: Any) -> Any:
    """msgspec's hook for types it does not know: model instances become their fields."""
    models = _models()
    if models is not None and isinstance(value, models.Model):
        return model_fields(value)
    raise NotImplementedError(f"Encoding objects of type {type(value).__name__} is unsupported")
