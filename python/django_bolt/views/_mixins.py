"""The standard actions of a ``ViewSet`` over its queryset, one mixin each, and the two
usual sets of them: ``ModelViewSet`` (all six) and ``ReadOnlyModelViewSet``.

The ``data`` argument of the write actions has no type here: ``api.viewset`` gives it
the class's serializer for that action (``get_serializer_class``), so the body is
decoded and checked before the action runs (a 422 otherwise) and documented. A
``partial_update`` body is that serializer with every field optional; the object with
the fields sent is checked against the whole serializer (its validators included)
before it is saved.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

import msgspec

from ..exceptions import Conflict, RequestValidationError, msgspec_error_detail
from ._viewset import ViewSet, resolve

#: Marks a mixin action whose ``data`` argument ``api.viewset`` types: the action whose
#: serializer reads the body, and whether every field is optional.
BODY_MARK = "__bolt_body__"


def _reads_body(action: str, partial: bool = False):
    def mark(function):
        setattr(function, BODY_MARK, (action, partial))
        return function

    return mark


class ListMixin:
    """``GET {path}``: the filtered queryset, paginated by ``pagination_class``."""

    async def list(self, request):
        return await resolve(self.filter_queryset(await resolve(self.get_queryset())))


class RetrieveMixin:
    """``GET {path}/{lookup}``: one object, 404 when there is none."""

    async def retrieve(self, request):
        return await self.get_object()


class CreateMixin:
    """``POST {path}``: a new object from the create serializer's fields; 201."""

    @_reads_body("create")
    async def create(self, request, data):
        queryset = await resolve(self.get_queryset())
        instance = queryset.model(**written_fields(data))
        await _saved(self.perform_create(instance))
        return instance


class UpdateMixin:
    """``PUT {path}/{lookup}``: every field of the update serializer replaced."""

    @_reads_body("update")
    async def update(self, request, data):
        instance = await self.get_object()
        for name, value in written_fields(data).items():
            setattr(instance, name, value)
        await _saved(self.perform_update(instance))
        return instance


class PartialUpdateMixin:
    """``PATCH {path}/{lookup}``: the fields sent replaced, the others kept."""

    @_reads_body("partial_update", partial=True)
    async def partial_update(self, request, data):
        instance = await self.get_object()
        sent = written_fields(data)
        serializer = self.get_serializer_class("partial_update")
        merged = {
            name: getattr(instance, name)
            for name in serializer.__struct_fields__
            if hasattr(instance, name)
        }
        merged.update(sent)
        try:
            # By attribute, not by key: a renamed field's JSON name is not its attribute's.
            checked = msgspec.convert(SimpleNamespace(**merged), serializer, from_attributes=True)
        except msgspec.ValidationError as exc:
            raise RequestValidationError([msgspec_error_detail(exc, b"")]) from None
        for name in sent:
            setattr(instance, name, getattr(checked, name))
        await _saved(self.perform_update(instance))
        return instance


class DestroyMixin:
    """``DELETE {path}/{lookup}``: the object deleted; 204 with no body (a ``destroy``
    that returns None answers so)."""

    async def destroy(self, request):
        await self.perform_destroy(await self.get_object())


class ReadOnlyModelViewSet(ListMixin, RetrieveMixin, ViewSet):
    """``list`` and ``retrieve`` over ``queryset`` with ``serializer_class``."""


class ModelViewSet(
    ListMixin,
    RetrieveMixin,
    CreateMixin,
    UpdateMixin,
    PartialUpdateMixin,
    DestroyMixin,
    ViewSet,
):
    """All six standard actions over ``queryset`` with ``serializer_class`` (and the
    list, create and update serializers, when set)."""


async def _saved(saving: Any) -> None:
    """Await a save; a row the database refuses (a duplicate of a unique field, a
    missing related row) is the client's 409, not a server error."""
    from django.db import IntegrityError

    try:
        await saving
    except IntegrityError:
        raise Conflict(
            "The object conflicts with another one or breaks a database constraint"
        ) from None


def written_fields(data: msgspec.Struct) -> dict[str, Any]:
    """The fields of a decoded body a client may set: not read-only, and sent (a
    partial body's absent fields are UNSET)."""
    read_only = getattr(type(data), "__read_only__", frozenset())
    values = {name: getattr(data, name) for name in data.__struct_fields__}
    return {
        name: value
        for name, value in values.items()
        if name not in read_only and value is not msgspec.UNSET
    }


@functools.cache
def partial_body(serializer: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """``serializer``'s writable fields, each optional (UNSET when not sent), under the
    same JSON names and constraints: the body of a PATCH."""
    read_only = getattr(serializer, "__read_only__", frozenset())
    fields = [
        (
            info.name,
            info.type | msgspec.UnsetType,
            msgspec.field(default=msgspec.UNSET, name=info.encode_name),
        )
        for info in msgspec.structs.fields(serializer)
        if info.name not in read_only
    ]
    return msgspec.defstruct(
        f"{serializer.__name__}Patch", fields, kw_only=True, module=serializer.__module__
    )
