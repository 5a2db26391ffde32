"""JSON Schemas of the types a document names, made by msgspec all at once so that each
Struct, Serializer and Enum becomes one shared component referenced with ``$ref``."""

from __future__ import annotations

from typing import Any

import msgspec

from ..serializers import Serializer, struct_classes

REF_TEMPLATE = "#/components/schemas/{name}"


class Schemas:
    """Collects types while the document is built; ``components()`` then fills in
    every schema handed out."""

    def __init__(self) -> None:
        self._types: list[Any] = []
        #: For each type: the dict handed out, and keywords it adds to the type's schema.
        self._slots: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def of(self, annotation: Any, **extra: Any) -> dict[str, Any]:
        """The schema of ``annotation`` plus ``extra`` keywords (filled in later). A type
        msgspec cannot describe (a Django model, ``QuerySet``) gets just ``extra``."""
        slot = dict(extra)
        if _describable(annotation):
            self._types.append(annotation)
            self._slots.append((slot, extra))
        return slot

    def components(self) -> dict[str, Any]:
        """Fill in every schema handed out; the shared components they reference."""
        serializers = [
            cls
            for cls in dict.fromkeys(struct_classes(self._types))
            # A generic Struct's parameterised alias (a page of items) is not a class.
            if isinstance(cls, type)
            and issubclass(cls, Serializer)
            and (cls.__read_only__ or cls.__write_only__)
        ]
        schemas, components = msgspec.json.schema_components(
            [*self._types, *serializers], ref_template=REF_TEMPLATE
        )
        for (slot, extra), schema in zip(self._slots, schemas[: len(self._types)], strict=True):
            slot.clear()
            slot.update(schema, **extra)
        for cls, reference in zip(serializers, schemas[len(self._types) :], strict=True):
            _mark_access(cls, components[reference["$ref"].rsplit("/", 1)[1]])
        return components


def _describable(annotation: Any) -> bool:
    try:
        msgspec.json.schema(annotation)
    except (TypeError, ValueError):
        return False
    return True


def _mark_access(cls: type[Serializer], schema: dict[str, Any]) -> None:
    """Read-only fields are ignored in requests, write-only ones left out of responses."""
    properties = schema.get("properties", {})
    for info in msgspec.structs.fields(cls):
        if info.encode_name not in properties:
            continue
        if info.name in cls.__read_only__:
            properties[info.encode_name]["readOnly"] = True
        if info.name in cls.__write_only__:
            properties[info.encode_name]["writeOnly"] = True
