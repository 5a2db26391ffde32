"""Django middleware (``settings.MIDDLEWARE`` entries) as one layer of a Bolt route's
middleware chain.

A ``DjangoMiddlewareStack`` makes its middleware once per route, as Django's handler
does under WSGI (sync mode; an async-only one is adapted). For each request it builds
one Django ``HttpRequest`` from the Bolt ``Request`` and runs the stack on a thread. At
its inner end it copies what the middleware set on the Django request onto the Bolt
one (``user``, and anything else, ``session`` included, into ``request.state``, which
the handler reads as ``request.<name>``), runs the ``process_view`` hooks (CSRF's
check), then waits for the Bolt layers inside, which run on the event loop; the
handler's database work comes back to this thread (a ``def`` handler, an async one's
ORM calls), so it sees what the middleware set on the thread's connection. The Bolt
response goes out to the middleware as an ``HttpResponse`` and comes back as a Bolt
``Response`` with whatever headers and cookies they added; a response a middleware
returned itself is sent as it is.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.utils.functional import LazyObject, empty

from .. import _loop
from .._core import Request
from ..db import call_in_request
from ..responses import FileResponse, Response, StreamingResponse, Wire
from ._wire import answer
from .base import GetResponse

#: Headers of a body Django measured that the server sets itself for the body it sends.
_BODY_HEADERS = frozenset(("content-length", "transfer-encoding"))


class DjangoMiddlewareStack:
    """Django middleware classes (or dotted paths), outermost first, run as one layer
    of ``BoltAPI(middleware=[...])`` or ``@middleware(...)``: one request conversion
    for all of them."""

    def __init__(self, middleware: Iterable[type | str | Callable[..., Any]]) -> None:
        self.entries = [(_resolved(m), {}) for m in middleware]
        if not self.entries:
            raise ValueError("DjangoMiddlewareStack needs at least one middleware")

    def names(self) -> set[str]:
        return {getattr(cls, "__name__", repr(cls)) for cls, _ in self.entries}

    def bind(
        self, get_response: GetResponse, on_error: Callable[[BaseException], Wire], view: Any
    ) -> GetResponse:
        """The layer in front of ``get_response``, for the route whose handler is
        ``view`` (what ``process_view`` hooks see: ``@csrf_exempt`` on it counts)."""
        return _StackLayer(self.entries, get_response, on_error, view)

    def __repr__(self) -> str:
        listed = ", ".join(sorted(self.names()))
        return f"{type(self).__name__}([{listed}])"


class DjangoMiddleware(DjangoMiddlewareStack):
    """One Django middleware class (or dotted path) as a Bolt middleware;
    ``init_kwargs`` go to its constructor after ``get_response``."""

    def __init__(self, middleware_class: type | str | Callable[..., Any], **init_kwargs: Any):
        self.entries = [(_resolved(middleware_class), init_kwargs)]


def _resolved(middleware: type | str | Callable[..., Any]) -> Any:
    if isinstance(middleware, str):
        from django.utils.module_loading import import_string

        return import_string(middleware)
    if not callable(middleware):
        raise TypeError(
            f"a Django middleware is a class, factory or dotted path, not {middleware!r}"
        )
    return middleware


class _StackLayer:
    """One route's instances of the stack's middleware, awaited per request.

    The stack runs in sync mode, as under WSGI, on a thread of its own pool: one hop
    off the event loop and one back (for the layers inside) per request, where async
    mode would hop to a thread for each sync hook of each middleware. Async-only
    middleware is adapted, as Django does."""

    def __init__(
        self,
        entries: list[tuple[Any, dict[str, Any]]],
        get_response: GetResponse,
        on_error: Callable[[BaseException], Wire],
        view: Any,
    ) -> None:
        from asgiref.sync import async_to_sync, sync_to_async
        from django.core.exceptions import MiddlewareNotUsed
        from django.core.handlers.base import BaseHandler
        from django.core.handlers.exception import convert_exception_to_response

        self.get_response = get_response
        # asgiref's bridges, so the thread calls back into the loop that awaits it.
        self.inner_layers = async_to_sync(get_response)
        self.answer = async_to_sync(answer)
        self.run_stack = sync_to_async(call_in_request, thread_sensitive=False, executor=_pool())
        self.on_error = on_error
        self.view = view
        adapter = BaseHandler()
        self.view_hooks: list[Callable[..., Any]] = []
        self.exception_hooks: list[Callable[..., Any]] = []
        # As Django's BaseHandler.load_middleware(is_async=False), from the inside out.
        handler: Callable[..., Any] = convert_exception_to_response(self._inner)
        handler_is_async = False
        for factory, kwargs in reversed(entries):
            sync_capable = getattr(factory, "sync_capable", True)
            async_capable = getattr(factory, "async_capable", False)
            if not sync_capable and not async_capable:
                raise RuntimeError(f"{factory!r} is neither sync_capable nor async_capable")
            is_async = not sync_capable
            adapted = adapter.adapt_method_mode(is_async, handler, handler_is_async)
            try:
                instance = factory(adapted, **kwargs)
            except MiddlewareNotUsed:
                continue
            if instance is None:
                raise TypeError(f"Django middleware factory {factory!r} returned None")
            if hasattr(instance, "process_view"):
                self.view_hooks.insert(0, adapter.adapt_method_mode(False, instance.process_view))
            if hasattr(instance, "process_exception"):
                self.exception_hooks.append(
                    adapter.adapt_method_mode(False, instance.process_exception)
                )
            handler = convert_exception_to_response(instance)
            handler_is_async = is_async
        self.outermost = adapter.adapt_method_mode(False, handler, handler_is_async)
        #: The database aliases whose connections have a tenant (django-tenants).
        self.tenant_aliases = _tenant_aliases()

    async def __call__(self, request: Request) -> Response:
        django_request = _django_request(request)
        django_response = await self.run_stack(self._outer, {"request": django_request})
        return _bolt_response(django_response)

    def _outer(self, request: Any) -> Any:
        """The stack, on its thread. With django-tenants, the thread's connections get
        back the tenant they had (the public schema on the stack's own threads) once
        the middleware returned: the next stack run on this thread may have no tenant
        middleware, and under TestClient the thread is the test's."""
        if not self.tenant_aliases:
            return self.outermost(request)
        from django.db import connections

        before = [
            (connection, connection.tenant, connection.include_public_schema)
            for connection in map(connections.__getitem__, self.tenant_aliases)
        ]
        try:
            return self.outermost(request)
        finally:
            for connection, tenant, include_public in before:
                if connection.tenant is not tenant:
                    connection.set_tenant(tenant, include_public)

    def _inner(self, django_request: Any) -> Any:
        """The view's place in Django's stack (on the stack's thread): the Bolt layers
        inside and the handler, back on the loop."""
        request: Request = django_request.bolt_request
        _copy_attributes(django_request, request)
        for hook in self.view_hooks:
            response = hook(django_request, self.view, (), {})
            if response is not None:
                return response
        # The handler's sync work runs on this thread, whose database connection the
        # middleware may have set up (django-tenants' schema): see _loop.run_sync.
        held = _loop.behind_django_middleware.set(True)
        try:
            response = self.inner_layers(request)
        except Exception as exc:
            for hook in self.exception_hooks:
                answer = hook(django_request, exc)
                if answer is not None:
                    return answer
            # As a route without Django middleware: Bolt's answer (a custom exception
            # handler's, or a logged 500), not Django's.
            response = self.answer(self.on_error, exc)
        finally:
            _loop.behind_django_middleware.reset(held)
        return _django_response(response)


def _tenant_aliases() -> list[str]:
    """The aliases of ``DATABASES`` whose backend is django-tenants' (it can
    ``set_tenant``), so projects without it pay nothing for restoring tenants."""
    from django.db import connections

    return [alias for alias in connections if hasattr(connections[alias], "set_tenant")]


_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """The threads Django middleware stacks run on: a pool of their own, as large as the
    sync handlers' (each holds a thread while the layers inside run, so sharing theirs
    could leave none for a sync handler inside)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(
            max_workers=_loop.sync_workers(), thread_name_prefix="bolt-django-mw"
        )
    return _executor


def _django_request(request: Request) -> Any:
    """Django's request for ``request``, as Django's ASGI handler would build it."""
    from django.core.handlers.asgi import ASGIRequest

    query = request.query_string
    headers = request.headers
    raw_headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]
    if "host" not in headers and request.host:
        raw_headers.append((b"host", request.host.encode("latin-1")))
    scope = {
        "type": "http",
        "method": request.method,
        "path": request.path,
        "root_path": "",
        "query_string": query.encode("latin-1"),
        "headers": raw_headers,
        "scheme": request.scheme,
        "client": request.client,
    }
    django_request = ASGIRequest(scope, io.BytesIO(request.body))
    django_request.bolt_request = request
    # What the middleware adds is what is new after this.
    django_request.bolt_baseline = frozenset(vars(django_request))
    return django_request


def _copy_attributes(django_request: Any, request: Request) -> None:
    """What the middleware set on Django's request, onto Bolt's: ``user`` (loaded here,
    on the stack's thread, so async handlers may read it) unless Bolt's own ``auth=``
    identified the client, the rest into ``request.state``."""
    added = vars(django_request).keys() - django_request.bolt_baseline
    for name in added:
        if name.startswith("_") or name in ("bolt_baseline", "user"):
            continue
        request.state[name] = getattr(django_request, name)
    if "user" in added and not request.auth:
        user = django_request.user
        if isinstance(user, LazyObject):
            if user._wrapped is empty:
                user._setup()
            user = user._wrapped
        request.user = user


def _django_response(response: Response) -> Any:
    """``response`` as the HttpResponse the middleware see; a streamed or file body
    stays in the Bolt response it carries."""
    from django.http import HttpResponse

    streamed = isinstance(response, (StreamingResponse, FileResponse))
    status, headers, body = response.to_wire() if not streamed else (*response.to_wire()[:2], b"")
    django_response = HttpResponse(body, status=status)
    del django_response["Content-Type"]
    for name, value in headers:
        if name.lower() != "set-cookie":
            django_response[name] = value
    django_response.bolt_response = response if streamed else None
    django_response.bolt_cookies = response.cookies
    return django_response


def _bolt_response(django_response: Any) -> Response:
    """The Bolt response to send for what the Django middleware returned."""
    carried = getattr(django_response, "bolt_response", None)
    cookies = [*getattr(django_response, "bolt_cookies", ())]
    cookies += [morsel.OutputString() for morsel in django_response.cookies.values()]
    headers = {
        name: value for name, value in django_response.items() if name.lower() not in _BODY_HEADERS
    }
    if carried is not None:
        carried.status_code = django_response.status_code
        carried.headers = headers
        carried.cookies = cookies
        return carried
    if django_response.streaming:
        body = b"".join(_chunks(django_response))
    else:
        body = django_response.content
    response = Response(body, django_response.status_code, headers, media_type=None)
    response.cookies = cookies
    django_response.close()
    return response


def _chunks(django_response: Any) -> Iterable[bytes]:
    if getattr(django_response, "is_async", False):
        raise TypeError(
            "a Django middleware returned an async StreamingHttpResponse; return a Bolt "
            "StreamingResponse from the handler instead"
        )
    return django_response.streaming_content
