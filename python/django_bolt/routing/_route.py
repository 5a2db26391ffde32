"""A route as declared: its handler, parameters and response, filled in from the
handler's signature by ``_signature.analyse`` and described for Rust by
``_description``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..auth import AuthBackend
from ..compression import CompressionConfig
from ..cors import CORSConfig
from ..dependencies import Dependency
from ..guards import Guard
from ..param_functions import ParamMarker


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
    #: The groups backend of a WebSocket route's API (None: ``BOLT_GROUPS_BACKEND``).
    groups_backend: str | None = None
    #: The API's compression; a ``@no_compress`` handler is never compressed.
    compression: CompressionConfig | None = None
    #: Checked in Rust before the handler runs (or a WebSocket is accepted).
    auth: list[AuthBackend] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    #: The API's CORS (a route's ``@cors`` replaces it) and Python middleware.
    cors: CORSConfig | None = None
    middleware: tuple[Any, ...] = ()
    #: The API's ``rate_limit_backend`` (None: ``BOLT_RATE_LIMIT_BACKEND``).
    rate_limit_backend: str | None = None
    #: The API's custom exception handlers (its own dict: later ones apply too).
    exception_handlers: dict[type[BaseException], Callable[..., Any]] = field(default_factory=dict)

    #: Scalars of a POST/PUT/PATCH/DELETE handler without a Struct body: read from a
    #: JSON object body when one is sent, from the query string otherwise.
    body_fields: list[Param] = field(default_factory=list)
    #: Django ``reverse()`` name (None: the handler's name) and its namespace.
    url_name: str | None = None
    namespace: str | None = None
    #: In the OpenAPI document; None: unless the API it is mounted into says not.
    include_in_schema: bool | None = None

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
