"""Server-Sent Events: format events for ``StreamingResponse(..., media_type="text/event-stream")``.

from django_bolt import StreamingResponse
from django_bolt.sse import event

async def ticks():
    for n in range(3):
        yield event({"n": n}, event="tick", id=n)

return StreamingResponse(ticks(), media_type="text/event-stream")
"""

from __future__ import annotations

from typing import Any

import msgspec


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
        text = data if isinstance(data, str) else msgspec.json.encode(data).decode()
        lines.extend(f"data: {line}" for line in text.splitlines() or [""])
    return "\n".join(lines) + "\n\n"
