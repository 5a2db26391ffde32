"""Routes for tests/bolt/test_middleware.py: the spec's middleware section as written,
and routes for CORS, rate limits and Python middleware, served by TestClient and by
runbolt (``--settings boltproj.settings_mw``)."""

from __future__ import annotations

import msgspec

from django_bolt import (
    APIKeyAuthentication,
    BaseMiddleware,
    BoltAPI,
    Depends,
    ErrorHandlerMiddleware,
    HTTPException,
    IsAuthenticated,
    Middleware,
    Request,
    Response,
    StreamingResponse,
    TimingMiddleware,
    cors,
    middleware,
    no_compress,
    rate_limit,
    skip_middleware,
)


def trail(request: Request, name: str) -> None:
    """Note that ``name`` saw the request, in order (the handlers return the trail)."""
    request.state.setdefault("trail", []).append(name)


class ApiTag(BaseMiddleware):
    """The API's own middleware: outside every route's."""

    async def process_request(self, request: Request) -> Response:
        trail(request, "api")
        response = await self.get_response(request)
        response.headers["x-layers"] = response.headers.get("x-layers", "") + "api;"
        return response


class RouteTag(BaseMiddleware):
    async def process_request(self, request: Request) -> Response:
        trail(request, "route")
        response = await self.get_response(request)
        response.headers["x-layers"] = response.headers.get("x-layers", "") + "route;"
        return response


class Gate(BaseMiddleware):
    """Answers by itself when asked (``x-gate: closed``), or refuses (``x-gate: raise``)."""

    async def process_request(self, request: Request) -> Response:
        gate = request.headers.get("x-gate")
        if gate == "closed":
            return Response({"gate": "closed"}, status_code=403, headers={"x-gate": "1"})
        if gate == "raise":
            raise HTTPException(409, "The gate refused", headers={"x-gate": "1"})
        return await self.get_response(request)


api = BoltAPI(middleware=[ApiTag], enable_logging=True)


# ---- the spec's "Middleware (CORS, rate limiting, custom)" section, as written -------


@api.get("/public/data")
@cors(
    origins=["https://example.com", "https://app.example.com"],
    methods=["GET", "POST"],
    headers=["Authorization", "Content-Type"],
    credentials=True,
    max_age=3600,
)
async def public_data():
    return {"data": "accessible cross-origin"}


@api.post("/api/expensive")
@rate_limit(rps=10, burst=20, key="ip")
async def expensive_operation():
    return {"result": "ok"}


@api.get("/internal")
@skip_middleware("compression", "rate_limit")
async def internal():
    return {"internal": True}


@api.get("/stream")
@no_compress
async def stream():
    from django_bolt import StreamingResponse

    async def gen():
        yield "chunk1"
        yield "chunk2"

    return StreamingResponse(gen(), media_type="text/plain")


class RequestTimingMiddleware(BaseMiddleware):
    async def process_request(self, request: Request) -> Response:
        import time

        start = time.perf_counter()
        response = await self.get_response(request)
        elapsed = time.perf_counter() - start
        response.headers["X-Response-Time"] = f"{elapsed:.4f}s"
        return response


@api.post("/upload")
@middleware(RequestTimingMiddleware)
async def upload(request: Request):
    return {"uploaded": True}


# ---- CORS ------------------------------------------------------------------------------


@api.get(
    "/mw/private",
    auth=[APIKeyAuthentication(api_keys=["key-1"])],
    guards=[IsAuthenticated()],
)
@cors(origins=["https://app.example.com"], credentials=True, headers=["X-API-Key"])
async def private():
    return {"private": True}


@api.get("/mw/anyone")
@cors(origins=["*"], expose_headers=["X-Total"])
async def anyone():
    return Response({"items": []}, headers={"X-Total": "0"})


@api.get("/mw/uncors")
@cors(origins=["https://app.example.com"])
@skip_middleware("cors")
async def uncors():
    return {"cors": False}


# ---- rate limits -----------------------------------------------------------------------


@api.get("/mw/limited")
@rate_limit(rps=20, burst=2)
async def limited():
    return {"limited": True}


@api.get("/mw/limited-by-key")
@rate_limit(rps=20, burst=2, key="header:x-client")
async def limited_by_key():
    return {"limited": True}


@api.get("/mw/limited-few-clients")
@rate_limit(rps=0.2, burst=2, key="header:x-client", max_clients=64)
async def limited_few_clients():
    """Room for 64 clients' buckets: what a flood of new keys meets."""
    return {"limited": True}


@api.get("/mw/unlimited")
@rate_limit(rps=1, burst=1)
@skip_middleware("rate_limit")
async def unlimited():
    return {"limited": False}


# ---- Python middleware -----------------------------------------------------------------


@api.get("/mw/layers")
@middleware(RouteTag)
async def layers(request: Request):
    return {"trail": request.state["trail"]}


@api.get("/mw/gate")
@middleware(RouteTag, Gate)
async def gated():
    return {"gate": "open"}


@api.get("/mw/not-found")
@middleware(RouteTag)
def not_found():
    raise HTTPException(404, "Nothing here")


@api.get("/mw/broken")
async def broken():
    raise RuntimeError("broken on purpose")


@api.get("/mw/skipped")
@skip_middleware(ApiTag, "LoggingMiddleware")
async def skipped():
    return {"skipped": True}


@api.get("/mw/sync")
@middleware(RouteTag)
def sync_handler(n: int = 1):
    return {"n": n}


class Item(msgspec.Struct):
    name: str


@api.post("/mw/items", status_code=201)
@middleware(RouteTag)
async def create_item(item: Item):
    return Response({"name": item.name}, status_code=201).set_cookie("made", item.name)


def caller(request: Request) -> str:
    return request.headers.get("x-caller", "nobody")


@api.get("/mw/depends")
@middleware(RouteTag)
async def depends(who: str = Depends(caller)):
    return {"who": who}


@api.get("/mw/stream")
@middleware(RouteTag)
async def streamed():
    async def chunks():
        yield "one,"
        yield "two"

    return StreamingResponse(chunks(), media_type="text/plain")


# ---- middleware written for the original django-bolt -------------------------------------


class DjangoShaped:
    """Django's shape, no base class: ``__init__(get_response)``, ``async __call__``."""

    def __init__(self, get_response):
        self.get_response = get_response

    async def __call__(self, request):
        request.state["shaped"] = "yes"
        response = await self.get_response(request)
        response.headers["x-shaped"] = "1"
        return response


class NotOnHealth(Middleware):
    exclude_paths = ["/mw/shaped/health*"]
    exclude_methods = ["HEAD"]

    async def process_request(self, request):
        response = await self.get_response(request)
        response.headers["x-watched"] = "1"
        return response


@api.get("/mw/shaped")
@middleware(DjangoShaped, TimingMiddleware, NotOnHealth)
async def shaped(request: Request):
    return {"shaped": request.shaped, "has_request_id": "request_id" in request.state}


@api.get("/mw/shaped/healthz")
@middleware(DjangoShaped, NotOnHealth)
async def shaped_health():
    return {"ok": True}


@api.get("/mw/shaped/broken")
@middleware(ErrorHandlerMiddleware, DjangoShaped)
async def shaped_broken():
    raise RuntimeError("broken on purpose")


@api.get("/mw/shaped/bare")
@middleware(DjangoShaped)
@skip_middleware("*")
async def shaped_bare():
    return {"bare": True}
