"""A small ASGI app for the supervision tests (``test_supervision.py``): each answer
names the process that gave it, and the version of the code it runs.

- ``GET /pid``: ``{"pid": ..., "version": ...}``; ``GET /slow?seconds=S`` the same
  after S seconds;
- ``/ws``: a WebSocket that echoes text, prefixed with the process id;
- ``SUPERVISED_VERSION_FILE``: the file whose text is the version, read at import, so
  a process started after it changed runs the new "code";
- ``SUPERVISED_FAIL_FILE``: while this file exists, the lifespan startup fails, so
  processes started meanwhile end at once;
- ``SUPERVISED_HANG_FILE``: while this file exists, the lifespan startup never ends.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from urllib.parse import parse_qs

_version_file = os.environ.get("SUPERVISED_VERSION_FILE")
VERSION = Path(_version_file).read_text() if _version_file else ""


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
    elif scope["type"] == "websocket":
        await _websocket(receive, send)
    else:
        await _http(scope, send)


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            hang = os.environ.get("SUPERVISED_HANG_FILE")
            if hang and Path(hang).exists():
                await asyncio.Event().wait()
            fail = os.environ.get("SUPERVISED_FAIL_FILE")
            if fail and Path(fail).exists():
                await send({"type": "lifespan.startup.failed", "message": "told to fail"})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _http(scope, send):
    if scope["path"] == "/slow":
        query = parse_qs(scope["query_string"].decode())
        await asyncio.sleep(float(query.get("seconds", ["0.5"])[0]))
    body = json.dumps({"pid": os.getpid(), "version": VERSION}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _websocket(receive, send):
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": f"{os.getpid()}: {message['text']}"})
        else:
            return
