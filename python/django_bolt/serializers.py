"""``Serializer``: a ``msgspec.Struct`` with validators, read-only and write-only fields.

- ``@field_validator("a", "b")`` methods get ``(cls, value)`` and return the value to
  keep; ``@model_validator`` methods get the instance once every field is set. A
  ``ValueError`` from either is a validation error: a 422 naming the field when the
  Serializer is a request body.
- ``class Config: read_only = {...}`` fields are set by the server only: a value sent in
  a request body is ignored (the field keeps its default). ``write_only = {...}`` fields
  are read from input but never encoded: their value is kept out of the struct's slots,
  so no msgspec encoder (responses, ``msgspec.to_builtins``) and no ``repr`` sees it,
  while the attribute still reads it.
- ``from_model(instance)`` / ``from_queryset(queryset)`` (``afrom_queryset`` in async
  code) build instances from Django objects, reading their attributes.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import msgspec
import msgspec.inspect

__all__ = ["FieldValidationError", "Serializer", "field_validator", "model_validator"]

S = TypeVar("S", bound="Serializer")

#: True while a request body is decoded: read-only fields then drop what was sent.
_reading_input: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "bolt_reading_input", default=False
)


class FieldValidationError(ValueError):
    """A field validator refused ``field``'s value; msgspec keeps it as the cause of its
    ValidationError, so the 422 can name the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def field_validator(*fields: str) -> Callable[[Callable[..., Any]], classmethod]:
    """Validate (and possibly transform) ``fields``: ``def check(cls, value) -> value``."""

    def mark(func: Callable[..., Any]) -> classmethod:
        func.__validates_fields__ = fields  # type: ignore[attr-defined]
        return classmethod(func)

    return mark


def model_validator(func: Callable[..., Any]) -> Callable[..., Any]:
    """Validate the whole instance once its fields are set: ``def check(self)``."""
    func.__validates_model__ = True  # type: ignore[attr-defined]
    return func


