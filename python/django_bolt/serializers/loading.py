"""Serializers built from Django objects, and the queries planned for them.

For a serializer and a model class, ``_reader`` compiles once what to read for each
field: an attribute (or ``field(source="a.b")`` path), a foreign key's id (a plain
field named like the relation reads ``author_id``, never the row), the ids of a many
relation, or a nested serializer over a relation. The same walk yields the lookups
that load those relations up front: ``select_related`` for forward foreign keys and
one-to-ones reached without crossing a many relation, ``prefetch_related`` for the
rest, so building from a queryset costs one query per relation, not one per row.

What is read becomes a dict by JSON key, which ``msgspec.convert`` turns into the
serializer at once, checking types and constraints, then running validators.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

import msgspec

from ._kind import SerializerClass
from .nested import relation_of

_MISSING = object()

# What an entry reads: a value, the ids of a many relation, one or many nested objects.
_VALUE, _IDS, _ONE, _MANY = range(4)


@dataclass(slots=True)
class _Entry:
    key: str  #: the JSON key
    path: tuple[str, ...]  #: attribute path from the object
    kind: int
    child: _Node | None = None


@dataclass(slots=True)
class _Node:
    serializer: SerializerClass
    entries: list[_Entry] = field(default_factory=list)
    #: Nothing but attributes named like the fields: msgspec reads them itself.
    plain: bool = True
    select: list[str] = field(default_factory=list)
    prefetch: list[str] = field(default_factory=list)


def build(cls: SerializerClass, instance: Any) -> Any:
    """``cls`` from one object (see ``Serializer.from_model``); a model instance gets
    the relations ``cls`` reads loaded first, one query per relation (those loaded
    already, by ``select_related`` or ``prefetch_related``, are not queried again)."""
    if _is_model(type(instance)):
        load(cls, [instance])
    return _build(cls, instance)


def build_many(cls: SerializerClass, objects: Iterable[Any]) -> list[Any]:
    """``cls`` from each object of a queryset or list, relations loaded up front."""
    return [_build(cls, instance) for instance in load(cls, objects)]


def _build(cls: SerializerClass, instance: Any) -> Any:
    if isinstance(instance, cls):
        return instance
    if isinstance(instance, dict):
        return msgspec.convert(instance, cls)
    node = _reader(cls, type(instance))
    if node.plain:
        return msgspec.convert(instance, cls, from_attributes=True)
    return msgspec.convert(_read(node, instance), cls)


def load(cls: SerializerClass, objects: Iterable[Any]) -> Iterable[Any]:
    """``objects`` with the relations ``cls`` reads loaded: a queryset gets
    ``select_related``/``prefetch_related`` before it is evaluated, a list of model
    instances ``prefetch_related_objects``."""
    models = sys.modules.get("django.db.models")
    if models is None:
        return objects
    if isinstance(objects, models.QuerySet):
        node = _reader(cls, objects.model)
        if node.select:
            objects = objects.select_related(*node.select)
        if node.prefetch:
            objects = objects.prefetch_related(*node.prefetch)
        return objects
    objects = list(objects)
    if objects and isinstance(objects[0], models.Model):
        node = _reader(cls, type(objects[0]))
        lookups = [*node.select, *node.prefetch]
        if lookups:
            models.prefetch_related_objects(objects, *lookups)
    return objects


def query_plan(cls: SerializerClass, model: type) -> tuple[list[str], list[str]]:
    """``(select_related, prefetch_related)`` lookups ``cls`` needs for ``model``."""
    node = _reader(cls, model)
    return list(node.select), list(node.prefetch)


def shape(result: Any, response_model: Any) -> Any:
    """A handler's result made ready for ``response_model``: a queryset, a list of
    model instances or one instance becomes serializer instances built as above
    (other results, and other response types, are left to ``msgspec.convert``)."""
    models = sys.modules.get("django.db.models")
    if models is None:
        return result
    target, many = _serializer_of(response_model)
    if target is None:
        return list(result) if isinstance(result, models.QuerySet) else result
    if many and (
        isinstance(result, models.QuerySet)
        or (type(result) is list and result and isinstance(result[0], models.Model))
    ):
        return build_many(target, result)
    if not many and isinstance(result, models.Model):
        return build(target, result)
    return list(result) if isinstance(result, models.QuerySet) else result


def _serializer_of(response_model: Any) -> tuple[SerializerClass | None, bool]:
    """The Serializer a response type is (``many`` False) or lists (True)."""
    try:
        return _cached_serializer_of(response_model)
    except TypeError:  # an unhashable annotation
        return _find_serializer(response_model)


def _find_serializer(response_model: Any) -> tuple[SerializerClass | None, bool]:
    many = get_origin(response_model) in (list, tuple, set, frozenset)
    inner = get_args(response_model)[0] if many and get_args(response_model) else response_model
    if isinstance(inner, SerializerClass):
        return inner, many
    return None, False


_cached_serializer_of = functools.cache(_find_serializer)


# ---- reading --------------------------------------------------------------------------


def _read(node: _Node, obj: Any) -> dict[str, Any]:
    data = {}
    for entry in node.entries:
        value = obj
        for name in entry.path:
            if value is None:
                break
            value = (
                value.get(name, _MISSING)
                if isinstance(value, dict)
                else getattr(value, name, _MISSING)
            )
            if value is _MISSING:
                break
        if value is _MISSING:
            continue  # the field keeps its default, or msgspec names it missing
        kind = entry.kind
        if kind == _ONE:
            value = None if value is None else _read_child(entry.child, value)
        elif kind == _MANY:
            value = [_read_child(entry.child, item) for item in _items(value)]
        elif kind == _IDS:
            value = [item.pk for item in _items(value)]
        data[entry.key] = value
    return data


def _read_child(node: _Node | None, obj: Any) -> Any:
    if node is None or isinstance(obj, node.serializer):
        return obj
    if isinstance(obj, dict):
        return obj
    return _read(node, obj)


def _items(value: Any) -> Iterable[Any]:
    """A related manager's objects (its prefetched cache when there is one)."""
    every = getattr(value, "all", None)
    return every() if callable(every) else value


