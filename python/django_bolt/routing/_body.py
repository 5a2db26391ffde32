"""Body loading: the loaders Rust calls with a request's JSON body (and query string).
A body that does not decode is a 422 (``exceptions.msgspec_error_detail``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import msgspec

from .. import serializers
from ..exceptions import RequestValidationError, msgspec_error_detail

if TYPE_CHECKING:
    from ._route import Param, Route


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
            raise RequestValidationError([msgspec_error_detail(exc, body)]) from None

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
            raise RequestValidationError([msgspec_error_detail(exc, body, location)]) from None
        return {name: getattr(values, name) for name in names}

    return load
