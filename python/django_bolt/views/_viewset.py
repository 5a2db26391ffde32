"""``ViewSet``: the actions of one collection and its objects in one class, routed by
``api.viewset(path)``.

The class holds what the actions share: the ``queryset`` (or ``get_queryset()``), the
``lookup_field`` that finds one object in it (``get_object()``), the serializers that
read request bodies and shape responses (``get_serializer_class(action)``) and the
``pagination_class`` of ``list``. Every request gets a new instance with ``request``,
``action`` and ``kwargs`` (the lookup value of a detail route) set.
"""

from __future__ import annotations

import inspect
import uuid
from typing import Any, ClassVar

from ..exceptions import NotFound
from ._apiview import APIView


class ViewSet(APIView):
    """Base class of the classes given to ``api.viewset``; see the module."""

    queryset: Any = None
    serializer_class: Any = None
    #: The response of ``list`` (default: ``serializer_class``).
    list_serializer_class: Any = None
    #: The body of ``create`` (default: ``serializer_class``).
    create_serializer_class: Any = None
    #: The body of ``update``/``partial_update`` (default: the create serializer).
    update_serializer_class: Any = None
    #: The model field ``get_object()`` looks up, and the path argument's name.
    lookup_field: ClassVar[str] = "pk"
    #: The path argument's name when it differs from ``lookup_field``.
    lookup_url_kwarg: ClassVar[str | None] = None
    pagination_class: Any = None

    kwargs: dict[str, Any]

    def __init__(self, **attributes: Any) -> None:
        self.kwargs = {}
        super().__init__(**attributes)

    def __class_getitem__(cls, model: Any) -> type[ViewSet]:
        """``ModelViewSet[Article]``, as written for type checkers, is the class itself."""
        return cls

    async def get_queryset(self) -> Any:
        """A fresh copy of ``queryset`` (override to filter by ``self.request``); an
        override may be ``async def`` or ``def``."""
        if self.queryset is None:
            raise TypeError(
                f"{type(self).__qualname__} has no queryset: set `queryset` or override "
                "get_queryset()"
            )
        return self.queryset.all()

    async def filter_queryset(self, queryset: Any) -> Any:
        """The hook where filtering by query parameters goes; returns ``queryset``."""
        return queryset

    async def get_object(self, value: Any = None, **lookup: Any) -> Any:
        """The object of this request, looked up in the filtered queryset by
        ``lookup_field`` (with the path's value, ``value``, or the ``lookup`` given);
        a 404 when there is none."""
        if not lookup:
            if value is None:
                value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            if value is None:
                raise TypeError(
                    f"{type(self).__qualname__}.get_object() needs the lookup value: it is "
                    "read from the path of detail routes, or pass it"
                )
            lookup = {self.lookup_field: value}
        queryset = await resolve(self.filter_queryset(await resolve(self.get_queryset())))
        from django.core.exceptions import ObjectDoesNotExist, ValidationError

        try:
            return await queryset.aget(**lookup)
        except (ObjectDoesNotExist, ValidationError, ValueError):
            # A value the field cannot hold ("abc" for an integer) finds nothing too.
            raise NotFound("Not found") from None

    def get_serializer_class(self, action: str | None = None) -> Any:
        """The serializer of ``action`` (default: this request's): ``list`` answers
        with ``list_serializer_class``, ``create`` reads ``create_serializer_class``,
        ``update``/``partial_update`` read ``update_serializer_class`` (else the create
        one); everything else, and every missing one, is ``serializer_class``."""
        action = action or self.action
        chosen = None
        if action == "list":
            chosen = self.list_serializer_class
        elif action == "create":
            chosen = self.create_serializer_class
        elif action in ("update", "partial_update"):
            chosen = self.update_serializer_class or self.create_serializer_class
        chosen = chosen or self.serializer_class
        if chosen is None:
            raise ValueError(
                f"{type(self).__qualname__} has no serializer for {action!r}: set "
                "`serializer_class` or override get_serializer_class()"
            )
        return chosen

    async def perform_create(self, instance: Any) -> None:
        await instance.asave()

    async def perform_update(self, instance: Any) -> None:
        await instance.asave()

    async def perform_destroy(self, instance: Any) -> None:
        await self.perform_destory(instance)

    async def perform_destory(self, instance: Any) -> None:
        """The original django-bolt's spelling of ``perform_destroy``: code written for it
        overrides this one, so ``perform_destroy`` calls it."""
        await instance.adelete()


async def resolve(value: Any) -> Any:
    """``value``, awaited when it is awaitable: the hooks may be sync or async."""
    return await value if inspect.isawaitable(value) else value


def lookup_type(view_class: type[ViewSet]) -> Any:
    """The Python type of the lookup path argument, from the queryset's model field
    (int for integer keys, UUID for UUID fields, else str)."""
    queryset = view_class.queryset
    model = getattr(queryset, "model", None)
    if model is None:
        return str
    from django.core.exceptions import FieldDoesNotExist
    from django.db import models

    try:
        field = (
            model._meta.pk
            if view_class.lookup_field == "pk"
            else model._meta.get_field(view_class.lookup_field)
        )
    except FieldDoesNotExist:
        return str
    while field.is_relation and field.many_to_one:
        field = field.target_field
    if isinstance(field, (models.IntegerField, models.AutoField)):
        return int
    if isinstance(field, models.UUIDField):
        return uuid.UUID
    return str
