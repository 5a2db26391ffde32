"""Server-Sent Events.

``EventSourceResponse(generator)`` frames what the generator yields as events (a
``ServerSentEvent`` as given, ``str`` as its text, anything else as JSON) and sends a
``: ping`` comment whenever it has yielded nothing for ``ping_interval`` seconds, so
proxies keep the connection open. A route may instead be the generator itself:
``@api.get("/events", response_class=EventSourceResponse)``. When the client goes
away the generator is closed (its ``finally`` runs). The browser's reconnection sends
``Last-Event-ID``, which a handler reads as a header parameter::

    @api.get("/events", response_class=EventSourceResponse)
    async def events(last_event_id: Annotated[str | None, Header(alias="last-event-id")] = None):
        start = int(last_event_id or 0) + 1
        for n in range(start, start + 3):
            yield ServerSentEvent({"n": n}, id=n, retry=5000)

``event(...)`` and ``format_sse_event(...)`` build one event's text and bytes, for a
``StreamingResponse(..., media_type="text/event-stream")`` of your own. Responses of
this media type are never compressed (compression would hold events back).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec

from .responses import StreamingResponse

__all__ = ["EventSourceResponse", "ServerSentEvent", "event", "format_sse_event"]

DEFAULT_PING_INTERVAL = 15.0
PING = b": ping\n\n"
#: What a step of the iterator returns once it is exhausted.
_DONE = object()


def event(
    data: Any = None,
    *,
    event: str | None = None,
    id: str | int | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> str:
    """One event. ``data`` that is not ``str`` is sent as JSON; multi-line data becomes
    several ``data:`` lines, as the SSE format requires."""
    if data is not None and not isinstance(data, str):
        data = msgspec.json.encode(data).decode()
    return _frame(data, event, id, retry, comment)


def _frame(
    data: str | None,
    event: str | None,
    id: str | int | None,
    retry: int | None,
    comment: str | None,
) -> str:
    lines = []
    if comment is not None:
        lines.extend(f": {line}" for line in comment.splitlines() or [""])
    for field, value in (("event", event), ("id", id)):
        if value is not None:
            text = str(value)
            if "\n" in text or "\r" in text:
                raise ValueError(f"an SSE {field} cannot contain a line break")
            lines.append(f"{field}: {text}")
    if retry is not None:
        lines.append(f"retry: {int(retry)}")
    if data is not None:
        lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return "\n".join(lines) + "\n\n"


def format_sse_event(
    data_str: str | None = None,
    *,
    data_bytes: bytes | None = None,
    event: str | None = None,
    id: str | int | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """One event as bytes, its data given as text (``data_str``) or UTF-8 bytes."""
    if data_bytes is not None:
        if data_str is not None:
            raise ValueError("pass data_str or data_bytes, not both")
        data_str = data_bytes.decode()
    return _frame(data_str, event, id, retry, comment).encode()


class ServerSentEvent:
    """One event with its fields: ``data`` is sent as JSON (``raw_data`` as written),
    ``event`` its type, ``id`` what the browser sends back as ``Last-Event-ID``,
    ``retry`` the reconnection delay in milliseconds, ``comment`` a ``:`` line."""

    __slots__ = ("comment", "data", "event", "id", "raw_data", "retry")

    def __init__(
        self,
        data: Any = None,
        *,
        raw_data: str | None = None,
        event: str | None = None,
        id: str | int | None = None,
        retry: int | None = None,
        comment: str | None = None,
    ) -> None:
        if data is not None and raw_data is not None:
            raise ValueError("ServerSentEvent takes data (sent as JSON) or raw_data, not both")
        if retry is not None and (isinstance(retry, bool) or not isinstance(retry, int)):
            raise TypeError(f"ServerSentEvent retry is milliseconds as an int, not {retry!r}")
        self.data, self.raw_data = data, raw_data
        self.event, self.id, self.retry, self.comment = event, id, retry, comment

    def encode(self) -> bytes:
        data = self.raw_data
        if data is None and self.data is not None:
            data = msgspec.json.encode(self.data).decode()
        return format_sse_event(
            data, event=self.event, id=self.id, retry=self.retry, comment=self.comment
        )

    def __repr__(self) -> str:
        return f"ServerSentEvent(data={self.data!r}, event={self.event!r}, id={self.id!r})"


def _encode(item: Any) -> bytes:
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, bytes):
        return format_sse_event(data_bytes=item)
    if isinstance(item, str):
        return format_sse_event(item)
    return format_sse_event(data_bytes=msgspec.json.encode(item))


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
        super().__init__(_events(content, ping_interval), status_code, headers)

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


async def _events(content: Any, ping_interval: float | None) -> AsyncIterator[bytes]:
    """The framed events of ``content``, with pings while it is idle. Closed by the
    server when the client leaves: the pending step is cancelled and ``content``
    closed, so the generator's ``finally`` runs."""
    if hasattr(content, "__aiter__"):
        iterator = content.__aiter__()

        async def step() -> Any:
            try:
                return await iterator.__anext__()
            except StopAsyncIteration:
                return _DONE

    else:
        iterator = iter(content)

        async def step() -> Any:
            return await asyncio.to_thread(next, iterator, _DONE)

    pending: asyncio.Future[Any] | None = None
    try:
        while True:
            pending = asyncio.ensure_future(step())
            while not (await asyncio.wait({pending}, timeout=ping_interval))[0]:
                yield PING
            item, pending = pending.result(), None
            if item is _DONE:
                return
            yield _encode(item)
    finally:
        if pending is not None:
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)
        if hasattr(iterator, "aclose"):
            await iterator.aclose()
        elif hasattr(iterator, "close") and pending is None:
            iterator.close()
