"""A small Starlette application for ``django-bolt serve starlette_app:app``: JSON, a
JSON echo, a streamed response, an HTTPException, a WebSocket echo, and a lifespan that
sets both ``app.state`` and the lifespan state Starlette copies into ``request.state``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

STREAM_CHUNKS = [f"chunk {index}\n".encode() for index in range(5)]


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    app.state.started_by = "lifespan startup"
    yield {"greeting": "hello from the lifespan state"}
    print("starlette: lifespan shutdown", file=sys.stderr, flush=True)


async def info(request):
    return JSONResponse(
        {
            "framework": "starlette",
            "greeting": request.state.greeting,
            "started_by": request.app.state.started_by,
            "http_version": request.scope["http_version"],
            "path": request.url.path,
            "query": dict(request.query_params),
        }
    )


async def echo(request):
    body = await request.body()
    return JSONResponse({"echo": await request.json(), "bytes": len(body)}, status_code=201)


async def stream(request):
    async def chunks():
        for chunk in STREAM_CHUNKS:
            yield chunk
            await asyncio.sleep(0.01)

    return StreamingResponse(chunks(), media_type="text/plain")


async def teapot(request):
    raise HTTPException(status_code=418, detail="short and stout")


async def ws_echo(websocket: WebSocket):
    """Echo text; answer JSON with {"echo": ...}; "close" closes with 4000 "bye"."""
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            if text == "close":
                await websocket.close(code=4000, reason="bye")
                return
            if text.startswith("{"):
                await websocket.send_json({"echo": json.loads(text)})
            else:
                await websocket.send_text(text)
    except WebSocketDisconnect:
        pass


app = Starlette(
    routes=[
        Route("/info", info),
        Route("/echo", echo, methods=["POST"]),
        Route("/stream", stream),
        Route("/teapot", teapot),
        WebSocketRoute("/ws", ws_echo),
    ],
    lifespan=lifespan,
)