class _SerializerMeta(msgspec.StructMeta):
    """Reads validators and ``Config`` when a Serializer class is made, so a typo in a
    field name fails at import. Fields are keyword-only in every subclass, so required and
    optional ones may come in any order."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kw: Any):
        kw.setdefault("kw_only", True)
        cls = super().__new__(mcls, name, bases, namespace, **kw)
        fields = set(cls.__struct_fields__)
        config = namespace.get("Config")
        cls.__read_only__ = _inherited(bases, "__read_only__") | _names(config, "read_only")
        cls.__write_only__ = _inherited(bases, "__write_only__") | _names(config, "write_only")
        cls.__field_validators__ = {}
        cls.__model_validators__ = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                func = getattr(value, "__func__", value)
                for field in getattr(func, "__validates_fields__", ()):
                    cls.__field_validators__.setdefault(field, {})[attr] = None
                if getattr(func, "__validates_model__", False):
                    cls.__model_validators__[attr] = None
        named = cls.__read_only__ | cls.__write_only__ | set(cls.__field_validators__)
        unknown = named - fields
        if unknown:
            raise TypeError(f"{name}: {sorted(unknown)} are not fields of the serializer")
        if cls.__write_only__:
            cls.__getattribute__ = _read_hidden
            cls.__setattr__ = _write_hidden
        return cls


def _inherited(bases: tuple[type, ...], attr: str) -> frozenset[str]:
    return frozenset().union(*(getattr(base, attr, frozenset()) for base in bases))


def _names(config: Any, attr: str) -> frozenset[str]:
    return frozenset(getattr(config, attr, ()))


def _read_hidden(self: Serializer, name: str) -> Any:
    value = msgspec.Struct.__getattribute__(self, name)
    if value is msgspec.UNSET and name in type(self).__write_only__:
        return msgspec.Struct.__getattribute__(self, "__dict__").get(name, value)
    return value


def _write_hidden(self: Serializer, name: str, value: Any) -> None:
    if name in type(self).__write_only__:
        msgspec.Struct.__getattribute__(self, "__dict__")[name] = value
        value = msgspec.UNSET
    msgspec.Struct.__setattr__(self, name, value)


class Serializer(msgspec.Struct, metaclass=_SerializerMeta, dict=True):
    """A msgspec Struct with validators and read-only/write-only fields (see the module)."""

    def __post_init__(self) -> None:
        cls = type(self)
        if cls.__read_only__ and _reading_input.get():
            for field in _read_only_fields(cls):
                setattr(self, field.name, _default_of(field))
        for field, validators in cls.__field_validators__.items():
            value = getattr(self, field)
            for validator in validators:
                try:
                    value = getattr(cls, validator)(value)
                except FieldValidationError:
                    raise
                except ValueError as exc:
                    raise FieldValidationError(field, str(exc)) from exc
            setattr(self, field, value)
        for validator in cls.__model_validators__:
            getattr(self, validator)()
        for field in cls.__write_only__:
            # Through __setattr__: the value moves out of the slot msgspec encodes.
            setattr(self, field, getattr(self, field))

    @classmethod
    def from_model(cls: type[S], instance: Any) -> S:
        """An instance from a Django model instance (or any object), attribute by field."""
        return msgspec.convert(instance, cls, from_attributes=True)

    @classmethod
    def from_queryset(cls: type[S], queryset: Iterable[Any]) -> list[S]:
        """One instance per object of ``queryset``; it is evaluated here, so call this
        from sync code (``afrom_queryset`` in async code)."""
        return [cls.from_model(instance) for instance in queryset]

    @classmethod
    async def afrom_queryset(cls: type[S], queryset: Any) -> list[S]:
        """``from_queryset`` for async code: the queryset is iterated asynchronously."""
        return [cls.from_model(instance) async for instance in queryset]


@functools.cache
def _read_only_fields(cls: type[Serializer]) -> list[msgspec.structs.FieldInfo]:
    return [f for f in msgspec.structs.fields(cls) if f.name in cls.__read_only__]


def _default_of(field: msgspec.structs.FieldInfo) -> Any:
    if field.default_factory is not msgspec.NODEFAULT:
        return field.default_factory()
    return field.default


def required_read_only(cls: type) -> list[str]:
    """Read-only fields of ``cls`` without a default: it cannot be a request body, since
    what a client sends for them is ignored."""
    if not (isinstance(cls, type) and issubclass(cls, Serializer)):
        return []
    return [field.name for field in _read_only_fields(cls) if field.required]


def input_decoder(body_type: Any) -> Callable[[bytes], Any]:
    """Decode a request body into ``body_type``, with read-only fields ignored."""
    decode = msgspec.json.Decoder(body_type).decode
    if not _makes_read_only(body_type):
        return decode

    def decode_input(body: bytes) -> Any:
        token = _reading_input.set(True)
        try:
            return decode(body)
        finally:
            _reading_input.reset(token)

    return decode_input


def _makes_read_only(body_type: Any) -> bool:
    """Whether decoding ``body_type`` can make a Serializer with read-only fields (only
    then is decoding marked as input, which costs a little)."""
    return any(getattr(cls, "__read_only__", ()) for cls in struct_classes([body_type]))


def struct_classes(types: Iterable[Any]) -> Iterator[type]:
    """Every Struct class ``types`` can hold, at any depth, each once."""
    pending, seen = list(msgspec.inspect.multi_type_info(list(types))), set()
    while pending:
        info = pending.pop()
        if id(info) in seen:
            continue
        seen.add(id(info))
        if isinstance(info, msgspec.inspect.StructType):
            yield info.cls
        for name in info.__struct_fields__:
            value = getattr(info, name)
            for item in value if isinstance(value, tuple) else (value,):
                item = item.type if isinstance(item, msgspec.inspect.Field) else item
                if isinstance(item, msgspec.inspect.Type):
                    pending.append(item)
