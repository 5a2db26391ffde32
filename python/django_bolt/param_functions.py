"""Parameter markers: where a handler argument comes from, and its constraints.

Use them in ``Annotated[...]`` (``q: Annotated[str, Query(min_length=1)]``) or as the
default (``page: int = Query(1, ge=1)``). Path, query, header, cookie and form values are
read and checked in Rust; a failure is a 422 naming every failing field.
"""

from __future__ import annotations

from typing import Any

from .enums import FileSize

_UNSET: Any = ...


class ParamMarker:
    """Where a parameter is read from (``source``) and what it must satisfy."""

    source = ""

    def __init__(
        self,
        default: Any = _UNSET,
        *,
        alias: str | None = None,
        ge: float | None = None,
        gt: float | None = None,
        le: float | None = None,
        lt: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        description: str | None = None,
    ) -> None:
        self.default = default
        self.alias = alias
        self.constraints = {
            "ge": ge,
            "gt": gt,
            "le": le,
            "lt": lt,
            "min_length": min_length,
            "max_length": max_length,
            "pattern": pattern,
        }
        self.description = description

    @property
    def has_default(self) -> bool:
        return self.default is not _UNSET

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alias={self.alias!r})"


class Query(ParamMarker):
    source = "query"


class Path(ParamMarker):
    source = "path"


class Header(ParamMarker):
    """A request header; the name matches case-insensitively with ``_`` read as ``-``."""

    source = "header"


class Cookie(ParamMarker):
    source = "cookie"


class Body(ParamMarker):
    """The JSON body (a ``msgspec.Struct``), decoded and validated by msgspec."""

    source = "body"


class Form(ParamMarker):
    """A field of an urlencoded or multipart form body."""

    source = "form"


class Param(ParamMarker):
    """A marker naming its source: ``Param("query", "q")`` is ``Query(alias="q")``.
    For code that picks the source at run time; ``File()`` has its own arguments."""

    SOURCES = ("query", "path", "header", "cookie", "body", "form")

    def __init__(
        self, source: str, alias: str | None = None, default: Any = _UNSET, **constraints: Any
    ) -> None:
        if source not in self.SOURCES:
            choices = ", ".join(self.SOURCES)
            raise ValueError(f"Param source must be one of {choices}, not {source!r}")
        super().__init__(default, alias=alias, **constraints)
        self.source = source


class File(ParamMarker):
    """An uploaded file of a multipart form (``UploadFile`` or ``list[UploadFile]``).

    Checked in Rust while the body streams in: a file over ``max_size`` bytes is a 413,
    a content type outside ``allowed_types`` (``"image/*"`` matches any image) a 415,
    more than ``max_files`` files for this field a 422.
    """

    source = "file"

    def __init__(
        self,
        default: Any = _UNSET,
        *,
        max_size: int | None = None,
        allowed_types: list[str] | None = None,
        max_files: int | None = None,
        alias: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(default, alias=alias, description=description)
        self.constraints = {
            "max_size": None if max_size is None else int(max_size),
            "allowed_types": allowed_types,
            "max_files": max_files,
        }


class Depends:
    """The argument is what ``dependency`` returns (or yields), computed before the
    handler once per request; ``use_cache=False`` computes it at every use. Without a
    dependency, the annotated type is called. See ``django_bolt.dependencies``."""

    def __init__(self, dependency: Any = None, *, use_cache: bool = True) -> None:
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__qualname__", repr(self.dependency))
        return f"Depends({name}, use_cache={self.use_cache})"


__all__ = [
    "Body",
    "Cookie",
    "Depends",
    "File",
    "FileSize",
    "Form",
    "Header",
    "Param",
    "ParamMarker",
    "Path",
    "Query",
]
