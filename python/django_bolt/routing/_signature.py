"""Signature analysis: a handler's parameters, read from its type hints and markers,
become the route's parameters, body, Request and WebSocket arguments and dependencies;
a signature that cannot be served fails here, at import."""

from __future__ import annotations

import datetime
import decimal
import enum
import inspect
import re
import types
import typing
import uuid
from collections.abc import Callable
from typing import Any

import msgspec

from .. import dependencies, pagination, serializers
from ..param_functions import Depends, File, ParamMarker
from ..uploads import UploadFile
from ..websocket import WebSocket
from ._route import Param, Route, RouteDefinitionError

#: Scalar types Rust reads from the request itself.
_SCALARS: dict[type, str] = {str: "str", int: "int", float: "float", bool: "bool"}
#: Types whose text format Rust checks; Python turns the checked text into the object.
_CONVERTED: dict[type, tuple[str, Callable[[str], Any]]] = {
    decimal.Decimal: ("decimal", decimal.Decimal),
    uuid.UUID: ("uuid", uuid.UUID),
    datetime.date: ("date", datetime.date.fromisoformat),
    datetime.datetime: ("datetime", datetime.datetime.fromisoformat),
    datetime.time: ("time", datetime.time.fromisoformat),
}
_PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE", "QUERY"}

#: Sources a msgspec.Struct parameter can be filled from, field by field.
_STRUCT_SOURCES = {"query", "header", "form"}
#: Sources read from the request body.
_FORM_SOURCES = {"form", "file"}

#: The value Rust hands over for an absent Struct field that has a default of its own.
_OMITTED = object()


def analyse(route: Route) -> Route:
    """Fill in the route's parameters from its handler's signature."""
    try:
        hints = typing.get_type_hints(route.handler, include_extras=True)
    except Exception as exc:
        raise RouteDefinitionError(f"{route.name}: cannot resolve type hints: {exc}") from exc
    path_names = set(_PATH_PARAM.findall(route.path))
    if route.response_model is None and hints.get("return") not in (None, inspect.Signature.empty):
        route.response_model = hints["return"]
    pagination.prepare_route(route)
    depended: list[tuple[str, Depends]] = []
    for param in inspect.signature(route.handler).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise RouteDefinitionError(f"{route.name}: *args and **kwargs cannot be filled")
        annotation = hints.get(param.name, str)
        if annotation is WebSocket or (
            route.websocket and param.name == "websocket" and param.name not in hints
        ):
            route.websocket_param = param.name
        elif dependencies.is_request(param, hints):
            route.request_param = param.name
        elif (depends := dependencies.depends_of(param, annotation)) is not None:
            depended.append((param.name, depends))
        else:
            _add_param(route, param, annotation, param.name in path_names)
    if route.websocket or route.websocket_param:
        _check_websocket(route, depended)
    _add_dependencies(route, depended, path_names)
    reads_form = any(p.source in _FORM_SOURCES for p in route.params)
    if reads_form and route.body_param is not None:
        raise RouteDefinitionError(
            f"{route.name}: a route reads either a JSON body or a form, not both"
        )
    if route.body_param is None and route.method in _BODY_METHODS and not reads_form:
        inferred = [
            p for p in route.params if p.source == "query" and p.marker is None and p.group is None
        ]
        route.body_fields = inferred
        route.params = [p for p in route.params if p not in inferred]
    missing = path_names - {p.name for p in route.params if p.source == "path"}
    if missing:
        raise RouteDefinitionError(
            f"{route.name}: path parameter(s) {sorted(missing)} are not arguments of the handler"
        )
    return route


def _add_dependencies(
    route: Route, depended: list[tuple[str, Depends]], path_names: set[str]
) -> None:
    """Declare the dependency graphs; their plain arguments become route parameters
    (shared with a handler argument of the same name)."""

    def read_value(param: inspect.Parameter, annotation: Any) -> None:
        known = {p.name for p in route.params} | {route.request_param}
        if route.body_param is not None:
            known.add(route.body_param[0])
        if param.name not in known:
            _add_param(route, param, annotation, param.name in path_names)

    for name, depends in depended:
        try:
            route.dependencies[name] = dependencies.declare(depends, read_value)
        except dependencies.DependencyError as exc:
            raise RouteDefinitionError(f"{route.name}: {exc}") from None


