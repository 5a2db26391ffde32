"""``SerializerView``: one serializer dumped with a subset of its fields, so a list
route and a detail route can share a class (``UserOut.only("id", "name")``,
``UserOut.exclude("email")``, ``UserOut.use("list")`` for ``Config.field_sets``).

A view filters output only: it is not a type, so it is no request body or
``response_model``; return what ``dump``/``dump_many`` give (plain dicts and lists).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import msgspec

from ._kind import SerializerClass
from .fields import default_of


class SerializerView:
    """A projection of ``serializer`` (see the module). ``only``, ``exclude`` and
    ``use`` return a new view, so they chain."""

    __slots__ = ("_keys", "serializer")

    def __init__(self, serializer: SerializerClass, keys: frozenset[str] | None = None) -> None:
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

    def dump(self, instance: Any, **options: bool) -> dict[str, Any]:
        """``instance.dump(...)`` with only this view's fields."""
        data = dump_instance(instance, **options)
        return {key: value for key, value in data.items() if key in self._keys}

    def dump_many(self, instances: Iterable[Any], **options: bool) -> list[dict[str, Any]]:
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


def _keys_by_name(cls: SerializerClass) -> dict[str, str]:
    """Attribute name (a computed field's method name) to JSON key. Write-only fields
    are named too: selecting one is no error, it is just never in any output."""
    keys = {}
    for info in msgspec.structs.fields(cls):
        keys[cls.__computed_fields__.get(info.name, info.name)] = info.encode_name
    return keys


def dump_instance(instance: Any, *, exclude_none: bool = False, exclude_defaults: bool = False):
    """What ``Serializer.dump`` returns, and what a view keeps some keys of: the output
    form, by JSON key, without ``None`` values or values equal to the field's default
    when asked."""
    data = msgspec.to_builtins(instance)
    if exclude_none:
        data = {key: value for key, value in data.items() if value is not None}
    if exclude_defaults:
        defaults = _encoded_defaults(type(instance))
        data = {
            key: value
            for key, value in data.items()
            if key not in defaults or defaults[key] != value
        }
    return data


@functools.cache
def _encoded_defaults(cls: SerializerClass) -> dict[str, Any]:
    """Each field's default in output form, by JSON key (fields with one)."""
    defaults = {}
    for info in msgspec.structs.fields(cls):
        if not info.required and (default := default_of(info)) is not msgspec.UNSET:
            defaults[info.encode_name] = msgspec.to_builtins(default)
    return defaults
