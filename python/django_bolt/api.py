"""``BoltAPI``: a set of typed routes, declared with decorators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from .auth.guards import checked_protection
from .compression import CompressionConfig
from .cors import CORSConfig
from .middleware import api_middleware
from .openapi import OpenAPIConfig, docs_routes
from .routing import Route, analyse, describe
from .views import APIView, view_routes

TrailingSlash = Literal["strip", "append", "keep"]

#: Handler markers of decorators that wrap an HTTP exchange, which a handshake is not.
HTTP_ONLY_MARKERS = (
    ("__bolt_cors__", "@cors"),
    ("__bolt_middleware__", "@middleware"),
    ("__bolt_paginator__", "@paginate"),
)


class BoltAPI:
    """Routes under a common ``prefix``.

    ``trailing_slash`` normalises declared paths: ``"strip"`` removes a trailing
    slash, ``"append"`` adds one, ``"keep"`` leaves paths as written. Requests match
    a route with or without the trailing slash either way.

    ``compression=CompressionConfig(...)`` compresses the routes' responses for clients
    that accept it (off by default); ``@no_compress`` exempts a route.

    ``openapi_config=OpenAPIConfig(...)`` serves an OpenAPI document of every API served
    with this one, and pages showing it (off by default; see docs/openapi.md).

    ``middleware=[...]`` runs middleware classes around every route's handler,
    ``django_middleware=True`` (or a list of dotted paths) the project's Django
    ``MIDDLEWARE`` outside them, ``enable_logging=True`` logs each request, and
    ``cors=CORSConfig(...)`` is the CORS of routes without ``@cors`` (see
    docs/middleware.md).
    """

    def __init__(
        self,
        prefix: str = "",
        trailing_slash: TrailingSlash = "strip",
        validate_response: bool = True,
        compression: CompressionConfig | None = None,
        openapi_config: OpenAPIConfig | None = None,
        middleware: list[Any] | tuple[Any, ...] = (),
        enable_logging: bool = False,
        django_middleware: bool | list[str] | dict[str, Any] | None = None,
        cors: CORSConfig | None = None,
    ) -> None:
        if trailing_slash not in ("strip", "append", "keep"):
            raise ValueError(
                f"trailing_slash must be 'strip', 'append' or 'keep', not {trailing_slash!r}"
            )
        if prefix and not prefix.startswith("/"):
            raise ValueError(f"prefix {prefix!r} must start with '/'")
        self.prefix = prefix.rstrip("/")
        self.trailing_slash = trailing_slash
        self.validate_response = validate_response
        if compression is not None and not isinstance(compression, CompressionConfig):
            raise TypeError(f"compression must be a CompressionConfig, not {compression!r}")
        self.compression = compression
        if openapi_config is not None and not isinstance(openapi_config, OpenAPIConfig):
            raise TypeError(f"openapi_config must be an OpenAPIConfig, not {openapi_config!r}")
        self.openapi_config = openapi_config
        self.middleware = api_middleware(middleware, enable_logging, django_middleware)
        if cors is not None and not isinstance(cors, CORSConfig):
            raise TypeError(f"cors must be a CORSConfig, not {cors!r}")
        self.cors = cors
        self.routes: list[Route] = []

    def _full_path(self, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/'")
        full = self.prefix + path
        if self.trailing_slash == "strip":
            full = full.rstrip("/") or "/"
        elif self.trailing_slash == "append" and not full.endswith("/"):
            full += "/"
        return full

    def route(
        self,
        method: str,
        path: str,
        *,
        status_code: int = 200,
        response_model: Any = None,
        tags: list[str] | None = None,
        summary: str | None = None,
        description: str | None = None,
        guards: list[Any] | None = None,
        auth: list[Any] | None = None,
        validate_response: bool | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a handler. ``response_model`` (or the return annotation) shapes the
        result; with ``validate_response`` (the API's default unless given) a result that
        does not fit it is a 500, logged, and without it the result is sent as returned.

        ``auth`` backends identify the client and ``guards`` decide whether it may call
        the route, both in Rust before the handler runs (401/403); see docs/auth.md.
        """
        auth, guards = checked_protection(f"{method.upper()} {path}", auth, guards)
        full_path = self._full_path(path)

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            route = Route(
                method=method.upper(),
                path=full_path,
                handler=handler,
                status_code=status_code,
                response_model=response_model,
                tags=list(tags or []),
                summary=summary,
                description=description,
                validate_response=(
                    self.validate_response if validate_response is None else validate_response
                ),
                compression=self.compression,
                auth=auth,
                guards=guards,
                cors=self.cors,
                middleware=self.middleware,
            )
            self.routes.append(analyse(route))
            return handler

        return register

    def websocket(
        self,
        path: str,
        *,
        guards: list[Any] | None = None,
        auth: list[Any] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register an async WebSocket handler. It takes a ``WebSocket`` argument and
        typed path/query/header/cookie parameters, checked in Rust before the handshake
        (a bad one refuses it with 422). ``guards`` and ``auth``: as for ``route()``,
        checked before the handshake (a refused one is answered 401/403 and never opens);
        ``@rate_limit`` on the handler counts handshakes (429).
        """
        auth, guards = checked_protection(f"WEBSOCKET {path}", auth, guards)
        full_path = self._full_path(path)

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            for marker, what in HTTP_ONLY_MARKERS:
                if getattr(handler, marker, None):
                    raise TypeError(
                        f"WEBSOCKET {path}: {what} applies to HTTP routes, not to a WebSocket"
                        " handshake; a WebSocket route takes auth=, guards= and @rate_limit"
                    )
            route = Route(
                method="GET",
                path=full_path,
                handler=handler,
                websocket=True,
                auth=auth,
                guards=guards,
            )
            self.routes.append(analyse(route))
            return handler

        return register

    def view(self, path: str, **options: Any) -> Callable[[type[APIView]], type[APIView]]:
        """Register an ``APIView`` subclass: each of its ``get``/``post``/``put``/``patch``/
        ``delete`` methods becomes a route on ``path``, with ``options`` (``tags``,
        ``guards``, ``auth``, ...) passed to every one."""

        def register(view_class: type[APIView]) -> type[APIView]:
            for method, handler, route_options in view_routes(view_class, options):
                self.route(method, path, **route_options)(handler)
            return view_class

        return register

    def get(self, path: str, **options: Any):
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any):
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any):
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any):
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any):
        return self.route("DELETE", path, **options)

    def head(self, path: str, **options: Any):
        return self.route("HEAD", path, **options)

    def options(self, path: str, **options: Any):
        return self.route("OPTIONS", path, **options)


def route_table(
    apis: list[BoltAPI],
    debug: bool = False,
    names: list[str] | None = None,
    extra: list[Route] | None = None,
):
    """Compile every route of ``apis``, their documentation routes (one set, from the
    first API with an ``openapi_config``) and ``extra`` routes (served, never
    documented) into one Rust route table. ``names``: each API's module, for log lines.

    Raises ValueError naming both handlers when two routes share a method and path.
    """
    from ._core import RouteTable

    routes = [route for api in apis for route in api.routes]
    routes += docs_routes(apis, names) + (extra or [])
    return RouteTable([describe(route, debug) for route in routes])
