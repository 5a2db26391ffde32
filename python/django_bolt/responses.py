"""Response types a handler may return instead of plain data, Server-Sent Events'
``EventSourceResponse`` among them (``sse.py`` offers the SSE names too)."""

from __future__ import annotations

import functools
import inspect
import mimetypes
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import msgspec

from ._core import SendFile
from ._event_stream import DEFAULT_PING_INTERVAL, events
from ._event_stream import ServerSentEvent as ServerSentEvent  # the original's import path
from ._event_stream import format_sse_event as format_sse_event  # the original's import path
from .cookies import Cookie, make_delete_cookie
from .uploads import UploadFile  # noqa: F401 - imported from here by code for the original

_encoder = msgspec.json.Encoder()

#: What Rust sends: ``(status, [(name, value), ...], body)``; the body of a
#: FileResponse names the file instead.
Wire = tuple[int, list[tuple[str, str]], bytes | SendFile]


class Encoded:
    """A result already encoded (``wire``), sent as it is: what a route returns when
    its response had to be made before Rust's ``finalize`` (dependencies, the ORM)."""

    __slots__ = ("wire",)

    def __init__(self, wire: Wire) -> None:
        self.wire = wire


class Response:
    """A response with explicit status, headers and media type.

    ``content`` that is not ``bytes`` or ``str`` is encoded as JSON.
    """

    media_type: str | None = "application/json"

    def __init__(
        self,
        content: Any = b"",
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        self.content = content
        self.status_code = status_code
        self.headers: dict[str, str] = dict(headers or {})
        #: ``Set-Cookie`` values: strings, or ``Cookie``s appended directly.
        self.cookies: list[str | Cookie] = []
        if media_type is not None:
            self.media_type = media_type

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["Strict", "Lax", "None"] | None = "Lax",
    ) -> Response:
        """Add a ``Set-Cookie`` header; returns the response so calls chain."""
        cookie = Cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite)
        self.cookies.append(cookie.to_header_value())
        return self

    def delete_cookie(
        self, key: str, path: str | None = "/", domain: str | None = None
    ) -> Response:
        """Expire the cookie ``key`` in the client."""
        self.cookies.append(make_delete_cookie(key, path, domain).to_header_value())
        return self

    def render(self) -> bytes:
        if isinstance(self.content, bytes):
            return self.content
        if isinstance(self.content, str):
            return self.content.encode()
        return _encoder.encode(self.content)

    def to_wire(self) -> Wire:
        headers = list(self.headers.items())
        if self.media_type and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("content-type", self.media_type))
        headers.extend(("set-cookie", str(cookie)) for cookie in self.cookies)
        return self.status_code, headers, self.render()


class JSON(Response):
    """``content`` encoded as JSON with msgspec."""

    media_type = "application/json"

    def render(self) -> bytes:
        return _encoder.encode(self.content)


class PlainText(Response):
    media_type = "text/plain; charset=utf-8"


class HTML(Response):
    media_type = "text/html; charset=utf-8"


class Redirect(Response):
    """A redirect to ``url``: 302 unless another 3xx ``status_code`` is given."""

    media_type = None

    def __init__(self, url: str, status_code: int = 302, headers: dict[str, str] | None = None):
        if not 300 <= status_code < 400:
            raise ValueError(f"a redirect needs a 3xx status code, not {status_code}")
        super().__init__(b"", status_code, {**(headers or {}), "location": url})


class StreamingResponse(Response):
    """A body produced piece by piece by a sync or async iterator of ``str``/``bytes``.

    Each piece is sent as soon as it is produced (no buffering, no Content-Length), so
    ``media_type="text/event-stream"`` serves Server-Sent Events. If the client goes
    away, the iterator is closed (its ``finally`` runs).
    """

    media_type = "application/octet-stream"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type)

    def head(self) -> tuple[int, list[tuple[bytes, bytes]]]:
        status, headers, _ = super().to_wire()
        if self.media_type == "text/event-stream":
            headers.append(("cache-control", "no-cache"))
        return status, [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]

    def render(self) -> bytes:
        return b""


