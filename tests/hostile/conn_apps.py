"""A small ASGI app for the connection attack tests: ``/count`` counts its calls,
``/calls`` reports the count, ``/slow`` answers after ``?seconds=``,
``/abort-on-disconnect`` returns without answering when its body cannot be read (as
Django's handler does), anything else answers ``ok`` after reading the body."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

CALLS = {"count": 0}


async def _read_body(receive) -> bytes | None:
    """The request body, or None if the client disconnected first."""
    body, more = b"", True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return None
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = message["type"].rsplit(".", 1)[-1]
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    path = scope["path"]
    if path == "/count":
        CALLS["count"] += 1
    if path == "/slow":
        query = parse_qs(scope["query_string"].decode())
        await asyncio.sleep(float(query.get("seconds", ["1"])[0]))
    body = str(CALLS["count"]).encode() if path == "/calls" else b"ok"
    if await _read_body(receive) is None and path == "/abort-on-disconnect":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})
