"""Routes of tests/bolt/test_router.py and test_mount.py: a Router with its defaults,
nested routers, a route at its API's prefix, a QUERY route, a mounted API, ASGI
mounts, named and unlisted routes."""

import asyncio
from typing import Annotated

import msgspec

from django_bolt import APIKeyAuthentication, BaseMiddleware, BoltAPI, IsAuthenticated, Router
from django_bolt.openapi import (
    JsonRenderPlugin,
    OpenAPIConfig,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from django_bolt.params import Header
from django_bolt.responses import EventSourceResponse, ServerSentEvent


class Tagged(BaseMiddleware):
    """Adds the router's mark to every response, to see the router's middleware ran."""

    async def process_request(self, request):
        response = await self.get_response(request)
        response.headers["x-router"] = "admin"
        return response


docs = OpenAPIConfig(
    title="Routing",
    render_plugins=[SwaggerRenderPlugin(), JsonRenderPlugin(), YamlRenderPlugin()],
)
api = BoltAPI(prefix="/rt", namespace="rt", openapi_config=docs)


@api.get("", name="home")
async def home():
    return {"at": "prefix"}


class Search(msgspec.Struct):
    term: str
    limit: int = 20


@api.query("/search", name="search")
async def search(query: Search):
    return {"term": query.term, "limit": query.limit}


@api.get("/search")
async def search_help():
    return {"send": "QUERY"}


@api.get("/hidden", include_in_schema=False)
async def hidden():
    return {"hidden": True}


admin = Router(
    prefix="/admin",
    tags=["admin"],
    auth=[APIKeyAuthentication(api_keys=["tests-api-key-1"])],
    guards=[IsAuthenticated()],
    middleware=[Tagged],
)


@admin.get("")
async def admin_home():
    return {"admin": True}


@admin.get("/open", auth=[], guards=[])
async def admin_open():
    return {"open": True}


users = Router(prefix="/users", parent=admin)


@users.get("/{user_id}", name="admin-user")
async def admin_user(user_id: int):
    return {"user_id": user_id}


api.include_router(admin)


class V1Mark(BaseMiddleware):
    async def process_request(self, request):
        response = await self.get_response(request)
        response.headers["x-api"] = "v1"
        return response


v1 = BoltAPI(namespace="v1", middleware=[V1Mark], trailing_slash="append")


@v1.get("/things/{thing_id}", name="thing")
async def thing(thing_id: int):
    return {"thing": thing_id}


@v1.get("/private", auth=[APIKeyAuthentication(api_keys=["v1-key"])], guards=[IsAuthenticated()])
async def v1_private():
    return {"private": True}


@v1.get("/unlisted", include_in_schema=False)
async def v1_unlisted():
    return {}


api.mount("/v1", v1)


async def scope_app(scope, receive, send):
    """An ASGI app that answers with what it was given."""
    body = msgspec.json.encode(
        {
            "path": scope["path"],
            "root_path": scope["root_path"],
            "query": scope["query_string"].decode(),
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


api.mount_asgi("/asgi", scope_app)
api.mount_asgi("/asgi/deeper", scope_app)
api.mount_django("/dj", clear_root_path=False)


# Server-Sent Events (tests/bolt/test_sse.py).
#: What each /sse/forever stream's generator has done, by its tag.
STREAMS: dict[str, str] = {}


@api.get("/sse/numbers", response_class=EventSourceResponse)
async def numbers(last_event_id: Annotated[int | None, Header(alias="last-event-id")] = None):
    start = last_event_id + 1 if last_event_id is not None else 1
    for n in range(start, start + 3):
        yield ServerSentEvent({"n": n}, event="number", id=n, retry=2500)


@api.get("/sse/slow")
async def slow_events():
    async def late():
        await asyncio.sleep(0.7)
        yield "late"

    return EventSourceResponse(late(), ping_interval=0.2)


@api.get("/sse/forever/{tag}", response_class=EventSourceResponse)
async def forever(tag: str):
    STREAMS[tag] = "open"
    try:
        while True:
            yield {"tick": tag}
            await asyncio.sleep(0.05)
    finally:
        STREAMS[tag] = "closed"


@api.get("/sse/streams/{tag}")
async def stream_state(tag: str):
    return {"state": STREAMS.get(tag)}


@api.get("/sse/sync", response_class=EventSourceResponse)
def sync_events():
    yield "plain text"
    yield {"b": 2}
    yield ServerSentEvent(comment="just a comment")
