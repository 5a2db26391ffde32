"""``field(...)`` and ``@computed_field``: per-field options a Serializer class reads
when it is made (see ``base._SerializerMeta``), turned into plain msgspec fields so
decoding and encoding stay in msgspec's C code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

_UNSET: Any = msgspec.NODEFAULT


@dataclass(frozen=True, slots=True)
class FieldConfig:
    """What ``field(...)`` was given. ``source`` is the attribute path read by
    ``from_model`` (``"author.name"``); ``alias`` the JSON key in input and output;
    ``exclude`` keeps the field out of every output, like ``write_only``."""

    read_only: bool = False
    write_only: bool = False
    source: str | None = None
    alias: str | None = None
    default: Any = _UNSET
    default_factory: Callable[[], Any] | None = None
    description: str | None = None
    title: str | None = None
    examples: list[Any] | None = None
    deprecated: bool = False
    exclude: bool = False
    include_in_schema: bool = True

    def has_default(self) -> bool:
        return self.default is not _UNSET or self.default_factory is not None

    def get_default(self) -> Any:
        if self.default_factory is not None:
            return self.default_factory()
        if self.default is not _UNSET:
            return self.default
        raise ValueError("Field has no default value")

    def struct_field(self) -> Any:
        """The msgspec field (default and JSON name) standing for this one."""
        return msgspec.field(
            default=self.default,
            default_factory=self.default_factory or _UNSET,
            name=self.alias,
        )

    def schema_meta(self) -> msgspec.Meta | None:
        """Documentation keywords for the OpenAPI schema, if any were given."""
        extra = {"deprecated": True} if self.deprecated else None
        if not (self.description or self.title or self.examples or extra):
            return None
        return msgspec.Meta(
            description=self.description,
            title=self.title,
            examples=self.examples,
            extra_json_schema=extra,
        )


@dataclass(frozen=True, slots=True)
class FieldMarker:
    """The value ``field(...)`` puts in a class body; replaced when the class is made."""

    config: FieldConfig


def field(
    *,
    read_only: bool = False,
    write_only: bool = False,
    source: str | None = None,
    alias: str | None = None,
    default: Any = _UNSET,
    default_factory: Callable[[], Any] | None = None,
    description: str | None = None,
    title: str | None = None,
    examples: list[Any] | None = None,
    deprecated: bool = False,
    exclude: bool = False,
    include_in_schema: bool = True,
) -> Any:
    """Options of one serializer field, given as its default:
    ``id: int = field(read_only=True)``, ``email: str = field(source="email_address")``.
    Constraints belong in the type: ``Annotated[str, Meta(max_length=100)]``."""
    if default is not _UNSET and default_factory is not None:
        raise TypeError("field(): give default or default_factory, not both")
    if read_only and write_only:
        raise TypeError("field(): a field cannot be both read_only and write_only")
    return FieldMarker(
        FieldConfig(
            read_only=read_only,
            write_only=write_only,
            source=source,
            alias=alias,
            default=default,
            default_factory=default_factory,
            description=description,
            title=title,
            examples=examples,
            deprecated=deprecated,
            exclude=exclude,
            include_in_schema=include_in_schema,
        )
    )


def computed_field(func: Callable[[Any], Any] | None = None, *, alias: str | None = None) -> Any:
    """An output-only value derived from the instance: ``@computed_field def
    full_name(self) -> str``. It stays a method; its result is encoded under the
    method's name (or ``alias``) with the return annotation as its schema type."""

    def mark(method: Callable[[Any], Any]) -> Callable[[Any], Any]:
        method.__computed_field__ = alias or method.__name__  # type: ignore[attr-defined]
        return method

    return mark if func is None else mark(func)


def default_of(field: msgspec.structs.FieldInfo) -> Any:
    """A Struct field's default value (its factory's, called once more)."""
    if field.default_factory is not msgspec.NODEFAULT:
        return field.default_factory()
    return field.default
