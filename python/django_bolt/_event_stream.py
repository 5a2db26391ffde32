"""The body of a ``text/event-stream`` response: events framed as the SSE format
asks, and pings while the source is idle.

Kept apart from ``EventSourceResponse`` (in ``responses.py``, a ``StreamingResponse``)
so that ``responses`` can offer the SSE names, as the original does, without importing
``sse.py``, which offers them too. ``sse.py`` is the public face of both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec

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


def encode(item: Any) -> bytes:
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, bytes):
        return format_sse_event(data_bytes=item)
    if isinstance(item, str):
        return format_sse_event(item)
    return format_sse_event(data_bytes=msgspec.json.encode(item))


async def events(content: Any, ping_interval: float | None) -> AsyncIterator[bytes]:
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
            yield encode(item)
    finally:
        if pending is not None:
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)
        if hasattr(iterator, "aclose"):
            await iterator.aclose()
        elif hasattr(iterator, "close") and pending is None:
            iterator.close()