class EventSourceResponse(StreamingResponse):
    """A ``text/event-stream`` response of the events a (sync or async) iterator
    yields, with a ``: ping`` after each ``ping_interval`` seconds without one
    (``None``: no pings)."""

    media_type = "text/event-stream"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        ping_interval: float | None = DEFAULT_PING_INTERVAL,
    ) -> None:
        if ping_interval is not None and not ping_interval > 0:
            raise ValueError("ping_interval must be a positive number of seconds, or None")
        if not (hasattr(content, "__aiter__") or hasattr(content, "__iter__")):
            raise TypeError(f"EventSourceResponse takes an iterator of events, not {content!r}")
        headers = {"X-Accel-Buffering": "no", **(headers or {})}
        super().__init__(events(content, ping_interval), status_code, headers)

    @classmethod
    def route_handler(cls, handler: Callable[..., Any]) -> Callable[..., Any]:
        """A route handler answering with this response of ``handler``'s events, for a
        handler that is itself a generator (``response_class=EventSourceResponse``)."""
        if not (inspect.isasyncgenfunction(handler) or inspect.isgeneratorfunction(handler)):
            raise TypeError(
                f"{handler.__qualname__}: response_class=EventSourceResponse takes a generator "
                "function (one that yields its events)"
            )

        @functools.wraps(handler)
        async def respond(*args: Any, **kwargs: Any) -> EventSourceResponse:
            return cls(handler(*args, **kwargs))

        signature = inspect.signature(handler)
        respond.__signature__ = signature.replace(return_annotation=inspect.Signature.empty)  # type: ignore[attr-defined]
        respond.__annotations__ = {
            name: hint for name, hint in handler.__annotations__.items() if name != "return"
        }
        return respond


class FileResponse(Response):
    """A file sent by the server itself (Rust reads it; Python never holds its bytes).

    ``filename`` adds ``Content-Disposition: attachment``; the media type is guessed
    from the name when not given. The server answers ``Range`` requests (206/416) and
    conditional ones (``ETag``/``Last-Modified``, 304), and HEAD with headers only, and
    sends ``X-Content-Type-Options: nosniff`` so browsers keep to the media type.

    ``path`` may not climb with ``..``. To serve a path that comes from the request,
    pass ``root=``: ``path`` is then taken relative to ``root`` and the file it
    resolves to (symbolic links followed) must lie inside ``root``. A missing file, or
    one that breaks these rules, is answered with 404.

    Dotfiles (any segment of ``path``, or of what it resolves to under ``root``, that
    starts with ``.``: ``.env``, ``.git/config``) are 404 unless ``allow_dotfiles=True``.

    ``content_disposition_type="attachment"`` makes browsers download the file rather
    than render it (use it for files users uploaded: an HTML or SVG file shown inline
    runs its script in the site's origin); the name is ``filename`` or the path's last
    segment, encoded per RFC 6266 / RFC 5987. ``"inline"`` names the file but lets the
    browser show it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        filename: str | None = None,
        media_type: str | None = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        root: str | os.PathLike[str] | None = None,
        *,
        allow_dotfiles: bool = False,
        content_disposition_type: str | None = None,
    ) -> None:
        if content_disposition_type not in (None, "attachment", "inline"):
            raise ValueError(
                "FileResponse content_disposition_type must be 'attachment' or 'inline', "
                f"not {content_disposition_type!r}"
            )
        self.path = os.fspath(path)
        self.root = None if root is None else os.fspath(root)
        self.allow_dotfiles = allow_dotfiles
        guessed = mimetypes.guess_type(filename or self.path)[0]
        headers = dict(headers or {})
        if filename is not None or content_disposition_type is not None:
            disposition = content_disposition_type or "attachment"
            name = filename if filename is not None else os.path.basename(self.path)
            headers.setdefault("content-disposition", _disposition(disposition, name))
        super().__init__(
            None, status_code, headers, media_type or guessed or "application/octet-stream"
        )

    def to_wire(self) -> Wire:
        status, headers, _ = super().to_wire()
        return status, headers, SendFile(self.path, self.root, self.allow_dotfiles)

    def render(self) -> bytes:
        return b""


#: The name code written for the original django-bolt uses for a file download; the
#: server sends the file itself, whatever its size.
File = FileResponse


def _disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback plus the UTF-8 name (RFC 5987) when it needs one."""
    fallback = filename.encode("ascii", "replace").decode()
    fallback = "".join(c for c in fallback if c.isprintable() and c not in '"\\')
    if fallback == filename:
        return f'{kind}; filename="{filename}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
