"""``Serializer.subset(...)`` and ``.fields(set)``: a real class (a type for request
bodies, ``response_model`` and the schema) with some of a serializer's fields, where a
``SerializerView`` only filters output."""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from ._kind import SerializerClass


@functools.cache
def subset(
    root: SerializerClass, cls: SerializerClass, names: tuple[str, ...], name: str | None = None
) -> type:
    """``cls`` with only ``names``: a subclass of ``root`` (``Serializer``, whose
    ``subset`` and ``fields`` call this), not of ``cls``, so no other field comes along."""
    computed_methods = {method: slot for slot, method in cls.__computed_fields__.items()}
    infos = {
        info.name: info
        for info in msgspec.structs.fields(cls)
        if info.name not in cls.__computed_fields__
    }
    unknown = [n for n in names if n not in infos and n not in computed_methods]
    if unknown:
        raise ValueError(f"{cls.__name__} has no fields {unknown}")
    kept = [n for n in names if n in infos]
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": cls.__module__, "__annotations__": annotations}
    for field_name in kept:
        info = infos[field_name]
        annotations[field_name] = info.type
        renamed = info.encode_name if info.encode_name != field_name else None
        if not info.required:
            namespace[field_name] = msgspec.field(
                default=info.default, default_factory=info.default_factory, name=renamed
            )
        elif renamed:
            namespace[field_name] = msgspec.field(name=renamed)
    for method in (n for n in names if n in computed_methods):
        namespace[method] = getattr(cls, method)
    for attr, validated in _field_validators(cls).items():
        if set(validated) <= set(kept):
            namespace[attr] = _declared(cls, attr)
    namespace["Config"] = type(
        "Config",
        (),
        {
            "read_only": cls.__read_only__ & set(kept),
            "write_only": cls.__write_only__ & set(kept),
        },
    )
    made = type(name or f"{cls.__name__}Subset", (root,), namespace)
    made.__field_sources__ = {k: v for k, v in cls.__field_sources__.items() if k in kept}
    made.__doc__ = f"{cls.__name__} with {', '.join(names)}."
    return made


def _field_validators(cls: SerializerClass) -> dict[str, tuple[str, ...]]:
    """Each field validator's attribute name and the fields it checks."""
    found: dict[str, tuple[str, ...]] = {}
    for fields in cls.__field_validators__.values():
        for attr in fields:
            func = getattr(_declared(cls, attr), "__func__", None)
            found[attr] = getattr(func, "__validates_fields__", ())
    return found


def _declared(cls: type, attr: str) -> Any:
    """``attr`` as stored in the class body that defines it (the classmethod itself)."""
    for klass in cls.__mro__:
        if attr in vars(klass):
            return vars(klass)[attr]
    raise AttributeError(attr)
