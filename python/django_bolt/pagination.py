"""Pagination: ``@paginate(PageNumberPagination)`` below a route decorator turns a
handler that returns a QuerySet (of models, ``values()`` dicts or ``values_list()``
rows) or a list (of dicts or objects) into one that answers one page of it.

The paginator's query parameters join the handler's signature, so Rust reads and checks
them like any typed parameter: ``?page=0`` is a 422 without calling Python. Counting and
slicing a QuerySet run in a thread, since the ORM is sync-only. The page is the
paginator's ``page_type`` (a generic ``msgspec.Struct``); the route's ``response_model``
(or return annotation) describes one item, or ``list[item]``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import inspect
import re
import typing
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Generic, TypeVar

import msgspec

from . import orm
from .exceptions import RequestValidationError
from .param_functions import Query
from .responses import Response

__all__ = [
    "CursorPage",
    "CursorPagination",
    "LimitOffsetPagination",
    "NumberedPage",
    "OffsetPage",
    "PageNumberPagination",
    "PaginatedResponse",
    "Pagination",
    "PaginationBase",
    "PaginationError",
    "paginate",
]

T = TypeVar("T")

#: A ``CursorPagination.ordering``: one field of the model, ``-`` for descending.
ORDERING = re.compile(r"-?[A-Za-z_][A-Za-z0-9_]*")

#: Prefix of the handler arguments the paginator's query parameters are passed as, so
#: they never collide with the handler's own.
_ARGUMENT_PREFIX = "_paginate_"
#: Every handler a route was declared with: ``@paginate`` above the route decorator
#: would wrap a function the route no longer looks at.
_routed: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


class PaginationError(TypeError):
    """What a handler returned cannot be paged as its paginator pages (a 500, logged
    with the route's name): a programming error, not the client's."""


class NumberedPage(msgspec.Struct, Generic[T]):
    """A page of ``PageNumberPagination``; ``total_pages`` is 0 for no items."""

    items: list[T]
    count: int
    page: int
    page_size: int
    total_pages: int
    has_next: bool
    has_previous: bool


class OffsetPage(msgspec.Struct, Generic[T]):
    """A page of ``LimitOffsetPagination``."""

    items: list[T]
    count: int
    limit: int
    offset: int
    has_next: bool
    has_previous: bool


class CursorPage(msgspec.Struct, Generic[T]):
    """A page of ``CursorPagination``: pass ``next_cursor`` back for the next page."""

    items: list[T]
    page_size: int
    has_next: bool
    next_cursor: str | None


class PaginatedResponse(msgspec.Struct, Generic[T], omit_defaults=True):
    """A page as the original django-bolt shaped every page, for handlers that build
    one themselves; the fields of another paging scheme are left out when unset. As
    a paginated route's return annotation, ``PaginatedResponse[Item]`` says the same as
    ``list[Item]``: the route answers its paginator's ``page_type``."""

    items: list[T]
    total: int
    has_next: bool
    has_previous: bool
    page: int | None = None
    page_size: int | None = None
    total_pages: int | None = None
    next_page: int | None = None
    previous_page: int | None = None
    limit: int | None = None
    offset: int | None = None
    next_cursor: str | None = None
    previous_cursor: str | None = None


class Pagination:
    """A way to cut a result into pages. Subclasses say which query parameters they
    read (``parameters``) and cut one page from them (``page``, run in a thread when
    the result is a QuerySet)."""

    page_type: ClassVar[type[msgspec.Struct]]

    def parameters(self) -> dict[str, tuple[Any, Any]]:
        """``{argument: (annotation, default)}`` of ``page``'s keyword arguments."""
        raise NotImplementedError

    def page(self, results: Any, **values: Any) -> msgspec.Struct:
        raise NotImplementedError


#: The base of the paginators under the original django-bolt's name (its subclasses
#: implement ``parameters``/``page`` here, see docs/compatibility.md).
PaginationBase = Pagination


class PageNumberPagination(Pagination):
    """``?page=2&page_size=50``: pages numbered from 1. ``page_size`` is the default
    size, capped at ``max_page_size`` (None: no cap); ``page_size_query_param = None``
    keeps clients from choosing it. A page past the end has no items."""

    page_type = NumberedPage
    page_size: int = 20
    max_page_size: int | None = 100
    page_query_param: str = "page"
    page_size_query_param: str | None = "page_size"

    def parameters(self) -> dict[str, tuple[Any, Any]]:
        params = {"page": (_positive_query(self.page_query_param), 1)}
        if self.page_size_query_param:
            params["page_size"] = (_positive_query(self.page_size_query_param), self.page_size)
        return params

    def page(self, results: Any, page: int, page_size: int | None = None) -> NumberedPage:
        size = _capped(page_size or self.page_size, self.max_page_size)
        count = _count(results)
        total_pages = -(-count // size)
        return NumberedPage(
            items=list(results[(page - 1) * size : page * size]),
            count=count,
            page=page,
            page_size=size,
            total_pages=total_pages,
            has_next=page < total_pages,
            has_previous=page > 1,
        )


class LimitOffsetPagination(Pagination):
    """``?limit=20&offset=40``: ``limit`` items after the first ``offset``. ``limit``
    defaults to ``default_limit`` and is capped at ``max_limit`` (None: no cap)."""

    page_type = OffsetPage
    default_limit: int = 20
    max_limit: int | None = 100
    limit_query_param: str = "limit"
    offset_query_param: str = "offset"

    def parameters(self) -> dict[str, tuple[Any, Any]]:
        return {
            "limit": (_positive_query(self.limit_query_param), self.default_limit),
            "offset": (Annotated[int, Query(alias=self.offset_query_param, ge=0)], 0),
        }

    def page(self, results: Any, limit: int, offset: int) -> OffsetPage:
        limit = _capped(limit, self.max_limit)
        count = _count(results)
        return OffsetPage(
            items=list(results[offset : offset + limit]),
            count=count,
            limit=limit,
            offset=offset,
            has_next=offset + limit < count,
            has_previous=offset > 0,
        )


class CursorPagination(Pagination):
    """``?cursor=...``: pages in ``ordering`` (a field name, ``-`` for descending), each
    after the last item of the previous one, so rows added meanwhile never shift a page.
    The primary key breaks ties, so the field need not be unique, but it must not be
    null. The cursor is opaque: URL-safe base64 of the last item's ordering value and
    primary key. Forward only.

    A QuerySet is ordered and filtered in the database, whatever its rows are: model
    instances, ``values()`` dicts or ``values_list()`` rows (named, positional or
    flat). The next cursor is read from the page's last row, so a ``values()`` or
    ``values_list()`` query must select the ordering field and the primary key (by
    field name, attribute name such as ``author_id``, or ``pk``). A list (of dicts or
    objects) is sorted in Python by the item's ``ordering`` key or attribute and its
    ``pk`` (else ``id``)."""

    page_type = CursorPage
    ordering: str = "-pk"
    page_size: int = 20
    max_page_size: int | None = 100
    cursor_query_param: str = "cursor"
    page_size_query_param: str | None = None

    def parameters(self) -> dict[str, tuple[Any, Any]]:
        params: dict[str, tuple[Any, Any]] = {
            "cursor": (Annotated[str | None, Query(alias=self.cursor_query_param)], None)
        }
        if self.page_size_query_param:
            params["page_size"] = (_positive_query(self.page_size_query_param), self.page_size)
        return params

    def __init__(self) -> None:
        # Checked when @paginate is applied, so a typo fails at import.
        if not ORDERING.fullmatch(self.ordering) or "__" in self.ordering:
            raise ValueError(
                f"{type(self).__name__}.ordering must name one field of the model, with '-' "
                f"for descending, not {self.ordering!r}"
            )

    def page(self, results: Any, cursor: str | None, page_size: int | None = None) -> CursorPage:
        size = _capped(page_size or self.page_size, self.max_page_size)
        if _is_queryset(results):
            items, position = self._queryset_page(results, cursor, size)
        else:
            items, position = self._list_page(results, cursor, size)
        has_next = len(items) > size
        items = items[:size]
        return CursorPage(
            items=items,
            page_size=size,
            has_next=has_next,
            next_cursor=_encode_cursor(position(items[-1])) if has_next else None,
        )

    def _queryset_page(
        self, results: Any, cursor: str | None, size: int
    ) -> tuple[list[Any], Callable[[Any], tuple[Any, Any]]]:
        """Up to ``size + 1`` rows after ``cursor``, and how to read a row's position."""
        field = _field(results.model, self.ordering.lstrip("-"))
        pk = results.model._meta.pk
        queryset = results.order_by(*self._keys(field, pk))
        if cursor is not None:
            position = self._decode(cursor, field, pk, results.db)
            queryset = queryset.filter(self._after(position, field, pk))
        row = _row_reader(results)

        def position_of(item: Any) -> tuple[Any, Any]:
            return self._read(row(item), [field.attname, field.name], field.name), self._read(
                row(item), [pk.attname, pk.name, "pk"], "the primary key"
            )

        return list(queryset[: size + 1]), position_of

    def _list_page(
        self, results: Sequence[Any], cursor: str | None, size: int
    ) -> tuple[list[Any], Callable[[Any], tuple[Any, Any]]]:
        """The list sorted by (ordering value, pk), cut after ``cursor``."""
        name = self.ordering.lstrip("-")
        by_pk = name in ("pk", "id")

        def position_of(item: Any) -> tuple[Any, Any]:
            key = self._read(item, _list_names(name), name)
            return key, key if by_pk else self._read(item, ["pk", "id"], "a pk or id")

        keyed = [(position_of(item), item) for item in results]
        descending = self.ordering.startswith("-")
        try:
            keyed.sort(key=lambda pair: pair[0], reverse=descending)
        except TypeError as exc:
            raise PaginationError(
                f"{type(self).__name__} cannot order the list by {self.ordering!r}: {exc}"
            ) from None
        if cursor is not None and keyed:
            after = self._decode_like(cursor, keyed[0][0])
            if descending:
                keyed = [pair for pair in keyed if pair[0] < after]
            else:
                keyed = [pair for pair in keyed if pair[0] > after]
        return [item for _, item in keyed[: size + 1]], position_of

    def _read(self, row: Any, names: list[str], what: str) -> Any:
        """The first of ``names`` a row (a mapping or an object) has; a clear error
        when it has none: the next cursor is made from it."""
        names = list(dict.fromkeys(names))  # a field's attname is often its name
        for name in names:
            if isinstance(row, Mapping):
                if name in row:
                    return row[name]
            elif hasattr(row, name):
                return getattr(row, name)
        raise PaginationError(
            f"{type(self).__name__} (ordering {self.ordering!r}) reads {what} of each item "
            f"to make the next cursor, and an item ({type(row).__name__}) has none of "
            f"{names}: select it in values()/values_list(), or page model instances"
        )

    def _keys(self, field: Any, pk: Any) -> list[str]:
        """The ordering, then the primary key in the same direction to break ties."""
        sign = "-" if self.ordering.startswith("-") else ""
        return [sign + field.name] + ([] if field is pk else [sign + pk.name])

    def _after(self, position: tuple[Any, Any], field: Any, pk: Any) -> Any:
        """The rows that come after ``position`` (a value and a primary key)."""
        from django.db.models import Q

        value, last_pk = position
        beyond = "lt" if self.ordering.startswith("-") else "gt"
        after = Q(**{f"{field.name}__{beyond}": value})
        if field is not pk:
            after |= Q(**{field.name: value, f"{pk.name}__{beyond}": last_pk})
        return after

    def _decode(self, cursor: str, field: Any, pk: Any, database: str) -> tuple[Any, Any]:
        from django.core.exceptions import ValidationError
        from django.db import connections

        connection = connections[database]
        try:
            value, last_pk = _decode_cursor(cursor)
            return _checked(field, value, connection), _checked(pk, last_pk, connection)
        except (*_BAD_CURSOR, ValidationError):
            raise self._invalid_cursor() from None

    def _decode_like(self, cursor: str, sample: tuple[Any, Any]) -> tuple[Any, Any]:
        """A list's cursor, its values of the types the items' are (``sample``)."""
        try:
            decoded = _decode_cursor(cursor)
            position = tuple(
                msgspec.convert(value, type(like), strict=False)
                for value, like in zip(decoded, sample, strict=True)
            )
            sorted([position, sample])  # a TypeError when they do not compare
            return position
        except (*_BAD_CURSOR, msgspec.ValidationError):
            raise self._invalid_cursor() from None

    def _invalid_cursor(self) -> RequestValidationError:
        return RequestValidationError(
            [
                {
                    "loc": ["query", self.cursor_query_param],
                    "msg": "Invalid cursor: pass back a next_cursor from an earlier page",
                    "type": "value_error",
                }
            ]
        )


def paginate(pagination_class: type[Pagination]) -> Callable[[Callable[..., Any]], Any]:
    """Answer one page of what the handler returns (a QuerySet or a list), cut by
    ``pagination_class``. Write it below the route decorator::

        @api.get("/users")
        @paginate(PageNumberPagination)
        async def list_users(request):
            return User.objects.all()
    """
    if not (isinstance(pagination_class, type) and issubclass(pagination_class, Pagination)):
        raise TypeError(f"paginate() takes a Pagination subclass, not {pagination_class!r}")
    paginator = pagination_class()

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        if handler in _routed:
            raise TypeError(
                f"@paginate({pagination_class.__name__}) is above the route decorator of "
                f"{handler.__qualname__}; write it below, so the route serves the pages"
            )
        return _paginated(handler, paginator)

    return decorate


def prepare_route(route: Any) -> None:
    """For every route as it is declared: remember its handler, and make a paginated
    route's ``response_model`` (one item, or ``list[item]``) the model of its pages."""
    try:
        _routed.add(route.handler)
    except TypeError:  # a callable without weak references is never a @paginate target
        pass
    paginator = getattr(route.handler, "__bolt_paginator__", None)
    if paginator is None or route.response_model is None:
        return
    item = route.response_model
    if typing.get_origin(item) is paginator.page_type:
        return
    if (
        typing.get_origin(item) in (list, Sequence, PaginatedResponse)
        and len(typing.get_args(item)) == 1
    ):
        item = typing.get_args(item)[0]
    route.response_model = paginator.page_type[item]


def _paginated(handler: Callable[..., Any], paginator: Pagination) -> Callable[..., Any]:
    """``handler`` with the paginator's parameters added to its signature, answering a
    page (as a dict, the form msgspec encodes fastest) of what it returns."""
    signature = inspect.signature(handler)
    declared = paginator.parameters()
    extra = [
        inspect.Parameter(
            _ARGUMENT_PREFIX + name,
            inspect.Parameter.KEYWORD_ONLY,
            default=default,
            annotation=annotation,
        )
        for name, (annotation, default) in declared.items()
    ]

    def split(kwargs: dict[str, Any]) -> dict[str, Any]:
        return {name: kwargs.pop(_ARGUMENT_PREFIX + name) for name in declared}

    route = f"{handler.__module__}.{handler.__qualname__}"

    if inspect.iscoroutinefunction(handler):

        async def paginated(*args: Any, **kwargs: Any) -> Any:
            values = split(kwargs)
            results = await handler(*args, **kwargs)
            if _is_queryset(results):
                from asgiref.sync import sync_to_async

                return await sync_to_async(_page)(paginator, results, values, route)
            return _page(paginator, results, values, route)

    else:

        def paginated(*args: Any, **kwargs: Any) -> Any:  # already in a worker thread
            values = split(kwargs)
            return _page(paginator, handler(*args, **kwargs), values, route)

    functools.update_wrapper(paginated, handler)
    paginated.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *extra]
    )
    paginated.__annotations__ = {
        **getattr(handler, "__annotations__", {}),
        **{param.name: param.annotation for param in extra},
    }
    paginated.__bolt_paginator__ = paginator  # type: ignore[attr-defined]
    return paginated


