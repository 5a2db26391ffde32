"""Body loading: the loaders Rust calls with a request's JSON body (and query string),
and the 422 details of a body that does not decode."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import msgspec

from .. import serializers
from ..exceptions import RequestValidationError, parse_msgspec_decode_error

if TYPE_CHECKING:
    from ._route import Param, Route

_JSON_ERROR_LOCATION = re.compile(r" - at `\$(.*)`$")
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


def body_loader(route: Route) -> Callable[..., dict[str, Any]] | None:
    if route.body_fields:
        return _fields_loader(route.handler.__name__, route.body_fields)
    if route.body_param is None:
        return None
    name, body_type = route.body_param
    decode = serializers.input_decoder(body_type)

    def load(body: bytes) -> dict[str, Any]:
        if not body:
            raise RequestValidationError(
                [{"loc": ["body"], "msg": "A JSON body is required", "type": "missing"}]
            )
        try:
            return {name: decode(body)}
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise RequestValidationError([_body_error(exc, body)]) from None

    return load


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
            raise RequestValidationError([_body_error(exc, body, location)]) from None
        return {name: getattr(values, name) for name in names}

    return load


def _body_error(exc: msgspec.MsgspecError, body: bytes, location: str = "body") -> dict[str, Any]:
    if not isinstance(exc, msgspec.ValidationError):
        # Not JSON at all: where it breaks, by line and column of ``body``.
        return parse_msgspec_decode_error(exc, body)
    message = str(exc)
    loc: list[str | int] = [location]
    match = _JSON_ERROR_LOCATION.search(message)
    if match:
        message = message[: match.start()]
        for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", match.group(1)):
            loc.append(part[0] if part[0] else int(part[1]))
    missing = _MISSING_FIELD.search(message)
    if missing:
        loc.append(missing.group(1))
    kind = "validation_error"
    # A Serializer's validator raised: msgspec keeps its ValueError as the cause.
    if isinstance(exc.__cause__, ValueError):
        kind = "value_error"
        if isinstance(exc.__cause__, serializers.FieldValidationError):
            loc.append(exc.__cause__.field)
    return {"loc": loc, "msg": message, "type": kind}
