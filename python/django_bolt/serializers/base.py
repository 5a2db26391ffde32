"""``Serializer``: a ``msgspec.Struct`` with validators, read-only and write-only fields,
``field(...)`` options and computed fields.

- ``@field_validator("a", "b")`` methods get ``(cls, value)`` and return the value to
  keep; ``@model_validator`` methods get the instance once every field is set. A
  ``ValueError`` from either is a validation error: a 422 naming the field when the
  Serializer is a request body.
- ``class Config: read_only = {...}`` fields are set by the server only: a value sent in
  a request body is ignored (the field keeps its default). ``write_only = {...}`` fields
  are read from input but never encoded: their value is kept out of the struct's slots,
  so no msgspec encoder (responses, ``msgspec.to_builtins``) and no ``repr`` sees it,
  while the attribute still reads it.
- ``field(source=..., alias=..., read_only=..., write_only=..., default=...)`` and
  ``@computed_field`` are read when the class is made (``fields.py``); nested
  serializers follow relations (``nested.py``).
- ``from_model(instance)`` / ``from_queryset(queryset)`` (``afrom_queryset`` in async
  code) build instances from Django objects (``loading.py``): a queryset gets the
  ``select_related``/``prefetch_related`` the serializer needs, so nested relations
  cost one query each, not one per row.
"""

from __future__ import annotations

import contextvars
import functools
import sys
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, TypeVar

import msgspec
import msgspec.inspect

from ..exceptions import FieldValidationError, RequestValidationError, msgspec_error_detail
from ._kind import SerializerClass
from .fields import FieldConfig, FieldMarker, default_of
from .loading import build, build_many
from .nested import Nested, relation_of
from .subsets import subset
from .view import SerializerView, dump_instance

__all__ = ["FieldValidationError", "Serializer", "field_validator", "model_validator"]

S = TypeVar("S", bound="Serializer")

#: True while a request body is decoded: read-only fields then drop what was sent.
_reading_input: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "bolt_reading_input", default=False
)


def field_validator(*fields: str) -> Callable[[Callable[..., Any]], classmethod]:
    """Validate (and possibly transform) ``fields``: ``def check(cls, value) -> value``."""

    def mark(func: Callable[..., Any]) -> classmethod:
        # ``@classmethod`` under the decorator (Pydantic's spelling) is accepted too.
        func = getattr(func, "__func__", func)
        func.__validates_fields__ = fields  # type: ignore[attr-defined]
        return classmethod(func)

    return mark


def model_validator(func: Callable[..., Any]) -> Callable[..., Any]:
    """Validate the whole instance once its fields are set: ``def check(self)``."""
    func.__validates_model__ = True  # type: ignore[attr-defined]
    return func


