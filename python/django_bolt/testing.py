"""``TestClient`` and ``AsyncTestClient``: httpx clients whose transport runs each request
through the server's own Rust pipeline, in process (routing, validation, auth,
middleware, the ASGI app), without a socket. ``WebSocketTestClient``: one WebSocket
of such a client, for async tests.

The server's event loop runs on a thread of its own. While the test waits for an answer,
every piece of sync work the server would hand to a worker thread (sync handlers, the
ORM behind ``sync_to_async``, Django views) runs on the test's thread instead, as under
Django's own test client: the route uses the test's database connection, so
``django.test.TestCase`` and pytest-django's ``db`` fixture see the route's writes and
roll them back.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, BinaryIO, TypeVar

import httpx
from asgiref.current_thread_executor import CurrentThreadExecutor
from asgiref.sync import AsyncToSync, sync_to_async

from ._core import App, Bridge, InProcess
from .api import BoltAPI, route_table
from .hosts import allowed_hosts
from .lifespan import Lifespan
from .mounts import with_mounts
from .not_found import ownership
from .openapi import docs_assets
from .static_files import served
from .testing_websocket import WebSocketRejected, WebSocketTestSession
from .websocket import WebSocketDisconnect

__all__ = [
    "AsyncTestClient",
    "ConnectionClosed",
    "HandshakeRejected",
    "TestClient",
    "WebSocketRejected",
    "WebSocketTestClient",
    "WebSocketTestSession",
    "multipart",
]

T = TypeVar("T")

#: The host every request names unless the test says otherwise; Django's test client
#: uses the same, and it is allowed as under Django's test runner.
BASE_URL = "http://testserver"


class _TestLoop(asyncio.SelectorEventLoop):
    """The server's event loop under a test client.

    While a test waits on it (``caller`` set), work sent to any thread pool runs on the
    test's thread instead; otherwise where it was sent.
    """

    def __init__(self) -> None:
        super().__init__()
        self.caller: CurrentThreadExecutor | None = None
        #: Exceptions the app raised (turned into 500s) during the current call.
        self.server_errors: list[BaseException] = []

    def run_in_executor(self, executor: Any, func: Callable[..., T], *args: Any) -> Any:
        # A CurrentThreadExecutor is already a test thread waiting (asgiref's nested
        # async_to_sync): sending its work elsewhere would deadlock. Work of a task an
        # async_to_sync of the test's thread started (the layers inside Django
        # middleware) goes to that one, which the thread is waiting in.
        if self.caller is not None and not isinstance(executor, CurrentThreadExecutor):
            executor = getattr(AsyncToSync.executors, "current", None) or self.caller
        return super().run_in_executor(executor, func, *args)


class _InProcessServer:
    """A server without sockets: ``App`` on a loop of its own thread, the ASGI app's
    lifespan around it, and calls into it from the test's thread."""

    def __init__(
        self, routes: Any, asgi: Any, proxy: dict[str, Any], static_files: Any = None
    ) -> None:
        self._routes = routes
        self._static_files = static_files
        self._asgi = asgi
        self._proxy = proxy
        self._lock = threading.Lock()
        self._loop: _TestLoop | None = None
        self._thread: threading.Thread | None = None
        self._bridge: Bridge | None = None
        self._lifespan: Lifespan | None = None
        self.app: InProcess | None = None

    @property
    def errors(self) -> list[BaseException]:
        return self._loop.server_errors if self._loop is not None else []

    def start(self) -> None:
        """Start the loop and run the ASGI app's lifespan startup (once)."""
        with self._lock:
            if self._loop is not None:
                return
            loop = self._loop = _TestLoop()
            self._bridge = Bridge()
            self._bridge.attach(loop)
            self._thread = threading.Thread(
                target=loop.run_forever, name="bolt-test-server", daemon=True
            )
            self._thread.start()
        asgi = None if self._asgi is None else _Recorded(self._asgi, loop.server_errors)
        lifespan = Lifespan(asgi)
        try:
            # As Django's test runner: its test client's host is allowed.
            hosts = allowed_hosts(extra=["testserver"])
            app = App(
                self._bridge,
                self._routes,
                asgi,
                state=lifespan.state,
                allowed_hosts=hosts,
                static_files=self._static_files,
                **self._proxy,
            )
            self.app = InProcess(app)
            self.call(lifespan.startup)
        except BaseException:
            self.stop()
            raise
        self._lifespan = lifespan

    def stop(self) -> None:
        """Run the lifespan shutdown, then stop and close the loop."""
        with self._lock:
            loop, thread, bridge = self._loop, self._thread, self._bridge
            if loop is None or thread is None or bridge is None:
                return
            lifespan, self._lifespan = self._lifespan, None
        try:
            if lifespan is not None:
                self.call(lifespan.shutdown)
        finally:
            with self._lock:
                self._loop = self._thread = self._bridge = self.app = None
            loop.call_soon_threadsafe(bridge.detach, loop)
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def call(self, make: Callable[[], Awaitable[T]]) -> T:
        """Await ``make()`` on the server's loop and return its result; meanwhile the
        server's sync work runs on this thread."""
        if self._loop is None:
            self.start()
        loop = self._loop
        assert loop is not None
        caller = CurrentThreadExecutor(None)

        async def run() -> T:
            outer, loop.caller = loop.caller, caller
            try:
                return await make()
            finally:
                loop.caller = outer

        with _DjangoRequestOnTestThread(loop.server_errors):
            future = asyncio.run_coroutine_threadsafe(run(), loop)
            caller.run_until_future(future)
        return future.result()


