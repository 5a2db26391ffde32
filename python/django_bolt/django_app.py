"""Django behind django-bolt: its sync request handling run on a worker thread, one hop.

Django's own ``ASGIHandler`` crosses between the event loop and threads several times
per request (the ``request_started`` signal, the middleware chain, ``response.close()``)
and starts a disconnect-listener Task beside every view. Here the whole of Django's
handling - signals, the middleware chain in sync mode, the view, closing the response -
runs in one call on a worker thread, as under a WSGI server, and only sending the
response happens on the loop. Async views still work: asgiref runs them on the server's
event loop from the worker thread, as it does under any ASGI server.

It is still an ASGI 3.0 application, so the server needs nothing special for it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

#: Worker threads when none is asked for: enough for views that wait on a database,
#: few enough that they do not fight over the GIL.
DEFAULT_THREADS = 4

_T = TypeVar("_T")


class DjangoApplication(ASGIHandler):
    """Django's ASGI handler, with each request handled by one call on a worker thread."""

    def __init__(self, threads: int = DEFAULT_THREADS) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="django")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}")
        await self.handle(scope, receive, send)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response, content = await self._on_thread(self._respond_on_thread, scope, body_file)
            if content is None:
                try:
                    await self.send_response(response, send)
                finally:
                    await self._on_thread(response.close)
            else:
                await send(_start(response))
                await send({"type": "http.response.body", "body": content})
        finally:
            body_file.close()

    async def read_body(self, receive: Any) -> Any:
        """The request body as a file. One that came whole in the first message and fits
        in memory by ``FILE_UPLOAD_MAX_MEMORY_SIZE`` (every GET, most POSTs) is wrapped
        as it is; Django's spooled temporary file is made only for the rest."""
        message = await receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            body = message.get("body", b"")
            if len(body) <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE:
                return io.BytesIO(body)
        return await super().read_body(_replaying(message, receive))

    def _respond_on_thread(
        self, scope: dict[str, Any], body_file: Any
    ) -> tuple[HttpResponseBase, bytes | None]:
        """Django's whole handling of one request; a complete body comes back closed."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if response.streaming:
            return response, None
        content = response.content
        response.close()
        return response, content

    async def _on_thread(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(*args)`` on a worker thread, in a copy of this context: the hop of
        asgiref's ``sync_to_async(thread_sensitive=False)`` without its per-call
        bookkeeping (the context copied back, exception chaining), which cost more than
        the hop itself. It goes through ``loop.run_in_executor``, where a test client's
        loop moves it to the test's thread. Cancelled (the client left), the call still
        finishes on its thread, and a streaming response it made is closed there."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        done = loop.run_in_executor(self._executor, _in_context, loop, context, function, *args)
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            done.add_done_callback(functools.partial(_close_abandoned, loop, self._executor))
            raise


def _in_context(
    loop: asyncio.AbstractEventLoop,
    context: contextvars.Context,
    function: Callable[..., _T],
    *args: Any,
) -> _T:
    # Where asgiref's async_to_sync (an async view, say) runs its coroutines: this loop.
    local = SyncToAsync.threadlocal
    local.main_event_loop = loop
    local.main_event_loop_pid = os.getpid()
    return context.run(function, *args)


def _replaying(first: dict[str, Any], receive: Any) -> Any:
    """``receive``, giving ``first`` (already received) once before the rest."""
    pending = [first]

    async def replay() -> dict[str, Any]:
        return pending.pop() if pending else await receive()

    return replay


def _close_abandoned(
    loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor, done: asyncio.Future
) -> None:
    """Close, on a worker thread (Django's connections are per thread), the streaming
    response of a request whose client left while Django ran; a complete one was
    closed on its thread already."""
    if done.cancelled() or done.exception() is not None:
        return
    result = done.result()
    if isinstance(result, tuple) and result[1] is None:
        loop.run_in_executor(executor, result[0].close)


def _start(response: HttpResponseBase) -> dict[str, Any]:
    """The ``http.response.start`` message of a response, cookies included."""
    headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
    headers.extend(
        (b"set-cookie", cookie.output(header="").encode("ascii").strip())
        for cookie in response.cookies.values()
    )
    return {"type": "http.response.start", "status": response.status_code, "headers": headers}


def get_django_application(threads: int = DEFAULT_THREADS) -> DjangoApplication:
    """Set Django up, as ``get_asgi_application`` does, and return the application."""
    import django

    django.setup(set_prefix=False)
    return DjangoApplication(threads)
