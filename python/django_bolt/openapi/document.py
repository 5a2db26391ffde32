"""The OpenAPI 3.1 document of a set of routes, built from what ``routing.analyse``
found in each handler's signature."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

import msgspec

from ..rate_limit import describe_rate_limit
from ..responses import Response
from ..routing import Param, Route
from .config import OpenAPIConfig
from .schemas import Schemas
from .security import is_optional, refusals, security_schemes

OPENAPI_VERSION = "3.1.0"
JSON_MEDIA_TYPE = "application/json"

#: How each kind of value Rust reads (``Param.type``) is written in a request.
VALUE_SCHEMAS: dict[str, dict[str, str]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "decimal": {"type": "string", "format": "decimal"},
    "uuid": {"type": "string", "format": "uuid"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "time": {"type": "string", "format": "time"},
    "file": {"type": "string", "format": "binary"},
}
#: Constraints of markers and ``msgspec.Meta`` as JSON Schema keywords.
CONSTRAINT_KEYWORDS = {
    "ge": "minimum",
    "gt": "exclusiveMinimum",
    "le": "maximum",
    "lt": "exclusiveMaximum",
    "min_length": "minLength",
    "max_length": "maxLength",
    "pattern": "pattern",
}
#: Sources that are OpenAPI parameters (their ``in``); form fields and files are a body.
PARAMETER_SOURCES = ("path", "query", "header", "cookie")
#: Statuses whose responses have no body.
BODILESS_STATUSES = {204, 205, 304}


class ValidationErrorItem(msgspec.Struct):
    """One input that failed: where it is (as ["query", "page"]), why, and a kind."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorResponse(msgspec.Struct):
    """The body of a 422: every input that failed."""

    detail: list[ValidationErrorItem]


def build_document(routes: Iterable[Route], config: OpenAPIConfig) -> dict[str, Any]:
    """The document describing ``routes`` (WebSocket routes, excluded paths and routes
    declared with ``include_in_schema=False`` left out)."""
    return _DocumentBuilder(config).build(
        route
        for route in routes
        if not route.websocket
        and route.include_in_schema is not False
        and not config.excludes(route.path)
    )


class _DocumentBuilder:
    def __init__(self, config: OpenAPIConfig) -> None:
        self.config = config
        self.schemas = Schemas()
        self.operation_ids: set[str] = set()
        self.security_schemes: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, None] = {}

    def build(self, routes: Iterable[Route]) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        for route in routes:
            paths.setdefault(route.path, {})[route.method.lower()] = self.operation(route)
        components: dict[str, Any] = {"schemas": self.schemas.components()}
        if self.security_schemes:
            components["securitySchemes"] = self.security_schemes
        info = {"title": self.config.title, "version": self.config.version}
        if self.config.description:
            info["description"] = self.config.description
        document: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": info, "paths": paths}
        if self.tags:
            document["tags"] = [{"name": tag} for tag in self.tags]
        document["components"] = components
        return document

    def operation(self, route: Route) -> dict[str, Any]:
        operation: dict[str, Any] = {
            "operationId": self.operation_id(route),
            "summary": route.summary or _title(route.handler.__name__),
        }
        description = route.description
        if description is None and self.config.use_handler_docstrings:
            description = inspect.getdoc(route.handler)
        if description:
            operation["description"] = description
        if route.tags:
            operation["tags"] = list(route.tags)
            self.tags.update(dict.fromkeys(route.tags))
        parameters = [self.parameter(p) for p in route.params if p.source in PARAMETER_SOURCES]
        if parameters:
            operation["parameters"] = parameters
        body = self.request_body(route)
        if body is not None:
            operation["requestBody"] = body
        operation["responses"] = self.responses(route)
        schemes = security_schemes(route)
        if schemes:
            self.security_schemes.update(schemes)
            operation["security"] = [{name: []} for name in schemes]
            if is_optional(route):
                operation["security"].append({})
        return operation

    def operation_id(self, route: Route) -> str:
        """The handler's name, numbered when another operation has it already."""
        name = candidate = route.handler.__name__
        number = 1
        while candidate in self.operation_ids:
            number += 1
            candidate = f"{name}_{number}"
        self.operation_ids.add(candidate)
        return candidate

    def parameter(self, param: Param) -> dict[str, Any]:
        parameter = {
            "name": _request_name(param),
            "in": param.source,
            "required": param.required or param.source == "path",
            "schema": _value_schema(param),
        }
        description = _description(param)
        if description:
            parameter["description"] = description
        return parameter

    def request_body(self, route: Route) -> dict[str, Any] | None:
        if route.body_param is not None:
            schema = self.schemas.of(route.body_param[1])
            return {"required": True, "content": {JSON_MEDIA_TYPE: {"schema": schema}}}
        if route.body_fields:
            return self.json_fields_body(route.body_fields)
        form = [p for p in route.params if p.source in ("form", "file")]
        return _form_body(form) if form else None

    def json_fields_body(self, fields: list[Param]) -> dict[str, Any]:
        """Scalars of a handler without a Struct body: one JSON object (or, when no body
        is sent, the query string)."""
        properties = {p.name: self.schemas.of(p.annotation, **_default(p)) for p in fields}
        schema = _object_schema(properties, [p.name for p in fields if p.required])
        return {
            "required": "required" in schema,
            "content": {JSON_MEDIA_TYPE: {"schema": schema}},
        }

    def responses(self, route: Route) -> dict[str, Any]:
        responses = {str(route.status_code): self.success(route)}
        has_inputs = route.params or route.body_param or route.body_fields
        if self.config.include_error_responses and has_inputs:
            schema = self.schemas.of(ValidationErrorResponse)
            responses["422"] = {
                "description": "Validation Error",
                "content": {JSON_MEDIA_TYPE: {"schema": schema}},
            }
        if self.config.include_error_responses:
            for status, description in refusals(route).items():
                responses[status] = {"description": description}
            if describe_rate_limit(route.handler) is not None:
                responses["429"] = {"description": "Too many requests: the rate limit"}
        return responses

    def success(self, route: Route) -> dict[str, Any]:
        response: dict[str, Any] = {"description": _phrase(route.status_code)}
        model = route.response_model
        if route.status_code in BODILESS_STATUSES:
            return response
        if isinstance(model, type) and issubclass(model, Response):
            # Its content is whatever the handler puts in it; only its media type is known.
            if model.media_type:
                response["content"] = {model.media_type.split(";")[0]: {}}
            return response
        schema = {} if model is None else self.schemas.of(model)
        response["content"] = {JSON_MEDIA_TYPE: {"schema": schema}}
        return response


