"""Turning a handler's signature into the route description Rust validates and runs.

Path, query, header, cookie and form values and uploaded files are read and coerced in
Rust; Python keeps only what needs Python: decoding a JSON body with msgspec, building
Structs and UploadFiles from what Rust read, and shaping the response.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import enum
import functools
import inspect
import logging
import re
import traceback
import types
import typing
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from . import _loop, dependencies, orm, pagination, serializers, users
from .auth import AuthBackend
from .compression import CompressionConfig
from .cors import CORSConfig, describe_cors
from .dependencies import Dependency, Runner
from .exceptions import HTTPException, RequestValidationError
from .guards import Guard
from .middleware import BaseMiddleware, Chain, route_middleware
from .param_functions import Depends, File, ParamMarker
from .permissions import PermissionCheck
from .rate_limit import describe_rate_limit
from .responses import Encoded, Response, StreamingResponse, Wire
from .sessions import SessionCheck
from .uploads import UploadFile
from .websocket import WebSocket, websocket_entry

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

#: Sources a msgspec.Struct parameter can be filled from, field by field.
STRUCT_SOURCES = {"query", "header", "form"}
#: Sources read from the request body.
FORM_SOURCES = {"form", "file"}

_encoder = msgspec.json.Encoder(enc_hook=orm.enc_hook)
#: The value Rust hands over for an absent Struct field that has a default of its own.
_OMITTED = object()


class RouteDefinitionError(TypeError):
    """A handler's signature cannot be served as declared."""


