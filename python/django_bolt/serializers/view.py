"""``SerializerView``: one serializer dumped with a subset of its fields, so a list
route and a detail route can share a class (``UserOut.only("id", "name")``,
``UserOut.exclude("email")``, ``UserOut.use("list")`` for ``Config.field_sets``).

A view filters output only: it is not a type, so it is no request body or
``response_model``; return what ``dump``/``dump_many`` give (plain dicts and lists).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from .base import Serializer, _dump


class SerializerView:
    """A projection of ``serializer`` (see the module). ``only``, ``exclude`` and
    ``use`` return a new view, so they chain."""

    __slots__ = ("_keys", "serializer")

    def __init__(self, serializer: type[Serializer], keys: frozenset[str] | None = None) -> None:
        self.serializer = serializer
        #: JSON keys kept, in the serializer's field order.
        self._keys = frozenset(_keys_by_name(serializer).values()) if keys is None else keys

    def only(self, *names: str) -> SerializerView:
        return SerializerView(self.serializer, self._keys & self._resolve(names))

    def exclude(self, *names: str) -> SerializerView:
        return SerializerView(self.serializer, self._keys - self._resolve(names))

    def use(self, field_set: str) -> SerializerView:
        sets = self.serializer.__field_sets__
        if field_set not in sets:
            known = ", ".join(sorted(sets)) or "none"
            raise KeyError(
                f"{self.serializer.__name__} has no field set {field_set!r} (Config.field_sets:"
                f" {known})"
            )
        return self.only(*sets[field_set])

    def dump(self, instance: Serializer, **options: bool) -> dict[str, Any]:
        """``instance.dump(...)`` with only this view's fields."""
        data = _dump(instance, **options)
        return {key: value for key, value in data.items() if key in self._keys}

    def dump_many(self, instances: Iterable[Serializer], **options: bool) -> list[dict[str, Any]]:
        return [self.dump(instance, **options) for instance in instances]

    def from_model(self, instance: Any) -> dict[str, Any]:
        """The view of ``serializer.from_model(instance)``."""
        return self.dump(self.serializer.from_model(instance))

    def from_queryset(self, queryset: Iterable[Any]) -> list[dict[str, Any]]:
        """The view of each of ``serializer.from_queryset(queryset)``."""
        return self.dump_many(self.serializer.from_queryset(queryset))

    @property
    def field_names(self) -> list[str]:
        """The attribute names of the output fields this view keeps, in field order."""
        hidden = self.serializer.__write_only__
        return [
            name
            for name, key in _keys_by_name(self.serializer).items()
            if key in self._keys and name not in hidden
        ]

    def _resolve(self, names: Iterable[str]) -> frozenset[str]:
        keys = _keys_by_name(self.serializer)
        unknown = [name for name in names if name not in keys]
        if unknown:
            raise ValueError(f"{self.serializer.__name__} has no fields {unknown}")
        return frozenset(keys[name] for name in names)

    def __repr__(self) -> str:
        return f"SerializerView({self.serializer.__name__}, {self.field_names})"


def _keys_by_name(cls: type[Serializer]) -> dict[str, str]:
    """Attribute name (a computed field's method name) to JSON key. Write-only fields
    are named too: selecting one is no error, it is just never in any output."""
    keys = {}
    for info in msgspec.structs.fields(cls):
        keys[cls.__computed_fields__.get(info.name, info.name)] = info.encode_name
    return keys
