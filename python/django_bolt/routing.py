"""Turning a handler's signature into the route description Rust validates and runs.

Path, query, header and cookie values are read and coerced in Rust; Python keeps only
what needs Python: decoding a JSON body with msgspec and shaping the response.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import inspect
import logging
import re
import traceback
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from ._core import Request
from .compression import CompressionConfig
from .exceptions import HTTPException, RequestValidationError
from .param_functions import NOT_YET_SERVED, Depends, ParamMarker
from .responses import Response, StreamingResponse, Wire

logger = logging.getLogger("django_bolt")

#: Scalar types Rust reads from the request itself.
SCALARS: dict[type, str] = {str: "str", int: "int", float: "float", bool: "bool"}
#: Types whose text format Rust checks; Python turns the checked text into the object.
CONVERTED: dict[type, tuple[str, Callable[[str], Any]]] = {
    decimal.Decimal: ("decimal", decimal.Decimal),
    uuid.UUID: ("uuid", uuid.UUID),
    datetime.date: ("date", datetime.date.fromisoformat),
    datetime.datetime: ("datetime", datetime.datetime.fromisoformat),
    datetime.time: ("time", datetime.time.fromisoformat),
}
PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

JSON_ERROR_LOCATION = re.compile(r" - at `\$(.*)`$")
MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")

_encoder = msgspec.json.Encoder()


class RouteDefinitionError(TypeError):
    """A handler's signature cannot be served as declared."""


@dataclass
class Param:
    name: str
    source: str  # "path" | "query"
    type: str
    required: bool
    default: Any = None
    annotation: Any = None
    #: How Rust reads it beyond ``type``: a converter and/or the accepted choices.
    reading: dict[str, Any] = field(default_factory=dict)

    #: Declared with a marker (Query(), Header(), ...), not inferred.
    marker: ParamMarker | None = None
    #: ``list[T]``: every occurrence in the query string.
    multi: bool = False

    def describe(self) -> dict[str, Any]:
        described = {
            "name": self.name,
            "source": self.source,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "multi": self.multi,
            **self.reading,
        }
        if self.marker is not None:
            described["alias"] = self.marker.alias
            described.update(self.marker.constraints)
        return described


@dataclass
class Route:
    """One route as declared, analysed at decoration time so mistakes fail at import."""

    method: str
    path: str
    handler: Callable[..., Any]
    status_code: int = 200
    response_model: Any = None
    tags: list[str] = field(default_factory=list)
    summary: str | None = None
    description: str | None = None
    params: list[Param] = field(default_factory=list)
    body_param: tuple[str, type] | None = None
    validate_response: bool = True
    #: The argument that receives the Request, if any.
    request_param: str | None = None
    #: The API's compression; a ``@no_compress`` handler is never compressed.
    compression: CompressionConfig | None = None

    #: Scalars of a POST/PUT/PATCH/DELETE handler without a Struct body: read from a
    #: JSON object body when one is sent, from the query string otherwise.
    body_fields: list[Param] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__qualname__}"

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)

    def describe(self, debug: bool = False) -> dict[str, Any]:
        """The description handed to Rust's RouteTable."""
        return {
            "method": self.method,
            "path": self.path,
            "name": self.name,
            "handler": self.handler,
            "is_async": self.is_async,
            "params": [p.describe() for p in self.params],
            "body_loader": self._body_loader(),
            "body_loader_reads_query": bool(self.body_fields),
            "request_param": self.request_param,
            "status_code": self.status_code,
            "encode": None if self.response_model is not None else _encoder.encode,
            "finalize": self._finalize,
            "on_error": _ErrorHandler(self.name, debug),
            "compression": self._compression(),
        }

    def _compression(self) -> dict[str, Any] | None:
        # Read when the table is built: @no_compress may sit above the route decorator.
        if self.compression is None or getattr(self.handler, "__bolt_no_compress__", False):
            return None
        return self.compression.describe()

    def _body_loader(self) -> Callable[..., dict[str, Any]] | None:
        if self.body_fields:
            return _fields_loader(self.handler.__name__, self.body_fields)
        if self.body_param is None:
            return None
        name, body_type = self.body_param
        decoder = msgspec.json.Decoder(body_type)

        def load(body: bytes) -> dict[str, Any]:
            if not body:
                raise RequestValidationError(
                    [{"loc": ["body"], "msg": "A JSON body is required", "type": "missing"}]
                )
            try:
                return {name: decoder.decode(body)}
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                raise RequestValidationError([_body_error(exc)]) from None

        return load

    def _finalize(self, result: Any) -> Wire | StreamingResponse:
        if isinstance(result, StreamingResponse):
            return result  # Rust streams it from a Task of its own
        if isinstance(result, Response):
            return result.to_wire()
        if self.response_model is not None and self.validate_response:
            result = msgspec.convert(result, self.response_model, from_attributes=True)
        return self.status_code, [("content-type", "application/json")], _encoder.encode(result)


