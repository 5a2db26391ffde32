"""``TestClient``: requests through the server's own Rust pipeline, in process."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO
from urllib.parse import urlencode

import msgspec

from ._core import App, Bridge
from .api import BoltAPI, route_table
from .hosts import allowed_hosts
from .testing_websocket import WebSocketRejected, WebSocketTestSession


class Headers(Mapping[str, str]):
    """Response headers, looked up case-insensitively; repeated headers joined by ', '."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> str:
        values = self.get_list(key)
        if not values:
            raise KeyError(key)
        return ", ".join(values)

    def get_list(self, key: str) -> list[str]:
        key = key.lower()
        return [v for k, v in self._items if k == key]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for k, _ in self._items))

    def __len__(self) -> int:
        return len(set(k for k, _ in self._items))

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class TestResponse:
    def __init__(self, status_code: int, headers: list[tuple[str, bytes]], content: bytes) -> None:
        self.status_code = status_code
        self.headers = Headers([(k, v.decode("latin-1")) for k, v in headers])
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return msgspec.json.decode(self.content)

    def __repr__(self) -> str:
        return f"<TestResponse {self.status_code}>"


#: ``files=`` as httpx takes it: ``{"field": (filename, content[, content_type])}``, or a
#: list of ``(field, file)`` pairs to send several files under one field; ``content`` is
#: bytes or a binary file object.
FileTuple = tuple[str, bytes | BinaryIO] | tuple[str, bytes | BinaryIO, str]
Files = Mapping[str, FileTuple] | list[tuple[str, FileTuple]]


def multipart(data: Mapping[str, Any], files: Files) -> tuple[bytes, str]:
    """A multipart/form-data body of the text fields ``data`` and ``files``."""
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


class TestClient:
    """Call routes of ``api`` (and, for other paths, the ASGI app ``asgi``) in process.

    Use it as a context manager; it runs its own event loop in the calling thread.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        api: BoltAPI | list[BoltAPI] | None = None,
        *,
        asgi: Any = None,
        debug: bool = True,
        forwarded_allow_ips: str = "",
        proxy_headers: str = "x-forwarded",
        forwarded_host: bool = False,
    ) -> None:
        """``forwarded_allow_ips``, ``proxy_headers`` and ``forwarded_host`` are the
        server's flags of the same names; requests come from 127.0.0.1."""
        apis = [] if api is None else api if isinstance(api, list) else [api]
        self._routes = route_table(apis, debug=debug) if apis else None
        self._asgi = asgi
        self._proxy = {
            "forwarded_allow_ips": forwarded_allow_ips,
            "proxy_headers": proxy_headers,
            "forwarded_host": forwarded_host,
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bridge: Bridge | None = None
        self._app: App | None = None

    def __enter__(self) -> TestClient:
        self._loop = asyncio.new_event_loop()
        self._bridge = Bridge()
        self._bridge.attach(self._loop)
        # As Django's test runner: its test client's host is allowed.
        hosts = allowed_hosts(extra=["testserver"])
        self._app = App(self._bridge, self._routes, self._asgi, allowed_hosts=hosts, **self._proxy)
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._loop is not None and self._bridge is not None
        self._bridge.detach(self._loop)
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()
        self._loop = self._bridge = self._app = None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | str | None = None,
        files: Files | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> TestResponse:
        app, loop = self._running()
        target, header_list = _target_and_headers(path, params, headers, cookies)
        body = b""
        if json is not None:
            body = msgspec.json.encode(json)
            header_list.append(("content-type", b"application/json"))
        elif files is not None:
            body, content_type = multipart(data or {}, files)
            header_list.append(("content-type", content_type.encode()))
        elif isinstance(data, Mapping):
            body = urlencode(data, doseq=True).encode()
            header_list.append(("content-type", b"application/x-www-form-urlencoded"))
        elif data is not None:
            body = data.encode() if isinstance(data, str) else data
        if body:
            header_list.append(("content-length", str(len(body)).encode()))
        future = app.request(method.upper(), target, header_list, body)
        status, response_headers, content = loop.run_until_complete(future)
        return TestResponse(status, response_headers, content)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("OPTIONS", path, **kwargs)

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

        Raises WebSocketRejected (with the HTTP ``response``) if the server refuses.
        """
        app, loop = self._running()
        target, header_list = _target_and_headers(path, params, headers, cookies)
        if subprotocols:
            header_list.append(("sec-websocket-protocol", ", ".join(subprotocols).encode()))
        future = app.websocket(target, header_list)
        (status, response_headers, content), socket = loop.run_until_complete(future)
        response = TestResponse(status, response_headers, content)
        if socket is None:
            raise WebSocketRejected(response)
        return WebSocketTestSession(loop, socket, response.headers)

    def _running(self) -> tuple[App, asyncio.AbstractEventLoop]:
        if self._app is None or self._loop is None:
            raise RuntimeError(
                "use TestClient as a context manager: `with TestClient(api) as client:`"
            )
        return self._app, self._loop


def _target_and_headers(
    path: str,
    params: Mapping[str, Any] | None,
    headers: Mapping[str, str] | None,
    cookies: Mapping[str, str] | None,
) -> tuple[str, list[tuple[str, bytes]]]:
    """The request target with its query string, and the headers every request has."""
    target = path
    if params:
        target += ("&" if "?" in path else "?") + urlencode(params, doseq=True)
    header_list = [(k.lower(), str(v).encode()) for k, v in (headers or {}).items()]
    if cookies:
        header_list.append(("cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    if all(name != "host" for name, _ in header_list):
        header_list.append(("host", b"testserver"))
    return target, header_list