class _Recorded:
    """The ASGI app, with what it raises noted for ``raise_server_exceptions``."""

    def __init__(self, app: Any, errors: list[BaseException]) -> None:
        self.app = app
        self.errors = errors

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            if scope["type"] != "lifespan":
                self.errors.append(exc)
            raise


class _DjangoRequestOnTestThread:
    """As Django's test client: while a request runs on the test's thread, Django's
    ``close_old_connections`` stays off ``request_started``/``request_finished`` (it
    would close the test's connection in the middle of its transaction), and what a
    Django view raised is noted for ``raise_server_exceptions``."""

    def __init__(self, errors: list[BaseException]) -> None:
        self._errors = errors
        self._thread = threading.current_thread()
        self._signals = _django_signals()

    def __enter__(self) -> None:
        if self._signals is None:
            return
        started, finished, got_exception, close_old_connections = self._signals
        started.disconnect(close_old_connections)
        finished.disconnect(close_old_connections)
        got_exception.connect(self._noted, dispatch_uid=id(self), weak=False)

    def _noted(self, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is not None and threading.current_thread() is self._thread:
            self._errors.append(exc)

    def __exit__(self, *exc_info: object) -> None:
        if self._signals is None:
            return
        started, finished, got_exception, close_old_connections = self._signals
        got_exception.disconnect(dispatch_uid=id(self))
        started.connect(close_old_connections)
        finished.connect(close_old_connections)


def _django_signals() -> tuple[Any, Any, Any, Any] | None:
    """Django's request signals and ``close_old_connections``, once Django is set up."""
    try:
        from django.apps import apps
    except ImportError:
        return None
    if not apps.ready:
        return None
    from django.core.signals import got_request_exception, request_finished, request_started
    from django.db import close_old_connections

    return request_started, request_finished, got_request_exception, close_old_connections


class BoltTransport(httpx.BaseTransport):
    """An httpx transport into the in-process server."""

    def __init__(
        self,
        server: _InProcessServer,
        *,
        raise_server_exceptions: bool = True,
        base_url: str = BASE_URL,
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        self.server = server
        self.raise_server_exceptions = raise_server_exceptions
        self.base_url = httpx.URL(base_url)
        self.client = client

    def __enter__(self) -> BoltTransport:
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.server.stop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        headers = [(name.decode("latin-1").lower(), value) for name, value in request.headers.raw]
        url = request.url
        target = url.raw_path.decode("ascii")
        if url.netloc != self.base_url.netloc:
            # A URL naming another host than base_url's goes in the absolute form (as a
            # proxy would be asked), so the server checks that host, not only Host.
            target = f"{url.scheme}://{url.netloc.decode('ascii')}{target}"
        self.server.start()
        del self.server.errors[:]
        status, response_headers, reader = self.server.call(
            lambda: self.server.app.request(request.method, target, headers, body, self.client)
        )
        self._raise_noted()
        return httpx.Response(
            status,
            headers=response_headers,
            stream=_BodyStream(self, reader),
            request=request,
        )

    def _raise_noted(self) -> None:
        """Raise the first exception the app raised, unless the test asked for the 500."""
        errors = self.server.errors
        if errors and self.raise_server_exceptions:
            error = errors[0]
            del errors[:]
            raise error


class _BodyStream(httpx.SyncByteStream):
    """The response body, read from the server as the test reads it."""

    def __init__(self, transport: BoltTransport, reader: Any) -> None:
        self._transport = transport
        self._reader = reader

    def __iter__(self) -> Iterator[bytes]:
        server = self._transport.server
        while chunk := server.call(self._reader.read):
            yield chunk
        self._transport._raise_noted()

    def close(self) -> None:
        if self._transport.server.app is not None:
            self._transport.server.call(self._reader.close)


class TestClient(httpx.Client):
    """An httpx ``Client`` that calls routes of ``api`` (and, for other paths, the ASGI
    app ``asgi``) in process, through the server's own Rust pipeline.

    Usable with or without ``with``; the ASGI app's lifespan startup runs on the first
    request (or on entering ``with``) and its shutdown on ``close()``. An exception a
    handler or the ASGI app raises is raised again in the test unless
    ``raise_server_exceptions=False``, which gives the 500 response instead.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        api: BoltAPI | list[BoltAPI] | None = None,
        *,
        asgi: Any = None,
        debug: bool = True,
        raise_server_exceptions: bool = True,
        base_url: str = BASE_URL,
        forwarded_allow_ips: str = "",
        proxy_headers: str = "x-forwarded",
        forwarded_host: bool = False,
        use_http_layer: bool = True,
        **kwargs: Any,
    ) -> None:
        """``forwarded_allow_ips``, ``proxy_headers`` and ``forwarded_host`` are the
        server's flags of the same names; requests come from 127.0.0.1.
        ``use_http_layer`` is accepted for code written for the original django-bolt:
        every request here goes through the whole HTTP pipeline. Other keyword
        arguments go to ``httpx.Client`` (``headers``, ``cookies``, ``auth``,
        ``follow_redirects``, ``timeout``...)."""
        del use_http_layer
        self._server = _server(api, asgi, debug, forwarded_allow_ips, proxy_headers, forwarded_host)
        transport = BoltTransport(
            self._server, raise_server_exceptions=raise_server_exceptions, base_url=base_url
        )
        super().__init__(base_url=base_url, transport=transport, **kwargs)

    def query(self, url: str, **kwargs: Any) -> httpx.Response:
        """A ``QUERY`` request (``json=``, ``content=``... as for ``post``)."""
        return self.request("QUERY", url, **kwargs)

    def websocket_connect(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        subprotocols: list[str] | None = None,
    ) -> WebSocketTestSession:
        """Open a WebSocket to ``path`` in process; use the result in a ``with`` block.

        The handshake is built as this client builds a request: its ``base_url``, its
        default headers and its cookie jar, with ``params``, ``headers`` and ``cookies``
        on top. Raises WebSocketRejected (with the HTTP ``response``) if the server
        refuses.
        """
        server = self._server
        request = self.build_request("GET", path, params=params, headers=headers)
        if cookies:
            pairs = [request.headers["cookie"]] if "cookie" in request.headers else []
            pairs += [f"{name}={value}" for name, value in cookies.items()]
            request.headers["cookie"] = "; ".join(pairs)
        target = request.url.raw_path.decode("ascii")
        header_list = [
            (name.decode("latin-1").lower(), value)
            for name, value in request.headers.raw
            if name.lower() != b"connection"  # the handshake's own Connection: Upgrade
        ]
        if subprotocols:
            header_list.append(("sec-websocket-protocol", ", ".join(subprotocols).encode()))
        server.start()
        (status, response_headers, content), socket = server.call(
            lambda: server.app.websocket(target, header_list)
        )
        response = httpx.Response(
            status,
            headers=response_headers,
            content=content,
            request=request,
        )
        if socket is None:
            raise WebSocketRejected(response)
        return WebSocketTestSession(server.call, socket, response.headers)


class AsyncTestClient(httpx.AsyncClient):
    """``TestClient`` as an ``httpx.AsyncClient``: ``async with AsyncTestClient(api) as
    client: await client.get(...)``.

    Each request is handed to the thread where ``sync_to_async`` runs thread-sensitive
    code (in a Django async test, the test's own thread), so the route uses the same
    database connection as the test.
    """

    __test__ = False

    def __init__(
        self,
        api: BoltAPI | list[BoltAPI] | None = None,
        *,
        asgi: Any = None,
        debug: bool = True,
        raise_server_exceptions: bool = True,
        base_url: str = BASE_URL,
        forwarded_allow_ips: str = "",
        proxy_headers: str = "x-forwarded",
        forwarded_host: bool = False,
        use_http_layer: bool = True,
        **kwargs: Any,
    ) -> None:
        del use_http_layer
        server = _server(api, asgi, debug, forwarded_allow_ips, proxy_headers, forwarded_host)
        sync = BoltTransport(
            server, raise_server_exceptions=raise_server_exceptions, base_url=base_url
        )
        super().__init__(base_url=base_url, transport=AsyncBoltTransport(sync), **kwargs)

    async def query(self, url: str, **kwargs: Any) -> httpx.Response:
        """A ``QUERY`` request (``json=``, ``content=``... as for ``post``)."""
        return await self.request("QUERY", url, **kwargs)


class AsyncBoltTransport(httpx.AsyncBaseTransport):
    """``BoltTransport`` driven from async code, on asgiref's thread-sensitive thread."""

    def __init__(self, sync: BoltTransport) -> None:
        self.sync = sync

    async def __aenter__(self) -> AsyncBoltTransport:
        await _on_test_thread(self.sync.server.start)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await _on_test_thread(self.sync.close)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await _on_test_thread(self.sync.handle_request, request)
        stream = response.stream
        assert isinstance(stream, _BodyStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers.raw,
            stream=_AsyncBodyStream(stream),
            request=request,
        )


class _AsyncBodyStream(httpx.AsyncByteStream):
    def __init__(self, stream: _BodyStream) -> None:
        self._chunks = iter(stream)
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        done = object()
        while (chunk := await _on_test_thread(next, self._chunks, done)) is not done:
            yield chunk

    async def aclose(self) -> None:
        await _on_test_thread(self._stream.close)


class ConnectionClosed(Exception):
    """The server closed the connection: raised by ``WebSocketTestClient``'s
    ``receive_*`` with the close frame's ``code`` and ``reason``."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(f"WebSocket closed with code {code}: {reason}")
        self.code = code
        self.reason = reason


class HandshakeRejected(WebSocketRejected, PermissionError):
    """The handshake was answered with ``status_code`` (401/403 from auth or guards, 403
    when the handler closed before accepting, 422 for a bad parameter) instead of a 101.
    A ``PermissionError`` too, as code written for the original django-bolt expects."""

    def __init__(self, response: Any) -> None:
        super().__init__(response)
        self.status_code = response.status_code


class WebSocketTestClient:
    """One WebSocket connection to an ``api`` route, used from async tests:
    ``async with WebSocketTestClient(api, "/ws/echo") as ws: await ws.send_text("hi")``.

    The handshake and frames go through the same in-process server as ``TestClient``
    (auth, guards, parameters checked in Rust). The blocking calls run in a worker
    thread so the test's own event loop keeps running.
    """

    __test__ = False

    def __init__(
        self,
        api: Any,
        path: str,
        headers: Mapping[str, str] | None = None,
        query_string: str = "",
        subprotocols: list[str] | None = None,
        **client_options: Any,
    ) -> None:
        """``client_options`` go to the ``TestClient`` underneath (``cookies``,
        ``base_url``, ``debug``...)."""
        self._client = TestClient(api, **client_options)
        self._target = f"{path}?{query_string}" if query_string else path
        self._headers = dict(headers or {})
        self._subprotocols = subprotocols
        self._session: WebSocketTestSession | None = None
        self.close_code: int | None = None
        self.close_reason = ""

    async def __aenter__(self) -> WebSocketTestClient:
        try:
            self._session = await asyncio.to_thread(
                self._client.websocket_connect,
                self._target,
                headers=self._headers,
                subprotocols=self._subprotocols,
            )
        except WebSocketRejected as refused:
            await asyncio.to_thread(self._client.close)
            raise HandshakeRejected(refused.response) from None
        except BaseException:
            await asyncio.to_thread(self._client.close)
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self.close()
        finally:
            await asyncio.to_thread(self._client.close)

    @property
    def _open(self) -> WebSocketTestSession:
        if self._session is None:
            raise RuntimeError("use the WebSocketTestClient in 'async with' first")
        return self._session

    @property
    def accepted(self) -> bool:
        return self._session is not None

    @property
    def closed(self) -> bool:
        return self.close_code is not None

    @property
    def accepted_subprotocol(self) -> str | None:
        return self._open.subprotocol

    async def _call(
        self, method: Callable[..., Any], *args: Any, timeout: float | None = None
    ) -> Any:
        try:
            call = asyncio.to_thread(method, *args)
            return await (call if timeout is None else asyncio.wait_for(call, timeout))
        except WebSocketDisconnect as closed:
            self.close_code, self.close_reason = closed.code, closed.reason
            raise ConnectionClosed(closed.code, closed.reason) from None
        except TimeoutError:
            raise TimeoutError(f"No message received within {timeout}s") from None

    async def send_text(self, data: str) -> None:
        await self._call(self._open.send_text, data)

    async def send_bytes(self, data: bytes) -> None:
        await self._call(self._open.send_bytes, data)

    async def send_json(self, data: Any, mode: str = "text") -> None:
        await self._call(self._open.send_json, data, mode)

    async def receive_text(self, timeout: float = 5.0) -> str:
        return await self._call(self._open.receive_text, timeout=timeout)

    async def receive_bytes(self, timeout: float = 5.0) -> bytes:
        return await self._call(self._open.receive_bytes, timeout=timeout)

    async def receive_json(self, timeout: float = 5.0) -> Any:
        return await self._call(self._open.receive_json, timeout=timeout)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close (unless the server has) and wait until the handler has finished."""
        if self._session is None:
            return
        await asyncio.to_thread(self._session.close, code, reason)
        if self.close_code is None:
            self.close_code, self.close_reason = self._session._closed or (code, reason)

    async def _iterate(
        self, receive: Callable[..., Awaitable[Any]], timeout: float
    ) -> AsyncIterator[Any]:
        while not self.closed:
            try:
                yield await receive(timeout)
            except (ConnectionClosed, TimeoutError):
                return

    def iter_text(self, timeout: float = 5.0) -> AsyncIterator[str]:
        return self._iterate(self.receive_text, timeout)

    def iter_bytes(self, timeout: float = 5.0) -> AsyncIterator[bytes]:
        return self._iterate(self.receive_bytes, timeout)

    def iter_json(self, timeout: float = 5.0) -> AsyncIterator[Any]:
        return self._iterate(self.receive_json, timeout)


def _on_test_thread(func: Callable[..., T], *args: Any) -> Awaitable[T]:
    return sync_to_async(func, thread_sensitive=True)(*args)


def _server(
    api: BoltAPI | list[BoltAPI] | None,
    asgi: Any,
    debug: bool,
    forwarded_allow_ips: str,
    proxy_headers: str,
    forwarded_host: bool,
) -> _InProcessServer:
    apis = [] if api is None else api if isinstance(api, list) else [api]
    routes = route_table(apis, debug=debug, owned=ownership(apis, asgi)) if apis else None
    proxy = {
        "forwarded_allow_ips": forwarded_allow_ips,
        "proxy_headers": proxy_headers,
        "forwarded_host": forwarded_host,
    }
    docs = docs_assets(apis)
    asgi = with_mounts(apis, asgi)
    return _InProcessServer(routes, asgi, proxy, served([docs] if docs else []))


#: ``files=`` as httpx takes it: ``{"field": (filename, content[, content_type])}``, or a
#: list of ``(field, file)`` pairs to send several files under one field; ``content`` is
#: bytes or a binary file object.
FileTuple = tuple[str, bytes | BinaryIO] | tuple[str, bytes | BinaryIO, str]
Files = Mapping[str, FileTuple] | list[tuple[str, FileTuple]]


def multipart(data: Mapping[str, Any], files: Files) -> tuple[bytes, str]:
    """A multipart/form-data body of the text fields ``data`` and ``files``, for
    clients without a multipart encoder of their own (the HTTP/3 tests)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, values in data.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            parts.append((f'name="{name}"', None, str(value).encode()))
    for name, (filename, content, *content_type) in (
        files.items() if isinstance(files, Mapping) else files
    ):
        media = content_type[0] if content_type else "application/octet-stream"
        payload = content if isinstance(content, bytes) else content.read()
        parts.append((f'name="{name}"; filename="{filename}"', media, payload))
    chunks = []
    for disposition, media, content in parts:
        head = f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n"
        if media is not None:
            head += f"Content-Type: {media}\r\n"
        chunks += [f"{head}\r\n".encode(), content, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"
