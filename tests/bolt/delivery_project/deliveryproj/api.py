"""Routes that send files and compressible responses.

The files live in the folder named by ``DELIVERY_FILES`` (the tests make it).
"""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path

from django_bolt import (
    BoltAPI,
    CompressionConfig,
    FileResponse,
    PlainText,
    Response,
    StreamingResponse,
    no_compress,
    skip_middleware,
)

api = BoltAPI(compression=CompressionConfig())

#: JSON well over the default minimum size, and very compressible.
ROWS = [{"id": i, "name": f"item-{i}", "tags": ["alpha", "beta"]} for i in range(200)]
TEXT = "the quick brown fox jumps over the lazy dog\n" * 400


def files() -> Path:
    return Path(os.environ["DELIVERY_FILES"])


@api.get("/files/report")
async def report():
    return FileResponse(files() / "report.bin", filename="report.bin")


@api.post("/files/report")
async def report_posted():
    return FileResponse(files() / "report.bin")


@api.get("/files/page")
async def page():
    return FileResponse(files() / "page.html")


@api.get("/files/public")
async def public(name: str):
    return FileResponse(name, root=files() / "public")


@api.get("/files/public-with-dotfiles")
async def public_with_dotfiles(name: str):
    return FileResponse(name, root=files() / "public", allow_dotfiles=True)


@api.get("/files/uploads")
async def uploads(name: str):
    """Files users uploaded: downloaded, never rendered in the site's origin."""
    return FileResponse(name, root=files() / "uploads", content_disposition_type="attachment")


@api.get("/files/raw")
async def raw(path: str):
    return FileResponse(path)


@api.get("/files/tagged")
def tagged():
    return FileResponse(files() / "report.bin", headers={"etag": '"v1"'})


@api.get("/files/vanishing")
def vanishing():
    handle, path = tempfile.mkstemp(dir=files())
    os.write(handle, b"soon gone")
    os.close(handle)
    response = FileResponse(path)
    os.remove(path)  # after the response exists, before the server opens the file
    return response


@api.get("/compress/json")
async def json_rows():
    return ROWS


@api.get("/compress/small")
async def small():
    return {"ok": True}


@api.get("/compress/text")
async def text():
    return PlainText(TEXT)


@api.get("/compress/big")
async def big():
    return PlainText(TEXT * 120)  # over 2 MiB: compressed as it is sent


@api.get("/compress/png")
async def png():
    return Response(b"\x89PNG\r\n" + bytes(4000), media_type="image/png")


@api.get("/compress/encoded")
async def encoded():
    body = gzip.compress(TEXT.encode())
    return Response(body, headers={"content-encoding": "gzip"}, media_type="text/plain")


@api.get("/compress/stream")
async def stream():
    async def lines():
        for _ in range(50):
            yield TEXT[:200]

    return StreamingResponse(lines(), media_type="text/plain")


@api.get("/compress/events")
async def events():
    async def feed():
        for i in range(20):
            yield f"data: {'x' * 100} {i}\n\n"

    return StreamingResponse(feed(), media_type="text/event-stream")


@api.get("/compress/empty")
async def empty():
    return Response(status_code=204, media_type="text/plain")


@api.get("/compress/off")
@no_compress
async def off():
    return ROWS


@no_compress
@api.get("/compress/off-above")
async def off_above():
    return ROWS


@api.get("/compress/skipped")
@skip_middleware("compression")
async def skipped():
    return ROWS