def _form_body(fields: list[Param]) -> dict[str, Any]:
    """Form fields and files: urlencoded or multipart, or only multipart with files."""
    properties = {_request_name(p): _property_schema(p) for p in fields}
    schema = _object_schema(properties, [_request_name(p) for p in fields if p.required])
    multipart: dict[str, Any] = {"schema": schema}
    encoding = {
        _request_name(p): {"contentType": ", ".join(p.constraints["allowed_types"])}
        for p in fields
        if p.constraints.get("allowed_types")
    }
    if encoding:
        multipart["encoding"] = encoding
    content = {"multipart/form-data": multipart}
    if not any(p.source == "file" for p in fields):
        content = {"application/x-www-form-urlencoded": {"schema": schema}, **content}
    return {"required": "required" in schema, "content": content}


def _property_schema(param: Param) -> dict[str, Any]:
    schema = _value_schema(param)
    description = _description(param)
    if description:
        schema["description"] = description
    return schema


def _object_schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _value_schema(param: Param) -> dict[str, Any]:
    """The schema of a value Rust reads: its kind, constraints, and default."""
    if "choices" in param.reading:
        schema: dict[str, Any] = {
            "enum": msgspec.to_builtins([value for _, value in param.reading["choices"]])
        }
    else:
        schema = dict(VALUE_SCHEMAS[param.type])
    schema.update(
        (CONSTRAINT_KEYWORDS[key], value)
        for key, value in param.constraints.items()
        if key in CONSTRAINT_KEYWORDS and value is not None
    )
    if param.multi:
        schema = {"type": "array", "items": schema}
        if param.constraints.get("max_files") is not None:
            schema["maxItems"] = param.constraints["max_files"]
    schema.update(_default(param))
    return schema


def _default(param: Param) -> dict[str, Any]:
    """``{"default": ...}`` for an optional parameter with a default of its own (the
    fields of a Struct parameter keep theirs in the Struct)."""
    if param.required or param.group is not None or param.default is None:
        return {}
    try:
        return {"default": msgspec.to_builtins(param.default)}
    except TypeError:
        return {}


def _description(param: Param) -> str | None:
    parts = [param.marker.description] if param.marker and param.marker.description else []
    if param.constraints.get("max_size") is not None:
        parts.append(f"At most {param.constraints['max_size']} bytes per file.")
    return " ".join(parts) or None


def _request_name(param: Param) -> str:
    """The name a value is sent under: headers are matched lower-case with ``_`` as ``-``."""
    if param.source == "path":
        return param.name
    name = param.alias or param.name
    return name.lower().replace("_", "-") if param.source == "header" else name


def _title(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Response"
