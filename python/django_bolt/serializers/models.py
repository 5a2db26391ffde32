"""Serializers generated from Django models: ``create_serializer(Model, fields=...)`` and
the create/update/read trio of ``create_serializer_set``.

Each model field becomes the type its column holds, with the column's limits as
``msgspec.Meta`` constraints (``max_length``, choices as a ``Literal``), so input that
fits the serializer fits the table. A foreign key is its id (read from ``*_id``, no
query), a many-to-many the list of ids (prefetched with ``from_queryset``).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Annotated, Any, Literal

import msgspec

from .base import Serializer


def create_serializer(
    model: type,
    *,
    fields: list[str] | tuple[str, ...] | None = None,
    exclude: list[str] | tuple[str, ...] | None = None,
    read_only: set[str] | None = None,
    write_only: set[str] | None = None,
    serializer_name: str | None = None,
    partial: bool = False,
) -> type[Serializer]:
    """A Serializer class with ``model``'s fields (``fields`` in their order, or every
    concrete field and many-to-many), less ``exclude``. A field the database fills (the
    primary key, ``auto_now``) or with a default is optional; ``partial=True`` makes
    every field optional, left ``UNSET`` when not sent (what ``to_dict()`` then
    leaves out: a partial update)."""
    available = {f.name: f for f in (*model._meta.concrete_fields, *model._meta.many_to_many)}
    names = list(fields) if fields is not None else list(available)
    unknown = [name for name in (*names, *(exclude or ())) if name not in available]
    if unknown:
        raise ValueError(f"{model.__name__} has no fields {unknown}")
    names = [name for name in names if name not in set(exclude or ())]
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": model.__module__, "__annotations__": annotations}
    for name in names:
        model_field = available[name]
        annotation = _annotation(model_field)
        if partial:
            annotations[name] = annotation | msgspec.UnsetType
            namespace[name] = msgspec.UNSET
            continue
        default = _default(model_field)
        if default is not msgspec.NODEFAULT:
            namespace[name] = default
        annotations[name] = annotation | None if default is None else annotation
    namespace["Config"] = type(
        "Config",
        (),
        {
            "model": model,
            "read_only": set(read_only or ()) & set(names),
            "write_only": set(write_only or ()) & set(names),
        },
    )
    cls = type(serializer_name or f"{model.__name__}Serializer", (Serializer,), namespace)
    cls.__doc__ = f"Fields of {model.__name__} (made by create_serializer)."
    return cls


def create_serializer_set(
    model: type,
    *,
    create_fields: list[str] | None = None,
    update_fields: list[str] | None = None,
    public_fields: list[str] | None = None,
    read_only: set[str] | None = None,
    write_only: set[str] | None = None,
) -> tuple[type[Serializer], type[Serializer], type[Serializer]]:
    """``(Create, Update, Public)`` serializers for ``model``: ``{Model}Create`` (input,
    ``write_only`` fields accepted but never sent back), ``{Model}Update`` (input, every
    field optional: a partial update) and ``{Model}Public`` (output, ``read_only``
    fields marked so in the schema)."""
    name = model.__name__
    return (
        create_serializer(
            model, fields=create_fields, write_only=write_only, serializer_name=f"{name}Create"
        ),
        create_serializer(
            model,
            fields=update_fields,
            write_only=write_only,
            serializer_name=f"{name}Update",
            partial=True,
        ),
        create_serializer(
            model, fields=public_fields, read_only=read_only, serializer_name=f"{name}Public"
        ),
    )


def _annotation(model_field: Any) -> Any:
    if model_field.many_to_many:
        annotation: Any = list[_id_type(model_field.related_model)]
    elif model_field.is_relation:
        annotation = _id_type(model_field.related_model)
    elif model_field.choices:
        annotation = Literal[tuple(value for value, _label in model_field.flatchoices)]
    else:
        annotation = _scalar(model_field)
    if model_field.null and not model_field.many_to_many:
        annotation = annotation | None
    return annotation


def _id_type(model: type) -> Any:
    return _scalar(model._meta.pk.target_field if model._meta.pk.is_relation else model._meta.pk)


def _scalar(model_field: Any) -> Any:
    """The type of a non-relation column, with its limits."""
    from django.db import models

    ranges = {
        models.SmallIntegerField: (-32768, 32767),
        models.PositiveSmallIntegerField: (0, 32767),
        models.PositiveBigIntegerField: (0, 2**63 - 1),
        models.PositiveIntegerField: (0, 2**31 - 1),
        models.BigIntegerField: (-(2**63), 2**63 - 1),
        models.IntegerField: (-(2**31), 2**31 - 1),
    }
    plain = [
        (models.BooleanField, bool),
        (models.DateTimeField, datetime.datetime),
        (models.DateField, datetime.date),
        (models.TimeField, datetime.time),
        (models.DurationField, datetime.timedelta),
        (models.DecimalField, decimal.Decimal),
        (models.FloatField, float),
        (models.UUIDField, uuid.UUID),
        (models.JSONField, Any),
        (models.BinaryField, bytes),
    ]
    if isinstance(model_field, (models.AutoField, models.BigAutoField, models.SmallAutoField)):
        return int
    for kind, (low, high) in ranges.items():
        if isinstance(model_field, kind):
            return Annotated[int, msgspec.Meta(ge=low, le=high)]
    for kind, annotation in plain:
        if isinstance(model_field, kind):
            return annotation
    if isinstance(model_field, (models.CharField, models.TextField)):
        limit = model_field.max_length
        return Annotated[str, msgspec.Meta(max_length=limit)] if limit else str
    return Any


def _default(model_field: Any) -> Any:
    """The serializer default: the model's own, else None for what the database or
    Django fills (a primary key, ``auto_now``), a nullable column or a many-to-many."""
    from django.db.models import NOT_PROVIDED

    if model_field.many_to_many:
        return msgspec.field(default_factory=list)
    if model_field.default is not NOT_PROVIDED:
        if callable(model_field.default):
            return msgspec.field(default_factory=model_field.default)
        return model_field.default
    if model_field.primary_key or model_field.null or not model_field.editable:
        return None
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return None
    return msgspec.NODEFAULT