@dataclass
class Param:
    name: str
    source: str  # "path" | "query" | "header" | "cookie" | "form" | "file"
    type: str
    required: bool
    default: Any = None
    annotation: Any = None
    #: How Rust reads it beyond ``type``: a converter and/or the accepted choices.
    reading: dict[str, Any] = field(default_factory=dict)

    #: Declared with a marker (Query(), Header(), ...), not inferred.
    marker: ParamMarker | None = None
    #: ``list[T]``: every occurrence in the query string or form.
    multi: bool = False
    #: The name in the request, when it is not ``name``.
    alias: str | None = None
    #: ge, le, min_length, pattern, ... (for files: max_size, allowed_types, max_files).
    constraints: dict[str, Any] = field(default_factory=dict)
    #: Index of the Struct parameter (``Route.structs``) this is a field of.
    group: int | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "multi": self.multi,
            "alias": self.alias,
            "group": self.group,
            **self.constraints,
            **self.reading,
        }


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
    #: An ``@api.websocket`` route, and the argument that receives its WebSocket.
    websocket: bool = False
    websocket_param: str | None = None
    #: The API's compression; a ``@no_compress`` handler is never compressed.
    compression: CompressionConfig | None = None
    #: Checked in Rust before the handler runs (or a WebSocket is accepted).
    auth: list[AuthBackend] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    #: The API's CORS (a route's ``@cors`` replaces it) and Python middleware.
    cors: CORSConfig | None = None
    middleware: tuple[type[BaseMiddleware], ...] = ()

    #: Scalars of a POST/PUT/PATCH/DELETE handler without a Struct body: read from a
    #: JSON object body when one is sent, from the query string otherwise.
    body_fields: list[Param] = field(default_factory=list)
    #: Handler arguments filled by ``Depends(...)``.
    dependencies: dict[str, Dependency] = field(default_factory=dict)
    #: Struct parameters filled field by field: (argument name, builder from the fields).
    structs: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__qualname__}"

    @property
    def loads_users(self) -> bool:
        """``request.user`` comes from the database, unless every JWT backend says not."""
        return any(getattr(backend, "load_user", False) for backend in self.auth)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)

    def describe(self, debug: bool = False) -> dict[str, Any]:
        """The description handed to Rust's RouteTable."""
        if self.websocket:
            return self._describe_websocket()
        handler, is_async, request_param = self.handler, self.is_async, self.request_param
        session = SessionCheck.of(self.auth, self.guards)
        permissions = self._permission_check()
        # A session or a token's user is read from the Request, which the handler may
        # not take.
        checks = session is not None or permissions is not None
        if checks and request_param is None and self.dependencies:
            request_param = dependencies.REQUEST_KEY
        uploads = [p.name for p in self.params if p.source == "file"]
        if uploads:
            handler = _closing_uploads(handler, uploads)
        if self.dependencies:
            # Only these routes pay for a Python wrapper; the others call the handler.
            if request_param is None and any(d.needs_request for d in self.dependencies.values()):
                request_param = dependencies.REQUEST_KEY
            handler = Runner(
                handler, self.dependencies, request_param, self._finalize, self._produce
            )
            is_async = True
        on_error = _ErrorHandler(self.name, f"{self.method} {self.path}", debug)
        layers = route_middleware(self.handler, self.middleware)
        if layers:
            # Middleware needs the Request, even when the handler does not take it.
            key = request_param or dependencies.REQUEST_KEY
            handler = Chain(
                layers, handler, is_async, key, request_param is not None, self._finalize, on_error
            )
            request_param, is_async = key, True
        # Only the checks need the Request: they take it from the handler's arguments.
        drop_request = checks and request_param is None
        if drop_request:
            request_param = dependencies.REQUEST_KEY
        # A user from the claims is made by Rust when read: no wrapper for it.
        if request_param is not None and (self.loads_users or checks):
            # A handler that never sees the Request needs no user loaded for it.
            from_database = self.loads_users and not drop_request
            handler = _loading_user(
                handler, request_param, is_async, from_database, session, permissions, drop_request
            )
        return {
            "method": self.method,
            "path": self.path,
            "name": self.name,
            "handler": handler,
            "is_async": is_async,
            "params": [p.describe() for p in self.params],
            "structs": [{"name": name, "build": build} for name, build in self.structs],
            "body_loader": self._body_loader(),
            "body_loader_reads_query": bool(self.body_fields),
            "request_param": request_param,
            "status_code": self.status_code,
            "encode": None if self.response_model is not None else _encoder.encode,
            "finalize": self._finalize,
            "on_error": on_error,
            "compression": self._compression(),
            "cors": describe_cors(self.handler, self.cors),
            "rate_limit": describe_rate_limit(self.handler),
            **self._protection(),
        }

    def _permission_check(self) -> PermissionCheck | None:
        """Django's answer to the permission guards, for tokens naming a database user
        without a ``permissions`` claim (Rust marks those requests)."""
        return PermissionCheck.of(self.guards) if self.loads_users else None

    def _describe_websocket(self) -> dict[str, Any]:
        path_params = [p.name for p in self.params if p.source == "path"]
        loads_user = bool(self.auth) and self.loads_users
        session = SessionCheck.of(self.auth, self.guards)
        entry = websocket_entry(
            self.handler,
            self.websocket_param,
            path_params,
            loads_user,
            session,
            self._permission_check(),
        )
        return {
            "websocket": True,
            "path": self.path,
            "name": self.name,
            "handler": entry,
            "params": [p.describe() for p in self.params],
            "structs": [{"name": name, "build": build} for name, build in self.structs],
            "rate_limit": describe_rate_limit(self.handler),
            **self._protection(),
        }

    def _protection(self) -> dict[str, Any]:
        auth = [backend.describe() for backend in self.auth]
        for backend, description in zip(self.auth, auth, strict=True):
            # Fail closed, and say so once, when the route table is built.
            problem = backend.unconfigured(description)
            if problem:
                kind = "WEBSOCKET" if self.websocket else self.method
                logger.warning("%s %s (%s): %s", kind, self.path, self.name, problem)
        return {"auth": auth, "guards": [guard.describe() for guard in self.guards]}

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
        decode = serializers.input_decoder(body_type)

        def load(body: bytes) -> dict[str, Any]:
            if not body:
                raise RequestValidationError(
                    [{"loc": ["body"], "msg": "A JSON body is required", "type": "missing"}]
                )
            try:
                return {name: decode(body)}
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                raise RequestValidationError([_body_error(exc)]) from None

        return load

    def _finalize(self, result: Any) -> Wire | StreamingResponse | Coroutine[Any, Any, Encoded]:
        """The response for ``result``, on the event loop thread: what may query the
        database (models, querysets) is made in a thread, and Rust awaits it."""
        if type(result) is Encoded:
            return result.wire
        if orm.needs_database(result):
            return self._produce_off_loop(result)
        return self._produce(result)

    async def _produce_off_loop(self, result: Any) -> Encoded:
        from asgiref.sync import sync_to_async

        return Encoded(await sync_to_async(self._produce)(result))

    def _produce(self, result: Any) -> Wire | StreamingResponse:
        """The response for ``result``, in any thread."""
        if isinstance(result, StreamingResponse):
            return result  # Rust streams it from a Task of its own
        if isinstance(result, Response):
            return result.to_wire()
        result = orm.evaluate(result)
        if self.response_model is not None and self.validate_response:
            result = msgspec.convert(result, self.response_model, from_attributes=True)
        return self.status_code, [("content-type", "application/json")], _encoder.encode(result)


