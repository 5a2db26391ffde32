"""``Nested``: a serializer field holding another serializer (a foreign key, a
one-to-one) or a list of them (many-to-many, reverse foreign key).

A field typed ``AuthorOut``, ``AuthorOut | None`` or ``list[TagOut]`` is nested
already; ``Annotated[list[TagOut], Nested(TagOut, many=True, max_items=100)]`` adds
options: ``max_items`` bounds the list (a longer one is a validation error naming the
field, a 422 in a request body), ``max_depth`` bounds how many times ``from_model``
follows this field along one path (what a recursive serializer, a category and its
children, needs).
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from ._kind import SerializerClass


@dataclass(frozen=True, slots=True)
class Nested:
    """Options of a nested serializer field (see the module)."""

    serializer_class: Any = None
    many: bool = False
    max_depth: int | None = None
    max_items: int | None = None

    def __post_init__(self) -> None:
        target = self.serializer_class
        if target is not None and not isinstance(target, SerializerClass):
            raise TypeError(f"Nested() takes a Serializer class, not {target!r}")
        for name in ("max_depth", "max_items"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"Nested({name}=...) must be a positive integer, not {value!r}")


@dataclass(frozen=True, slots=True)
class Relation:
    """What a field's type says about nesting: the serializer, one or many, options."""

    serializer: type
    many: bool
    options: Nested | None


def relation_of(annotation: Any) -> Relation | None:
    """The nested serializer ``annotation`` holds, through ``Annotated``, ``| None`` and
    ``list[...]``; None for a plain field."""
    options, many = None, False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *metadata = get_args(annotation)
            options = next((m for m in metadata if isinstance(m, Nested)), options)
        elif origin in (Union, types.UnionType):
            kept = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(kept) != 1:
                return None
            annotation = kept[0]
        elif origin in (list, tuple, set, frozenset) and not many:
            args = get_args(annotation)
            if not args:
                return None
            annotation, many = args[0], True
        else:
            break
    if not isinstance(annotation, SerializerClass):
        return None
    if options is not None:
        if options.serializer_class not in (None, annotation):
            raise TypeError(
                f"Nested({options.serializer_class.__name__}) on a field typed "
                f"{annotation.__name__}: give the field the same serializer type"
            )
        if options.many and not many:
            raise TypeError("Nested(many=True) needs a list[...] field type")
    return Relation(annotation, many, options)
