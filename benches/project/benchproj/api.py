import os
from typing import Annotated

import msgspec

from django_bolt import (
    BoltAPI,
    CompressionConfig,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    Request,
    cors,
    no_compress,
    rate_limit,
)
from django_bolt.param_functions import Query

api = BoltAPI(compression=CompressionConfig())

#: The secret of the JWT scenarios' token (benches/run.py BENCH_TOKEN).
JWT_SECRET = "benchmark-only-jwt-secret-" + "x" * 38

#: About 10 KB of JSON, for the compression scenarios.
ROWS = [{"id": i, "name": f"item-{i}", "price": i * 1.5, "tags": ["a", "b"]} for i in range(160)]


@api.get("/")
@no_compress
async def hello():
    return {"message": "hello"}


@api.get("/rows")
async def rows():
    return ROWS


# The API framework scenarios: the same two endpoints as benches/apps/fastapi_app.py,
# benchproj/ninja_api.py and benchproj/drf_views.py.


class Variant(msgspec.Struct):
    sku: Annotated[str, msgspec.Meta(min_length=1)]
    stock: Annotated[int, msgspec.Meta(ge=0)]


class Item(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    price: Annotated[float, msgspec.Meta(ge=0)]
    quantity: Annotated[int, msgspec.Meta(ge=0)]
    tags: list[str]
    variants: list[Variant]


@api.get("/items/{item_id}")
async def get_item(item_id: int, q: str, limit: Annotated[int, Query(ge=1, le=100)] = 10):
    return {"item_id": item_id, "q": q, "limit": limit}


@api.post("/items")
async def create_item(item: Item) -> Item:
    return item


# The JWT scenario: the same endpoint as benches/apps/fastapi_app.py's /me. The token's
# subject is no user of this project, so request.user is read from the token.


@api.get(
    "/me",
    auth=[JWTAuthentication(JWT_SECRET, load_user=False)],
    guards=[IsAuthenticated()],
)
@no_compress
async def me(request: Request):
    return {"user": request.auth["user_id"]}


# The rejection scenarios: answers Rust gives before any Python runs. /me without a token
# (401), POST / (405) and /items with bad values (422) reuse the routes above.


@api.get(
    "/staff",
    auth=[JWTAuthentication(JWT_SECRET, load_user=False)],
    guards=[IsStaff()],
)
async def staff_only():
    return {"staff": True}


@api.get("/limited")
@rate_limit(rps=0.001, burst=1)
async def limited():
    return {"limited": True}


@api.get("/cors")
@cors(origins=["https://app.example"])
async def cross_origin():
    return {"cors": True}


#: A limit no load generator reaches: the cost of counting, never a refusal.
NEVER_REFUSED = {"rps": 1e9, "burst": 1_000_000_000}


@api.get("/counted")
@rate_limit(**NEVER_REFUSED)
async def counted():
    return {"counted": True}


#: The same route with its buckets in the Redis that benches/run.py starts for the
#: bolt-rate-limit-redis scenario (in this process when it starts none).
shared = BoltAPI(rate_limit_backend=os.environ.get("BENCH_REDIS_URL", "memory"))


@shared.get("/counted")
@rate_limit(**NEVER_REFUSED)
async def counted_in_redis():
    return {"counted": True}


api.mount("/shared", shared)