def _check_websocket(route: Route, depended: list[tuple[str, Depends]]) -> None:
    """A WebSocket handler is async, takes its WebSocket and reads no body."""
    if not route.websocket:
        raise RouteDefinitionError(
            f"{route.name}: a WebSocket parameter needs a route declared with @api.websocket"
        )
    if route.websocket_param is None:
        raise RouteDefinitionError(
            f"{route.name}: a WebSocket route needs a parameter annotated WebSocket"
        )
    if not route.is_async:
        raise RouteDefinitionError(f"{route.name}: a WebSocket handler must be `async def`")
    if depended:
        raise RouteDefinitionError(f"{route.name}: a WebSocket handler takes no Depends()")
    if any(p.source in _FORM_SOURCES for p in route.params):
        raise RouteDefinitionError(f"{route.name}: a WebSocket handler reads no form or file")
    if route.body_param is not None or route.request_param is not None:
        raise RouteDefinitionError(
            f"{route.name}: a WebSocket handler takes no body or Request; read headers, "
            "cookies and query parameters from its WebSocket or declare them as parameters"
        )


def _add_param(route: Route, param: inspect.Parameter, annotation: Any, in_path: bool) -> None:
    try:
        annotation, marker = _marker_of(param, annotation)
    except RouteDefinitionError as exc:
        raise RouteDefinitionError(f"{route.name}: {exc}") from None
    if marker is not None and marker.has_default:
        has_default, default = True, marker.default
    else:
        has_default = param.default is not param.empty and param.default is not marker
        default = param.default if has_default else None
    inner, optional = _unwrap_optional(annotation)
    if _is_upload(inner) or isinstance(marker, File):
        required = not has_default and not optional
        route.params.append(_file_param(route, param.name, inner, marker, required, default))
        return
    if marker is not None and marker.source != "body" and _is_struct(inner):
        if marker.source not in _STRUCT_SOURCES:
            raise RouteDefinitionError(
                f"{route.name}: a msgspec.Struct cannot be filled from {marker.source} values "
                f"({param.name!r}); use Query(), Header() or Form()"
            )
        route.params.extend(_struct_params(route, inner, marker.source, len(route.structs)))
        route.structs.append((param.name, _struct_builder(inner)))
        return
    if _is_struct(inner):
        if route.body_param is not None:
            raise RouteDefinitionError(f"{route.name}: only one parameter can be the JSON body")
        unsendable = serializers.required_read_only(inner)
        if unsendable:
            raise RouteDefinitionError(
                f"{route.name}: {inner.__name__} cannot be a request body: its read_only "
                f"field(s) {unsendable} have no default, and a client cannot send them"
            )
        route.body_param = (param.name, annotation)
        return
    multi = typing.get_origin(inner) is list and len(typing.get_args(inner)) == 1
    reading = _reading(typing.get_args(inner)[0] if multi else inner)
    if reading is None:
        raise RouteDefinitionError(
            f"{route.name}: parameter {param.name!r} has type {annotation!r}, which cannot "
            "be read from the request (use str, int, float, bool, Decimal, UUID, date, "
            "datetime, time, an Enum, a Literal, a list of one of these, or a msgspec.Struct body)"
        )
    kind = reading.pop("type")
    if marker is not None and marker.source == "body":
        raise RouteDefinitionError(f"{route.name}: Body() needs a msgspec.Struct ({param.name!r})")
    source = marker.source if marker is not None else ("path" if in_path else "query")
    if source == "path" and not in_path:
        raise RouteDefinitionError(
            f"{route.name}: {param.name!r} is not in the path {route.path!r}"
        )
    if multi and source not in ("query", "form"):
        raise RouteDefinitionError(
            f"{route.name}: only query and form parameters can be lists ({param.name!r})"
        )
    required = not has_default and not optional
    alias, constraints = (marker.alias, marker.constraints) if marker else (None, {})
    route.params.append(
        Param(
            param.name,
            source,
            kind,
            required,
            default,
            annotation,
            reading,
            marker=marker,
            multi=multi,
            alias=alias,
            constraints=constraints,
        )
    )