def _page(paginator: Pagination, results: Any, values: dict[str, Any], route: str) -> Any:
    if isinstance(results, Response):
        return results  # the handler answered by itself (an error, a redirect)
    if not (_is_queryset(results) or isinstance(results, (list, tuple))):
        raise PaginationError(
            f"{route}: a paginated handler returns a QuerySet or a list, "
            f"not {type(results).__name__}"
        )
    if _is_queryset(results) and not results.ordered:
        # Unordered pages may repeat or skip rows. Rows grouped by values() fields are
        # ordered by them: ordering by pk would split the groups.
        grouped = results.query.group_by is not None and results._fields
        results = results.order_by(*(results._fields if grouped else ["pk"]))
    try:
        return msgspec.structs.asdict(paginator.page(results, **values))
    except PaginationError as exc:
        raise PaginationError(f"{route}: {exc}") from None


def _positive_query(alias: str) -> Any:
    return Annotated[int, Query(alias=alias, ge=1)]


def _capped(size: int, limit: int | None) -> int:
    return size if limit is None else min(size, limit)


def _count(results: Any) -> int:
    return results.count() if _is_queryset(results) else len(results)


def _is_queryset(value: Any) -> bool:
    models = orm._models()
    return models is not None and isinstance(value, models.QuerySet)


