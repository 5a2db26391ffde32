"""``BoltAPI``: a set of typed routes, declared with decorators."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Literal

from .auth.guards import checked_protection
from .compression import CompressionConfig
from .cors import CORSConfig
from .groups import checked_backend
from .groups import layer as groups_layer
from .middleware import api_middleware
from .mounts import AsgiMount
from .not_found import Claim, NotFound, Ownership, checked_mode
from .openapi import OpenAPIConfig, docs_routes
from .rate_limit_backend import check_backend
from .responses import Response
from .router import Router, checked_prefix, include
from .routing import Route, analyse, describe
from .routing._exception_handlers import check_exception_handler, checked_exception_handlers
from .routing._verbs import RouteMethods
from .views import APIView, ViewSet
from .views._apiview import view_routes
from .views._routes import viewset_routes

TrailingSlash = Literal["strip", "append", "keep"]

#: Handler markers of decorators that wrap an HTTP exchange, which a handshake is not.
HTTP_ONLY_MARKERS = (
    ("__bolt_cors__", "@cors"),
    ("__bolt_middleware__", "@middleware"),
    ("__bolt_paginator__", "@paginate"),
)


class BoltAPI(RouteMethods):
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

    ``groups_backend="redis://host:port/db"`` (or ``"local"``) replaces the
    ``BOLT_GROUPS_BACKEND`` setting for ``broadcast`` and this API's WebSocket groups.

    ``exception_handlers={ExcClass: handler}`` (or ``@api.exception_handler(ExcClass)``)
    answers an exception of that class, or of a subclass, with ``handler(exc)``'s
    ``Response`` (see docs/responses.md).

    ``rate_limit_backend`` keeps this API's ``@rate_limit`` buckets in Redis (a URL,
    ``"cache"`` or a Django cache alias) or in each process (``"memory"``) rather than
    where ``BOLT_RATE_LIMIT_BACKEND`` says (see docs/middleware.md).

    ``not_found`` decides who answers a path under ``prefix`` that no route matches:
    ``"auto"`` (the default) Rust, with a JSON 404, unless a pattern of Django's URLconf
    could match it; ``"bolt"`` Rust always; ``"django"`` the ASGI app (see
    docs/routing.md).
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
        exception_handlers: dict[type[Exception], Callable[..., Any]] | None = None,
        namespace: str | None = None,
        include_in_schema: bool | None = None,
        rate_limit_backend: str | None = None,
        groups_backend: str | None = None,
        not_found: NotFound = "auto",
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
        #: Where this API's ``@rate_limit`` buckets are kept (rate_limit_backend.py).
        self.rate_limit_backend = check_backend(rate_limit_backend, "rate_limit_backend")
        self.exception_handlers = checked_exception_handlers(exception_handlers)
        self.routes: list[Route] = []
        #: Reverse names of this API's routes are ``namespace:name`` (django_bolt.urls).
        self.namespace = namespace
        #: A route's default OpenAPI visibility; None: as the API it is mounted into.
        self.include_in_schema = include_in_schema
        #: ASGI apps served under a path prefix when no route matches (mounts.py).
        self.asgi_mounts: list[AsgiMount] = []
        #: Who answers an unmatched path under a prefix of this API (not_found.py).
        self.not_found = checked_mode(not_found)
        #: The prefixes this API's routes lie under, proposed for Rust's 404.
        self.claims: list[Claim] = [Claim(self.prefix, self.not_found)] if self.prefix else []
        #: Where ``broadcast`` and the WebSocket routes' groups go (None: the
        #: ``BOLT_GROUPS_BACKEND`` setting); checked now, connected on first use.
        self.groups_backend = None if groups_backend is None else checked_backend(groups_backend)

    def _full_path(self, path: str) -> str:
        if path and not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/' (or be '' for the prefix)")
        full = self.prefix + path or "/"
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
        name: str | None = None,
        include_in_schema: bool | None = None,
        response_class: type[Response] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a handler. ``response_model`` (or the return annotation) shapes the
        result; with ``validate_response`` (the API's default unless given) a result that
        does not fit it is a 500, logged, and without it the result is sent as returned.

        ``auth`` backends identify the client and ``guards`` decide whether it may call
        the route, both in Rust before the handler runs (401/403); see docs/auth.md.

        ``name`` is the route's name for Django's ``reverse()`` (the handler's name by
        default; see django_bolt.urls); ``include_in_schema=False`` leaves it out of
        the OpenAPI document. ``response_class=EventSourceResponse`` serves a handler
        that is a generator of Server-Sent Events (see django_bolt.sse).
        """
        auth, guards = checked_protection(f"{method.upper()} {path}", auth, guards)
        full_path = self._full_path(path)

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            route = Route(
                method=method.upper(),
                path=full_path,
                handler=handler if response_class is None else wrapped(response_class, handler),
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
                rate_limit_backend=self.rate_limit_backend,
                exception_handlers=self.exception_handlers,
                url_name=name,
                namespace=self.namespace,
                include_in_schema=(
                    self.include_in_schema if include_in_schema is None else include_in_schema
                ),
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
                rate_limit_backend=self.rate_limit_backend,
                groups_backend=self.groups_backend,
            )
            self.routes.append(analyse(route))
            return handler

        return register

    async def broadcast(self, group: str, message: Any) -> None:
        """Send ``message`` to every WebSocket that joined ``group`` (``await
        websocket.join(group)``), on every process sharing the API's groups backend: a
        str as a text message, bytes as a binary one, anything else as JSON."""
        await groups_layer(self.groups_backend).broadcast(group, message)

    def broadcast_sync(self, group: str, message: Any) -> None:
        """``broadcast`` from sync code (a plain Django view, a management command)."""
        groups_layer(self.groups_backend).broadcast_sync(group, message)

    def exception_handler(
        self, exc_class: type[Exception]
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register ``handler(exc) -> Response`` (sync or async) for ``exc_class`` and
        its subclasses, on every route of this API, declared before or after it."""

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            check_exception_handler(exc_class, handler)
            self.exception_handlers[exc_class] = handler
            return handler

        return register

    def view(
        self,
        path: str,
        view_class: type[APIView] | None = None,
        *,
        methods: list[str] | None = None,
        **options: Any,
    ) -> Any:
        """Register an ``APIView`` subclass: each of its ``get``/``post``/``put``/``patch``/
        ``delete`` methods (only ``methods``, when given) becomes a route on ``path``, with
        ``options`` (``tags``, ``guards``, ``auth``, ...) passed to every one. A decorator,
        or ``api.view(path, ViewClass)``."""

        def register(view_class: type[APIView]) -> type[APIView]:
            # The class is checked whole before any of its routes is registered.
            for method, handler, route_options in list(view_routes(view_class, options, methods)):
                self.route(method, path, **route_options)(handler)
            return view_class

        return register if view_class is None else register(view_class)

    def viewset(
        self,
        target: str | type[ViewSet] | None = None,
        viewset_class: type[ViewSet] | None = None,
        *,
        path: str | None = None,
        lookup_field: str | None = None,
        **options: Any,
    ) -> Any:
        """Register a ``ViewSet`` subclass at ``path``: ``list``/``create`` on ``path``,
        ``retrieve``/``update``/``partial_update``/``destroy`` on ``path/{lookup}``, and
        its ``@action`` methods (see docs/viewsets.md); ``options`` (``tags``,
        ``guards``, ``auth``, ``status_code``, ...) apply to every route unless an
        ``@action`` gives its own. A decorator (``@api.viewset("/items")``), or
        ``api.viewset("/items", ItemViewSet)``, or ``api.viewset(ItemViewSet,
        path="/items")``."""
        if isinstance(target, type):
            target, viewset_class = None, target
        if target is not None and path is not None:
            raise TypeError("api.viewset() takes the path once, positionally or as path=")
        path = target if path is None else path
        if not isinstance(path, str):
            raise TypeError(f"api.viewset() needs a path string, not {path!r}")

        def register(viewset_class: type[ViewSet]) -> type[ViewSet]:
            # The class is checked whole before any of its routes is registered.
            routes = list(viewset_routes(viewset_class, path, options, lookup_field))
            for method, route_path, handler, route_options in routes:
                self.route(method, route_path, **route_options)(handler)
            return viewset_class

        return register if viewset_class is None else register(viewset_class)

    def include_router(self, router: Router, prefix: str = "") -> None:
        """Serve every route of ``router`` (and its nested routers) under ``prefix``."""
        include(self, router, prefix)
        if under := (prefix.rstrip("/") + router.prefix).rstrip("/"):
            self.claims.append(Claim(self.prefix + under, self.not_found))

    def mount(self, prefix: str, api: BoltAPI) -> None:
        """Serve ``api``'s routes (as declared so far) under ``prefix``, each keeping
        its own auth, guards, middleware and namespace; this API's ``trailing_slash``
        applies to their paths. A route that leaves its OpenAPI visibility to its API
        takes this API's."""
        if api is self:
            raise ValueError("an API cannot be mounted into itself")
        prefix = checked_prefix("mount", prefix)
        if "{" in prefix or "}" in prefix:
            raise ValueError(f"mount prefix {prefix!r} must be static (no {{parameters}})")
        for route in api.routes:
            path = self._full_path(prefix + ("" if route.path == "/" else route.path))
            changes: dict[str, Any] = {"path": path}
            if route.include_in_schema is None:
                changes["include_in_schema"] = self.include_in_schema
            self.routes.append(dataclasses.replace(route, **changes))
        self.asgi_mounts += [
            dataclasses.replace(mount, prefix=self.prefix + prefix + mount.prefix.rstrip("/"))
            for mount in api.asgi_mounts
        ]
        # The mount's prefix and the child's own claims, under this API's prefix.
        claims = [Claim(prefix, api.not_found)] if prefix else []
        claims += [dataclasses.replace(c, prefix=prefix + c.prefix) for c in api.claims]
        self.claims += [dataclasses.replace(c, prefix=self.prefix + c.prefix) for c in claims]

    def mount_asgi(self, prefix: str, app: Any) -> None:
        """Hand requests under ``prefix`` that no Bolt route answers to the ASGI ``app``
        (``root_path`` is the prefix, ``path`` the whole path)."""
        self.asgi_mounts.append(AsgiMount(self.prefix + prefix, app))

    def mount_django(self, prefix: str, app: Any = None, *, clear_root_path: bool = False) -> None:
        """``mount_asgi`` for Django's application (this process's, unless ``app``);
        ``clear_root_path=True`` when its URL patterns already include ``prefix``."""
        mount = AsgiMount(self.prefix + prefix, app, clear_root_path=clear_root_path)
        self.asgi_mounts.append(mount)


def wrapped(response_class: type[Response], handler: Callable[..., Any]) -> Callable[..., Any]:
    """The handler that answers with ``response_class`` of what ``handler`` yields."""
    route_handler = getattr(response_class, "route_handler", None)
    if route_handler is None:
        raise TypeError(
            f"{handler.__qualname__}: response_class takes EventSourceResponse; return "
            f"{getattr(response_class, '__name__', response_class)}(...) from the handler instead"
        )
    return route_handler(handler)


def route_table(
    apis: list[BoltAPI],
    debug: bool = False,
    names: list[str] | None = None,
    extra: list[Route] | None = None,
    owned: Ownership | None = None,
):
    """Compile every route of ``apis``, their documentation routes (one set, from the
    first API with an ``openapi_config``) and ``extra`` routes (served, never
    documented) into one Rust route table. ``names``: each API's module, for log lines;
    ``owned``: the prefixes under which Rust answers 404 (not_found.py).

    Raises ValueError naming both handlers when two routes share a method and path.
    """
    from ._core import RouteTable

    routes = [route for api in apis for route in api.routes]
    routes += docs_routes(apis, names) + (extra or [])
    owned = owned or Ownership()
    described = [describe(route, debug) for route in routes]
    return RouteTable(described, list(owned.owned), list(owned.left_to_asgi))