def _fields_loader(name: str, fields: list[Param]) -> Callable[[bytes, bytes], dict[str, Any]]:
    spec = [
        (p.name, p.annotation) if p.required else (p.name, p.annotation, p.default) for p in fields
    ]
    struct = msgspec.defstruct(f"{name}_fields", spec, kw_only=True)
    decoder = msgspec.json.Decoder(struct)
    names = [p.name for p in fields]

    def load(body: bytes, query: bytes) -> dict[str, Any]:
        location = "body" if body else "query"
        try:
            if body:
                values = decoder.decode(body)
            else:
                pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
                values = msgspec.convert(dict(pairs), struct, strict=False)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise RequestValidationError([_body_error(exc, location)]) from None
        return {name: getattr(values, name) for name in names}

    return load


def _body_error(exc: msgspec.MsgspecError, location: str = "body") -> dict[str, Any]:
    message = str(exc)
    loc: list[str | int] = [location]
    match = JSON_ERROR_LOCATION.search(message)
    if match:
        message = message[: match.start()]
        for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", match.group(1)):
            loc.append(part[0] if part[0] else int(part[1]))
    missing = MISSING_FIELD.search(message)
    if missing:
        loc.append(missing.group(1))
    kind = "validation_error" if isinstance(exc, msgspec.ValidationError) else "json_invalid"
    return {"loc": loc, "msg": message, "type": kind}


class _ErrorHandler:
    """Turns an exception from a handler into the response to send."""

    def __init__(self, route_name: str, debug: bool) -> None:
        self.route_name = route_name
        self.debug = debug

    def __call__(self, exc: BaseException) -> Wire:
        if isinstance(exc, HTTPException):
            headers = [*exc.headers.items(), ("content-type", "application/json")]
            return exc.status_code, headers, _encoder.encode({"detail": exc.detail})
        logger.error("Exception in route %s", self.route_name, exc_info=exc)
        body: dict[str, Any] = {"detail": "Internal Server Error"}
        if self.debug:
            body["traceback"] = traceback.format_exception(exc)
        return 500, [("content-type", "application/json")], _encoder.encode(body)


def analyse(route: Route) -> Route:
    """Fill in the route's parameters from its handler's signature."""
    try:
        hints = typing.get_type_hints(route.handler, include_extras=True)
    except Exception as exc:
        raise RouteDefinitionError(f"{route.name}: cannot resolve type hints: {exc}") from exc
    path_names = set(PATH_PARAM.findall(route.path))
    if route.response_model is None and hints.get("return") not in (None, inspect.Signature.empty):
        route.response_model = hints["return"]
    for param in inspect.signature(route.handler).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise RouteDefinitionError(f"{route.name}: *args and **kwargs cannot be filled")
        annotation = hints.get(param.name, str)
        if annotation is Request or (param.name == "request" and param.name not in hints):
            route.request_param = param.name
            continue
        _add_param(route, param, annotation, param.name in path_names)
    if route.body_param is None and route.method in BODY_METHODS:
        inferred = [p for p in route.params if p.source == "query" and p.marker is None]
        route.body_fields = inferred
        route.params = [p for p in route.params if p not in inferred]
    missing = path_names - {p.name for p in route.params if p.source == "path"}
    if missing:
        raise RouteDefinitionError(
            f"{route.name}: path parameter(s) {sorted(missing)} are not arguments of the handler"
        )
    return route


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
    if marker is not None and marker.source != "body" and _is_struct(inner):
        raise RouteDefinitionError(
            f"{route.name}: a msgspec.Struct filled from {marker.source} values "
            f"({param.name!r}) is not supported yet"
        )
    if _is_struct(inner):
        if route.body_param is not None:
            raise RouteDefinitionError(f"{route.name}: only one parameter can be the JSON body")
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
    if multi and source != "query":
        raise RouteDefinitionError(
            f"{route.name}: only query parameters can be lists ({param.name!r})"
        )
    required = not has_default and not optional
    route.params.append(
        Param(param.name, source, kind, required, default, annotation, reading, marker, multi)
    )


def _reading(annotation: Any) -> dict[str, Any] | None:
    """How Rust reads a value of ``annotation``, or None if it cannot."""
    if annotation in SCALARS:
        return {"type": SCALARS[annotation]}
    if annotation in CONVERTED:
        kind, convert = CONVERTED[annotation]
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
    for extra in extras:
        if isinstance(extra, Depends) or (
            isinstance(extra, ParamMarker) and extra.source in NOT_YET_SERVED
        ):
            raise RouteDefinitionError(
                f"{param.name!r}: {type(extra).__name__}() is not supported yet"
            )
    markers = [extra for extra in extras if isinstance(extra, ParamMarker)]
    return annotation, markers[-1] if markers else None


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _is_struct(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)
