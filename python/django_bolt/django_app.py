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

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

#: Worker threads when none is asked for: enough for views that wait on a database,
#: few enough that they do not fight over the GIL.
DEFAULT_THREADS = 4


class DjangoApplication(ASGIHandler):
    """Django's ASGI handler, with each request handled by one call on a worker thread."""

    def __init__(self, threads: int = DEFAULT_THREADS) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="django")
        self._respond = sync_to_async(
            self._respond_on_thread, thread_sensitive=False, executor=self._executor
        )
        self._close = sync_to_async(
            self._close_on_thread, thread_sensitive=False, executor=self._executor
        )

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
            response, content = await self._respond(scope, body_file)
            if content is None:
                try:
                    await self.send_response(response, send)
                finally:
                    await self._close(response)
            else:
                await send(_start(response))
                await send({"type": "http.response.body", "body": content})
        finally:
            body_file.close()

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

    @staticmethod
    def _close_on_thread(response: HttpResponseBase) -> None:
        response.close()


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