# ---- compiling ------------------------------------------------------------------------


@functools.cache
def _reader(cls: SerializerClass, model: type | None) -> _Node:
    return _compile(cls, model if _is_model(model) else None, _Path())


@dataclass(frozen=True, slots=True)
class _Path:
    """Where a node is reached from the root serializer."""

    lookup: tuple[str, ...] = ()  #: relation names from the root model (empty: no model)
    under_many: bool = False  #: a many relation was crossed: lookups are prefetches
    serializers: tuple[type, ...] = ()  #: the serializers above
    followed: tuple[tuple[type, str], ...] = ()  #: nested fields followed, for max_depth


def _compile(cls: SerializerClass, model: type | None, where: _Path) -> _Node:
    """The reader of ``cls`` over ``model`` (None: any object) reached by ``where``."""
    node = _Node(cls)
    for info in msgspec.structs.fields(cls):
        if info.name in cls.__computed_fields__:
            continue  # computed by the instance itself
        path = tuple(cls.__field_sources__.get(info.name, info.name).split("."))
        steps, last = _model_steps(model, path)
        relation = relation_of(info.type)
        if relation is not None:
            entry = _nested_entry(cls, info, relation, path, last, where)
            if entry is None:
                continue
            _merge_child(node, entry.child)
        elif last is not None and _is_many(last):
            entry = _Entry(info.encode_name, path, _IDS)
        elif last is not None and _is_forward(last):
            # The id, read from the row itself: ``author`` reads ``author_id``.
            entry = _Entry(info.encode_name, (*path[:-1], last.attname), _VALUE)
            steps = steps[:-1]
        else:
            entry = _Entry(info.encode_name, path, _VALUE)
        _add_lookups(node, where, steps)
        node.entries.append(entry)
        if entry.kind != _VALUE or entry.path != (info.name,) or entry.key != info.name:
            node.plain = False
    return node


def _nested_entry(cls, info, relation, path, last, where: _Path) -> _Entry | None:
    options = relation.options
    limit = options.max_depth if options else None
    key = (cls, info.name)
    if limit is not None and where.followed.count(key) >= limit:
        if info.required:
            raise TypeError(
                f"{cls.__name__}.{info.name} stops at Nested(max_depth={limit}) but has no"
                " default: give it one (None or [])"
            )
        return None
    if limit is None and relation.serializer in (*where.serializers, cls):
        raise TypeError(
            f"{cls.__name__}.{info.name} nests {relation.serializer.__name__} inside itself:"
            " bound it with Annotated[..., Nested(max_depth=N)]"
        )
    related = getattr(last, "related_model", None) if last is not None else None
    child_where = _Path(
        (*where.lookup, *path) if _is_model(related) else (),
        where.under_many or _is_many(last),
        (*where.serializers, cls),
        (*where.followed, key),
    )
    child = _compile(relation.serializer, related if _is_model(related) else None, child_where)
    return _Entry(info.encode_name, path, _MANY if relation.many else _ONE, child)


def _model_steps(model: type | None, path: tuple[str, ...]) -> tuple[list[Any], Any]:
    """The model fields along ``path`` while they are fields (not properties), and the
    last one when the whole path is."""
    steps: list[Any] = []
    current = model
    for name in path:
        if current is None:
            return steps, None
        found = _fields_of(current).get(name)
        if found is None:
            return steps, None
        steps.append(found)
        current = found.related_model if found.is_relation else None
    return steps, steps[-1] if steps else None


def _add_lookups(node: _Node, where: _Path, steps: list[Any]) -> None:
    """Lookups loading the relations among ``steps`` (model fields from the node)."""
    names: list[str] = []
    many = where.under_many
    for step in steps:
        if not step.is_relation:
            break
        names.append(_accessor(step))
        many = many or _is_many(step)
        lookup = "__".join((*where.lookup, *names))
        target = node.prefetch if many else node.select
        if lookup not in target:
            target.append(lookup)


def _merge_child(node: _Node, child: _Node | None) -> None:
    """A nested node's lookups (already prefixed) into its parent's; a select under a
    many relation was routed to prefetch when compiled."""
    if child is None:
        return
    for lookup in child.select:
        if lookup not in node.select:
            node.select.append(lookup)
    for lookup in child.prefetch:
        if lookup not in node.prefetch:
            node.prefetch.append(lookup)


@functools.cache
def _fields_of(model: type) -> dict[str, Any]:
    """A model's fields and relations by the attribute that reads them (a reverse
    relation by its accessor, ``comments`` or ``comment_set``)."""
    fields = {}
    for found in model._meta.get_fields():
        if found.auto_created and not found.concrete and found.is_relation:
            name = found.get_accessor_name()
            if name:
                fields[name] = found
        else:
            fields[found.name] = found
    return fields


def _accessor(step: Any) -> str:
    if step.auto_created and not step.concrete:
        return step.get_accessor_name()
    return step.name


def _is_many(step: Any) -> bool:
    return bool(step is not None and step.is_relation and (step.many_to_many or step.one_to_many))


def _is_forward(step: Any) -> bool:
    return bool(step.is_relation and step.concrete and (step.many_to_one or step.one_to_one))


def _is_model(model: Any) -> bool:
    models = sys.modules.get("django.db.models")
    return models is not None and isinstance(model, type) and issubclass(model, models.Model)
