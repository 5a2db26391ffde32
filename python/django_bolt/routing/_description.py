"""The description of a route for Rust: the dicts ``RouteTable`` reads into the typed
structs of ``src/fastpath/description.rs``, which refuse a key they do not declare (so
a key added here is added there), and the Python wrappers a described handler needs.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import dependencies, users
from ..auth.checks import TokenChecks
from ..cors import describe_cors
from ..dependencies import Runner
from ..middleware import Chain, route_middleware
from ..permissions import PermissionCheck
from ..rate_limit import describe_rate_limit
from ..rate_limit_backend import describe_backend
from ..sessions import SessionCheck
from ..uploads import UploadFile
from ..websocket import websocket_entry
from ._body import body_loader
from ._response import ErrorHandler, encoder, finalize, produce

if TYPE_CHECKING:
    from ._route import Param, Route

logger = logging.getLogger("django_bolt")


def describe(route: Route, debug: bool) -> dict[str, Any]:
    """The description handed to Rust's RouteTable."""
    if route.websocket:
        return _describe_websocket(route)
    handler, is_async, request_param = route.handler, route.is_async, route.request_param
    session = SessionCheck.of(route.auth, route.guards)
    permissions = _permission_check(route)
    token_checks = TokenChecks.of(route.auth)
    # A session or a token's user is read from the Request, which the handler may
    # not take.
    checks = session is not None or permissions is not None or token_checks is not None
    if checks and request_param is None and route.dependencies:
        request_param = dependencies.REQUEST_KEY
    uploads = [p.name for p in route.params if p.source == "file"]
    if uploads:
        handler = _closing_uploads(handler, uploads)
    # The response of a result: on the loop (may return a coroutine), in any thread.
    finalize_result = functools.partial(finalize, route)
    produce_result = functools.partial(produce, route)
    if route.dependencies:
        # Only these routes pay for a Python wrapper; the others call the handler.
        if request_param is None and any(d.needs_request for d in route.dependencies.values()):
            request_param = dependencies.REQUEST_KEY
        handler = Runner(
            handler, route.dependencies, request_param, finalize_result, produce_result
        )
        is_async = True
    on_error = ErrorHandler(
        route.name, f"{route.method} {route.path}", debug, route.exception_handlers
    )
    layers = route_middleware(route.handler, route.middleware)
    if layers:
        # Middleware needs the Request, even when the handler does not take it.
        key = request_param or dependencies.REQUEST_KEY
        handler = Chain(
            layers,
            handler,
            is_async,
            key,
            request_param is not None,
            finalize_result,
            on_error,
            view=route.handler,
        )
        request_param, is_async = key, True
    # Only the checks need the Request: they take it from the handler's arguments.
    drop_request = checks and request_param is None
    if drop_request:
        request_param = dependencies.REQUEST_KEY
    # A user from the claims is made by Rust when read: no wrapper for it.
    if request_param is not None and (route.loads_users or checks):
        # A handler that never sees the Request needs no user loaded for it.
        from_database = route.loads_users and not drop_request
        handler = _loading_user(
            handler,
            request_param,
            is_async,
            from_database,
            session,
            permissions,
            token_checks,
            drop_request,
        )
    return {
        "method": route.method,
        "path": route.path,
        "name": route.name,
        "handler": handler,
        "is_async": is_async,
        "params": [_describe_param(p) for p in route.params],
        "structs": [{"name": name, "build": build} for name, build in route.structs],
        "body_loader": body_loader(route),
        "body_loader_reads_query": bool(route.body_fields),
        "request_param": request_param,
        "status_code": route.status_code,
        "encode": None if route.response_model is not None else encoder.encode,
        "finalize": finalize_result,
        "on_error": on_error,
        "compression": _compression(route),
        "cors": describe_cors(route.handler, route.cors),
        "rate_limit": _rate_limit(route),
        **_protection(route),
    }


def _permission_check(route: Route) -> PermissionCheck | None:
    """Django's answer to the permission guards, for tokens naming a database user
    without a ``permissions`` claim (Rust marks those requests)."""
    return PermissionCheck.of(route.guards) if route.loads_users else None


def _describe_websocket(route: Route) -> dict[str, Any]:
    path_params = [p.name for p in route.params if p.source == "path"]
    loads_user = bool(route.auth) and route.loads_users
    session = SessionCheck.of(route.auth, route.guards)
    entry = websocket_entry(
        route.handler,
        route.websocket_param,
        path_params,
        loads_user,
        session,
        _permission_check(route),
        TokenChecks.of(route.auth),
        route.groups_backend,
    )
    return {
        "websocket": True,
        "path": route.path,
        "name": route.name,
        "handler": entry,
        "params": [_describe_param(p) for p in route.params],
        "structs": [{"name": name, "build": build} for name, build in route.structs],
        "rate_limit": _rate_limit(route),
        **_protection(route),
    }


def _rate_limit(route: Route) -> dict[str, Any] | None:
    """The route's ``@rate_limit``, and where its buckets are kept."""
    described = describe_rate_limit(route.handler)
    if described is None:
        return None
    return {**described, **describe_backend(route.rate_limit_backend)}


def _protection(route: Route) -> dict[str, Any]:
    auth = [backend.describe() for backend in route.auth]
    for backend, description in zip(route.auth, auth, strict=True):
        # Fail closed, and say so once, when the route table is built.
        problem = backend.unconfigured(description)
        if problem:
            kind = "WEBSOCKET" if route.websocket else route.method
            logger.warning("%s %s (%s): %s", kind, route.path, route.name, problem)
    return {"auth": auth, "guards": [guard.describe() for guard in route.guards]}


def _compression(route: Route) -> dict[str, Any] | None:
    # Read when the table is built: @no_compress may sit above the route decorator.
    if route.compression is None or getattr(route.handler, "__bolt_no_compress__", False):
        return None
    return route.compression.describe()


def _describe_param(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "source": param.source,
        "type": param.type,
        "required": param.required,
        "default": param.default,
        "multi": param.multi,
        "alias": param.alias,
        "group": param.group,
        **param.constraints,
        **param.reading,
    }


def _loading_user(
    handler: Callable[..., Any],
    request_param: str,
    is_async: bool,
    from_database: bool,
    session: SessionCheck | None,
    permissions: PermissionCheck | None,
    token_checks: TokenChecks | None,
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
                loaded = token_checks is not None and await token_checks.arun(
                    request, from_database
                )
                if permissions is not None and permissions.needed(request):
                    await permissions.acheck(request)
                if from_database and not loaded:
                    await users.aload_user(request)
            return await handler(**kwargs)

        return run_async

    def run(**kwargs: Any) -> Any:
        request = request_of(kwargs)
        if session is not None and session.defers(request):
            session.authenticate(request)
        else:
            loaded = token_checks is not None and token_checks.run(request, from_database)
            if permissions is not None and permissions.needed(request):
                permissions.check(request)
            if from_database and not loaded:
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