class _SerializerMeta(SerializerClass):
    """Reads ``field(...)``, ``@computed_field``, validators and ``Config`` when a
    Serializer class is made, so a typo in a field name fails at import. Fields are
    keyword-only in every subclass, so required and optional ones may come in any order."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kw: Any):
        kw.setdefault("kw_only", True)
        _expand_bare_nested(namespace)
        configs = _take_field_configs(namespace)
        computed = _add_computed_slots(namespace)
        cls = super().__new__(mcls, name, bases, namespace, **kw)
        fields = set(cls.__struct_fields__)
        config = namespace.get("Config") or _options_class(namespace.get("Meta"))
        cls.__read_only__ = (
            _inherited(bases, "__read_only__")
            | _names(config, "read_only")
            | {f for f, c in configs.items() if c.read_only}
            | set(computed)
        )
        cls.__write_only__ = (
            _inherited(bases, "__write_only__")
            | _names(config, "write_only")
            | {f for f, c in configs.items() if c.write_only or c.exclude}
        )
        cls.__field_sources__ = {
            **_inherited_map(bases, "__field_sources__"),
            **{f: c.source for f, c in configs.items() if c.source},
        }
        cls.__computed_fields__ = {**_inherited_map(bases, "__computed_fields__"), **computed}
        cls.__field_sets__ = {
            **_inherited_map(bases, "__field_sets__"),
            **dict(getattr(config, "field_sets", {})),
        }
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
        selectable = fields | {attr for attr in cls.__computed_fields__.values()}
        for set_name, members in cls.__field_sets__.items():
            if set(members) - selectable:
                raise TypeError(
                    f"{name}: field set {set_name!r} names {sorted(set(members) - selectable)},"
                    " which are not fields of the serializer"
                )
        if cls.__write_only__:
            cls.__getattribute__ = _read_hidden
            cls.__setattr__ = _write_hidden
        cls.__checks_items__ = any(_inherited_flags(bases, "__checks_items__")) or any(
            "Nested(" in (hint if isinstance(hint, str) else repr(hint))
            for hint in namespace.get("__annotations__", {}).values()
        )
        #: Nothing for ``__post_init__`` to do: instances cost what a plain Struct costs.
        cls.__plain_init__ = not (
            cls.__read_only__
            or cls.__write_only__
            or cls.__field_validators__
            or cls.__model_validators__
            or cls.__computed_fields__
            or cls.__checks_items__
        )
        return cls


def _inherited_flags(bases: tuple[type, ...], attr: str) -> list[bool]:
    return [getattr(base, attr, False) for base in bases]


def _options_class(meta: Any) -> Any:
    """A nested ``class Meta:`` (the original's spelling of ``Config``), not msgspec's."""
    return meta if isinstance(meta, type) else None


def _expand_bare_nested(namespace: dict[str, Any]) -> None:
    """``author: Nested(AuthorOut)`` (the original's older spelling, a value used as a
    type) becomes ``Annotated[AuthorOut, Nested(AuthorOut)]`` (``list[...]`` with
    ``many=True``)."""
    annotations = namespace.get("__annotations__", {})
    for attr, hint in annotations.items():
        if isinstance(hint, str):
            if not hint.startswith("Nested("):
                continue
            hint = _evaluate(hint, namespace)
        if isinstance(hint, Nested) and hint.serializer_class is not None:
            target = hint.serializer_class
            annotations[attr] = Annotated[list[target] if hint.many else target, hint]


def _evaluate(hint: str, namespace: dict[str, Any]) -> Any:
    """A postponed annotation evaluated in the class's module (and body), or the string
    itself when it names what is not defined yet."""
    module = sys.modules.get(namespace.get("__module__", ""))
    try:
        return eval(hint, vars(module) if module else {}, dict(namespace))  # noqa: S307
    except Exception:
        return hint


def _take_field_configs(namespace: dict[str, Any]) -> dict[str, FieldConfig]:
    """Replace each ``field(...)`` default by the msgspec field it stands for; the
    documentation keywords go into the annotation as a ``Meta``."""
    configs = {}
    annotations = namespace.setdefault("__annotations__", {})
    for attr, value in list(namespace.items()):
        if not isinstance(value, FieldMarker):
            continue
        config = configs[attr] = value.config
        namespace[attr] = config.struct_field()
        meta = config.schema_meta()
        if meta is not None and attr in annotations:
            annotations[attr] = _annotate(annotations[attr], meta, namespace)
    return configs


def _annotate(annotation: Any, meta: msgspec.Meta, namespace: dict[str, Any]) -> Any:
    """``Annotated[annotation, meta]``. A postponed (string) annotation is evaluated in
    the class's module first; one naming what is not defined yet (a forward reference)
    is left as it is, without the documentation."""
    if isinstance(annotation, str):
        annotation = _evaluate(annotation, namespace)
        if isinstance(annotation, str):
            return annotation
    return Annotated[annotation, meta]


def _add_computed_slots(namespace: dict[str, Any]) -> dict[str, str]:
    """For each ``@computed_field`` method, a hidden struct field that holds its result
    (so msgspec encodes it under the method's name or alias); the method stays callable.
    Returns ``{slot: method name}``."""
    computed = {}
    annotations = namespace.setdefault("__annotations__", {})
    for attr, value in list(namespace.items()):
        key = getattr(value, "__computed_field__", None)
        if key is None:
            continue
        slot = f"_computed_{attr}"
        try:
            returns = typing.get_type_hints(value).get("return", Any)
        except Exception:  # an annotation naming what is not importable yet
            returns = Any
        annotations[slot] = Any if returns is Any else returns | msgspec.UnsetType
        namespace[slot] = msgspec.field(default=msgspec.UNSET, name=key)
        computed[slot] = attr
    return computed


def _inherited_map(bases: tuple[type, ...], attr: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for base in reversed(bases):
        merged.update(getattr(base, attr, {}))
    return merged


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
    """A msgspec Struct with validators, field options and computed fields (see the
    module)."""

    def __post_init__(self) -> None:
        cls = type(self)
        if cls.__plain_init__:
            return
        if cls.__read_only__ and _reading_input.get():
            for field in _read_only_fields(cls):
                setattr(self, field.name, default_of(field))
        if cls.__checks_items__:
            for field, limit in _item_limits(cls):
                value = getattr(self, field)
                if value is not None and value is not msgspec.UNSET and len(value) > limit:
                    raise FieldValidationError(field, f"Expected at most {limit} items")
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
        if cls.__computed_fields__:
            self.refresh_computed()

    def refresh_computed(self) -> None:
        """Compute the ``@computed_field`` values again (they are computed when the
        instance is made; call this after changing the fields they read)."""
        for slot, method in type(self).__computed_fields__.items():
            setattr(self, slot, getattr(self, method)())

    # ---- building from Django objects ---------------------------------------------

    @classmethod
    def from_model(cls: type[S], instance: Any) -> S:
        """An instance from a Django model instance (or any object, or a dict): each
        field read from its attribute, its ``source`` path, or its relation (nested
        serializers; a many relation is read through ``.all()``). Relations not loaded
        yet are queried on access: load many at once with ``from_queryset``."""
        return build(cls, instance)

    @classmethod
    async def afrom_model(cls: type[S], instance: Any) -> S:
        """``from_model`` for async code: run in Django's async ORM thread, so reading a
        relation not loaded yet queries instead of raising ``SynchronousOnlyOperation``."""
        from asgiref.sync import sync_to_async

        return await sync_to_async(cls.from_model)(instance)

    @classmethod
    def from_queryset(cls: type[S], queryset: Iterable[Any]) -> list[S]:
        """One instance per object of ``queryset``, with the ``select_related`` and
        ``prefetch_related`` this serializer needs (a list of model instances gets the
        same relations through ``prefetch_related_objects``). The queryset is evaluated
        here, so call this from sync code (``afrom_queryset`` in async code)."""
        return build_many(cls, queryset)

    @classmethod
    async def afrom_queryset(cls: type[S], queryset: Any) -> list[S]:
        """``from_queryset`` for async code, run in Django's async ORM thread."""
        from asgiref.sync import sync_to_async

        return await sync_to_async(cls.from_queryset)(queryset)

    # ---- validating input ---------------------------------------------------------

    @classmethod
    def model_validate(cls: type[S], data: Any) -> S:
        """``data`` (a dict, or an object with the fields as attributes) checked and made
        into an instance as a request body would be: types, constraints, validators,
        read-only fields ignored. Failing, a ``RequestValidationError`` (a 422 if it
        propagates from a handler) locating the first error."""
        if isinstance(data, cls):
            return data
        return _validating(cls, msgspec.convert, data, from_attributes=not isinstance(data, dict))

    @classmethod
    def model_validate_json(cls: type[S], data: bytes | str) -> S:
        """``model_validate`` of a JSON document (invalid JSON is located by line and
        column, as for a request body)."""
        return _validating(cls, msgspec.json.decode, data, type=cls)

    # ---- output ----------------------------------------------------------------------

    def dump(self, *, exclude_none: bool = False, exclude_defaults: bool = False) -> dict:
        """The output form: JSON-ready values by JSON key, computed fields included,
        write-only fields left out."""
        return dump_instance(self, exclude_none=exclude_none, exclude_defaults=exclude_defaults)

    @classmethod
    def dump_many(cls, instances: Iterable[Serializer], **options: bool) -> list[dict]:
        """``dump()`` of each instance."""
        return [dump_instance(instance, **options) for instance in instances]

    def to_dict(self) -> dict[str, Any]:
        """The input form: every field set, by attribute name, write-only ones included
        (what ``Model.objects.create(**data.to_dict())`` needs); computed fields and
        fields left ``UNSET`` (a partial update) are not."""
        computed = type(self).__computed_fields__
        return {
            name: value
            for name in self.__struct_fields__
            if name not in computed and (value := getattr(self, name)) is not msgspec.UNSET
        }

    def to_model(self, model: type) -> Any:
        """An unsaved ``model`` instance from ``to_dict()``."""
        return model(**self.to_dict())

    def update_instance(self, instance: Any) -> Any:
        """Set each field of ``to_dict()`` on ``instance`` (unsaved); returns it."""
        for name, value in self.to_dict().items():
            setattr(instance, name, value)
        return instance

    # ---- projections -------------------------------------------------------------------

    @classmethod
    def subset(cls, *names: str) -> Any:
        """A new Serializer class with only ``names`` (fields or computed fields), their
        types, defaults, JSON names, sources, read/write-only marks and the field
        validators that check only kept fields. Model validators are not carried over
        (they may read a field left out). The same names give the same class."""
        return subset(Serializer, cls, tuple(names))

    @classmethod
    def fields(cls, field_set: str) -> Any:
        """``subset`` of ``Config.field_sets[field_set]``, named ``{Cls}{FieldSet}``."""
        if field_set not in cls.__field_sets__:
            raise KeyError(f"{cls.__name__} has no field set {field_set!r}")
        name = cls.__name__ + field_set.title().replace("_", "")
        return subset(Serializer, cls, tuple(cls.__field_sets__[field_set]), name)

    @classmethod
    def from_parent(cls: type[S], instance: Any) -> S:
        """An instance of this (subset) class from an instance of the full serializer."""
        return cls.from_model(instance)

    @classmethod
    def only(cls, *names: str) -> Any:
        """A ``SerializerView`` dumping only ``names`` (fields or computed fields)."""
        return SerializerView(cls).only(*names)

    @classmethod
    def exclude(cls, *names: str) -> Any:
        """A ``SerializerView`` dumping every field but ``names``."""
        return SerializerView(cls).exclude(*names)

    @classmethod
    def use(cls, field_set: str) -> Any:
        """A ``SerializerView`` dumping the fields of ``Config.field_sets[field_set]``."""
        return SerializerView(cls).use(field_set)


def _validating(cls: type, function: Callable[..., Any], data: Any, **options: Any) -> Any:
    token = _reading_input.set(True)
    try:
        if "type" in options:
            return function(data, **options)
        return function(data, cls, **options)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raw = data.encode() if isinstance(data, str) else data
        body = raw if isinstance(raw, bytes) else b""
        raise RequestValidationError([msgspec_error_detail(exc, body)], body=data) from None
    finally:
        _reading_input.reset(token)


@functools.cache
def _item_limits(cls: type[Serializer]) -> tuple[tuple[str, int], ...]:
    """``(field, max_items)`` for each ``Nested(max_items=...)`` field; read on first
    use, when msgspec has resolved the annotations."""
    limits = []
    for info in msgspec.structs.fields(cls):
        relation = relation_of(info.type)
        if relation and relation.options and relation.options.max_items:
            limits.append((info.name, relation.options.max_items))
    return tuple(limits)


@functools.cache
def _read_only_fields(cls: type[Serializer]) -> list[msgspec.structs.FieldInfo]:
    return [f for f in msgspec.structs.fields(cls) if f.name in cls.__read_only__]


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