def _file_param(
    route: Route,
    name: str,
    annotation: Any,
    marker: ParamMarker | None,
    required: bool,
    default: Any,
) -> Param:
    """An ``UploadFile`` or ``list[UploadFile]`` argument (``File()`` is optional)."""
    if not _is_upload(annotation):
        raise RouteDefinitionError(
            f"{route.name}: File() parameter {name!r} must be an UploadFile or list[UploadFile]"
        )
    if marker is not None and marker.source != "file":
        raise RouteDefinitionError(f"{route.name}: {name!r} is an UploadFile; use File()")
    return Param(
        name,
        "file",
        "file",
        required,
        default,
        annotation,
        {"convert": UploadFile.from_part},
        marker=marker,
        multi=annotation is not UploadFile,
        alias=marker.alias if marker else None,
        constraints=marker.constraints if marker else {},
    )


def _struct_params(route: Route, struct: type, source: str, group: int) -> list[Param]:
    """One parameter per field of ``struct``, read from ``source`` under its encoded name."""
    hints = typing.get_type_hints(struct, include_extras=True)
    params = []
    for info in msgspec.structs.fields(struct):
        annotation, constraints = _with_meta(hints[info.name])
        inner, optional = _unwrap_optional(annotation)
        multi = typing.get_origin(inner) is list and len(typing.get_args(inner)) == 1
        reading = _reading(typing.get_args(inner)[0] if multi else inner)
        if reading is None or (multi and source == "header"):
            raise RouteDefinitionError(
                f"{route.name}: field {info.name!r} of {struct.__name__} has type "
                f"{annotation!r}, which cannot be read from {source} values"
            )
        kind = reading.pop("type")
        params.append(
            Param(
                info.name,
                source,
                kind,
                info.required and not optional,
                None if info.required else _OMITTED,
                annotation,
                reading,
                multi=multi,
                alias=info.encode_name,
                constraints=constraints,
                group=group,
            )
        )
    return params


def _with_meta(annotation: Any) -> tuple[Any, dict[str, Any]]:
    """The type without ``Annotated``, and the constraints of its ``msgspec.Meta``."""
    constraints: dict[str, Any] = {}
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *extras = typing.get_args(annotation)
        for meta in extras:
            if isinstance(meta, msgspec.Meta):
                for key in ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern"):
                    if getattr(meta, key) is not None:
                        constraints[key] = getattr(meta, key)
    return annotation, constraints


def _reading(annotation: Any) -> dict[str, Any] | None:
    """How Rust reads a value of ``annotation``, or None if it cannot."""
    if annotation in _SCALARS:
        return {"type": _SCALARS[annotation]}
    if annotation in _CONVERTED:
        kind, convert = _CONVERTED[annotation]
        return {"type": kind, "convert": convert}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return {"type": "choice", "choices": [(str(m.value), m) for m in annotation]}
    if typing.get_origin(annotation) is typing.Literal:
        return {"type": "choice", "choices": [(str(v), v) for v in typing.get_args(annotation)]}
    return None


def _marker_of(param: inspect.Parameter, annotation: Any) -> tuple[Any, ParamMarker | None]:
    """The type without ``Annotated``, and the marker from it or from the default."""
    extras: list[Any] = [param.default]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *more = typing.get_args(annotation)
        extras.extend(more)
    markers = [extra for extra in extras if isinstance(extra, ParamMarker)]
    return annotation, markers[-1] if markers else None


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _is_upload(annotation: Any) -> bool:
    return annotation is UploadFile or (
        typing.get_origin(annotation) is list and typing.get_args(annotation) == (UploadFile,)
    )


def _is_struct(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)


def _struct_builder(struct: type[msgspec.Struct]) -> Callable[..., msgspec.Struct]:
    """Build ``struct`` from fields Rust read and coerced; absent ones keep their defaults."""

    def build(**fields: Any) -> msgspec.Struct:
        return struct(**{k: v for k, v in fields.items() if v is not _OMITTED})

    return build
