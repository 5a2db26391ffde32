"""Project-level Bolt routes, served by the Rust server without going through Django's
URLconf. The OpenAPI document and its pages (/docs) describe every api.py's routes."""

import asyncio

from django_bolt import (
    BoltAPI,
    OpenAPIConfig,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    StreamingResponse,
    SwaggerRenderPlugin,
    UploadFile,
    WebSocket,
)
from django_bolt.sse import event

# /docs is Swagger UI; /docs/redoc, /docs/scalar, /docs/rapidoc, /docs/stoplight the others.
api = BoltAPI(
    openapi_config=OpenAPIConfig(
        title="django-bolt example",
        version="1.0.0",
        render_plugins=[
            SwaggerRenderPlugin(),
            RedocRenderPlugin(),
            ScalarRenderPlugin(),
            RapidocRenderPlugin(),
            StoplightRenderPlugin(),
        ],
    )
)


@api.get("/events")
async def events(count: int = 3):
    """Server-Sent Events: `count` ticks (at most 100), a tenth of a second apart."""

    async def ticks():
        for n in range(min(count, 100)):
            yield event({"tick": n}, id=n)
            await asyncio.sleep(0.1)

    return StreamingResponse(ticks(), media_type="text/event-stream")


@api.post("/upload")
async def upload(file: UploadFile):
    """A multipart upload: the file's name and size."""
    content = await file.read()
    return {"filename": file.filename, "size": len(content)}


@api.websocket("/ws/echo")
async def echo(websocket: WebSocket):
    """Sends back every text message."""
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text(message)
