import asyncio
import os
import sys
import time

import msgspec

from django_bolt import JSON, BoltAPI, HTTPException, Request, StreamingResponse, cors, rate_limit

api = BoltAPI(prefix="/api")


class ItemIn(msgspec.Struct):
    name: str
    price: float


@api.get("/items/{item_id}")
async def get_item(item_id: int, q: str | None = None, page: int = 1):
    return {"id": item_id, "q": q, "page": page}


@api.post("/items", status_code=201)
async def create_item(item: ItemIn):
    return {"name": item.name, "price": item.price}


@api.post("/echo-size")
async def echo_size(item: ItemIn):
    return JSON({"name_length": len(item.name)})


@api.get("/pid")
async def pid():
    return {"pid": os.getpid()}


@api.get("/slow")
async def slow(seconds: float = 0.5):
    await asyncio.sleep(seconds)
    return {"slept": seconds}


#: Calls of /counted: requests reset before they reach Python must not add to it.
COUNTED = 0


@api.get("/counted")
async def counted():
    global COUNTED
    COUNTED += 1
    return {"calls": COUNTED}


@api.get("/counted/calls")
async def counted_calls():
    return {"calls": COUNTED}


@api.get("/blocking")
async def blocking(seconds: float = 0.3, after_await: bool = False):
    """Holds the event loop (a bug the server logs), before or after its first await."""
    if after_await:
        await asyncio.sleep(0)
    time.sleep(seconds)
    return {"blocked": seconds}


@api.get("/sync")
def sync_handler(seconds: float = 0.0):
    time.sleep(seconds)
    return {"sync": True}


@api.get("/missing")
async def missing():
    raise HTTPException(404, "Item not found")


@api.get("/crash")
async def crash():
    raise RuntimeError("handler exploded")


STREAMS: dict[str, str] = {}


@api.get("/events")
async def events(key: str, count: int = 5, pause: float = 0.3):
    async def generate():
        STREAMS[key] = "started"
        try:
            for i in range(count):
                yield f"id: {i}\ndata: event-{i}\n\n"
                await asyncio.sleep(pause)
            STREAMS[key] = "finished"
        finally:
            if STREAMS[key] != "finished":
                STREAMS[key] = "closed early"

    return StreamingResponse(generate(), media_type="text/event-stream")


@api.get("/stream-state")
async def stream_state(key: str):
    return {"state": STREAMS.get(key)}


@api.get("/request-id")
async def request_id(request: Request):
    """The X-Request-ID the handler sees (kept from the request or made by the server)."""
    return {"request_id": request.headers.get("x-request-id")}


@api.get("/hold-gil")
def hold_gil(seconds: float = 2.0):
    """Keep the GIL for ``seconds`` on a worker thread: other threads wanting it wait, as
    the switch interval is made longer than the hold."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(seconds + 5)
    try:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            pass
    finally:
        sys.setswitchinterval(previous)
    return {"held": seconds}


@api.get("/limited")
@rate_limit(rps=0.001, burst=1)
async def limited():
    return {"limited": True}


@api.get("/cross-origin")
@cors(origins=["https://app.example"])
async def cross_origin():
    return {"cors": True}