def _loading_user(
    handler: Callable[..., Any],
    request_param: str,
    is_async: bool,
    from_database: bool,
    session: SessionCheck | None,
    permissions: PermissionCheck | None,
    drop_request: bool,
) -> Callable[..., Any]:
    """``handler``, with ``request.user`` set first: the database user the request's
    credentials name (the ORM is sync-only, so an async handler awaits it), or the
    session's, whose guards run here. A user read from the claims is made by Rust when
    read. Permission guards Rust left undecided ask Django first (``permissions``).
    ``drop_request``: the handler does not take the Request."""

    def request_of(kwargs: dict[str, Any]) -> Any:
        return kwargs.pop(request_param) if drop_request else kwargs[request_param]

    if is_async:

        async def run_async(**kwargs: Any) -> Any:
            request = request_of(kwargs)
            if session is not None and session.defers(request):
                await session.aauthenticate(request)
            else:
                if permissions is not None and permissions.needed(request):
                    await permissions.acheck(request)
                if from_database:
                    await users.aload_user(request)
            return await handler(**kwargs)

        return run_async

    def run(**kwargs: Any) -> Any:
        request = request_of(kwargs)
        if session is not None and session.defers(request):
            session.authenticate(request)
        else:
            if permissions is not None and permissions.needed(request):
                permissions.check(request)
            if from_database:
                users.load_user(request)
        return handler(**kwargs)

    return run


def _closing_uploads(handler: Callable[..., Any], names: list[str]) -> Callable[..., Any]:
    """``handler``, closing the UploadFiles it was given once it returns or raises."""

    def close(kwargs: dict[str, Any]) -> None:
        for name in names:
            value = kwargs.get(name)
            for upload in value if isinstance(value, list) else [value]:
                if isinstance(upload, UploadFile):
                    upload.file.close()

    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)  # keeps the signature Depends' Runner reads
        async def run_async(**kwargs: Any) -> Any:
            try:
                return await handler(**kwargs)
            finally:
                close(kwargs)

        return run_async

    @functools.wraps(handler)
    def run(**kwargs: Any) -> Any:
        try:
            return handler(**kwargs)
        finally:
            close(kwargs)

    return run


def _struct_builder(struct: type[msgspec.Struct]) -> Callable[..., msgspec.Struct]:
    """Build ``struct`` from fields Rust read and coerced; absent ones keep their defaults."""

    def build(**fields: Any) -> msgspec.Struct:
        return struct(**{k: v for k, v in fields.items() if v is not _OMITTED})

    return build


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
    # A Serializer's validator raised: msgspec keeps its ValueError as the cause.
    if isinstance(exc.__cause__, ValueError):
        kind = "value_error"
        if isinstance(exc.__cause__, serializers.FieldValidationError):
            loc.append(exc.__cause__.field)
    return {"loc": loc, "msg": message, "type": kind}


class _ErrorHandler:
    """Turns an exception from a handler into the response to send."""

    def __init__(self, route_name: str, label: str, debug: bool) -> None:
        self.route_name = route_name
        self.label = label
        self.debug = debug

    def __call__(self, exc: BaseException) -> Wire:
        if isinstance(exc, HTTPException):
            headers = [*exc.headers.items(), ("content-type", "application/json")]
            return exc.status_code, headers, _encoder.encode({"detail": exc.detail})
        if isinstance(exc, asyncio.CancelledError):
            # Nobody is waiting for this answer: one line says what was cut short.
            grace = _loop.shutdown_grace
            when = "" if grace is None else f" at shutdown after {grace:.1f} s grace"
            logger.warning("request %s cancelled%s", self.label, when)
            detail = {"detail": "The request was cancelled"}
            return 503, [("content-type", "application/json")], _encoder.encode(detail)
        logger.error("Exception in route %s", self.route_name, exc_info=exc)
        _note_for_test_client(exc)
        body: dict[str, Any] = {"detail": "Internal Server Error"}
        if self.debug:
            body["traceback"] = traceback.format_exception(exc)
        return 500, [("content-type", "application/json")], _encoder.encode(body)


def _note_for_test_client(exc: BaseException) -> None:
    """Under TestClient, hand ``exc`` to the test, which raises it again
    (``raise_server_exceptions``); the test client's loop keeps the list."""
    try:
        errors = getattr(asyncio.get_running_loop(), "server_errors", None)
    except RuntimeError:
        return
    if errors is not None:
        errors.append(exc)


def analyse(route: Route) -> Route:
    """Fill in the route's parameters from its handler's signature."""
    try:
        hints = typing.get_type_hints(route.handler, include_extras=True)
    except Exception as exc:
        raise RouteDefinitionError(f"{route.name}: cannot resolve type hints: {exc}") from exc
    path_names = set(PATH_PARAM.findall(route.path))
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
    reads_form = any(p.source in FORM_SOURCES for p in route.params)
    if reads_form and route.body_param is not None:
        raise RouteDefinitionError(
            f"{route.name}: a route reads either a JSON body or a form, not both"
        )
    if route.body_param is None and route.method in BODY_METHODS and not reads_form:
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
    if any(p.source in FORM_SOURCES for p in route.params):
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
        if marker.source not in STRUCT_SOURCES:
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