def _field(model: Any, name: str) -> Any:
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _checked(field: Any, value: Any, connection: Any) -> Any:
    """A cursor's ``value`` as ``field`` holds it. What the query would fail on is
    refused here: a null, a value out of the field's or the database's range."""
    if value is None:
        raise ValueError("a cursor holds no nulls")
    value = field.to_python(value)
    field.run_validators(value)
    field.get_db_prep_value(value, connection)
    return value


#: What a cursor that is not one of ours fails with.
_BAD_CURSOR = (binascii.Error, ValueError, TypeError, OverflowError, msgspec.DecodeError)


def _encode_cursor(position: tuple[Any, Any]) -> str:
    try:
        encoded = msgspec.json.encode(list(position))
    except TypeError as exc:
        raise PaginationError(f"a cursor cannot hold {position!r}: {exc}") from None
    return base64.urlsafe_b64encode(encoded).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[Any, Any]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    return msgspec.json.decode(raw, type=tuple[Any, Any])


def _list_names(name: str) -> list[str]:
    """The keys a list's item may hold ``name`` under: ``pk`` is also ``id``."""
    return ["pk", "id"] if name == "pk" else [name]


def _row_reader(queryset: Any) -> Callable[[Any], Any]:
    """How to read fields of the queryset's rows by name: a model instance or a
    ``values()`` dict as it is, a ``values_list()`` row as a dict of its fields."""
    from django.db.models.query import (
        FlatValuesListIterable,
        NamedValuesListIterable,
        ValuesListIterable,
    )

    kind = queryset._iterable_class
    if kind is NamedValuesListIterable:
        return lambda row: row._asdict()
    if kind in (ValuesListIterable, FlatValuesListIterable):
        names = list(queryset._fields) or [f.attname for f in queryset.model._meta.concrete_fields]
        names += [n for n in queryset.query.annotation_select if n not in names]
        if kind is FlatValuesListIterable:
            return lambda row: {names[0]: row}
        return lambda row: dict(zip(names, row, strict=False))
    return lambda row: row
