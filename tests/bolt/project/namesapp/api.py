"""Routes for tests/bolt/test_exception_handlers.py (and the other tests of names
code written for the original django-bolt imports), served by TestClient and by
runbolt (``--settings boltproj.settings_names``)."""

from __future__ import annotations

import asyncio

import msgspec

from django_bolt import (
    BoltAPI,
    CloseCode,
    Depends,
    OpenAPIConfig,
    WebSocket,
    WebSocketClose,
    WebSocketException,
)
from django_bolt.cookies import Cookie, make_delete_cookie
from django_bolt.dependencies import call_dependency, resolve_dependency
from django_bolt.exceptions import NotFound
from django_bolt.health import register_health_checks
from django_bolt.responses import JSON, PlainText
from django_bolt.shortcuts import render
from django_bolt.types import Request
from django_bolt.websocket import WS_1013_TRY_AGAIN_LATER


class OutOfStock(Exception):
    def __init__(self, sku: str) -> None:
        super().__init__(sku)
        self.sku = sku


class Discontinued(OutOfStock):
    """A subclass: answered by OutOfStock's handler."""


class PaymentFailed(Exception):
    pass


class Broken(Exception):
    """Its handler raises."""


class Unanswered(Exception):
    """Its handler returns something that is not a Response."""


def out_of_stock(exc: OutOfStock) -> JSON:
    return JSON(
        {"error": "out_of_stock", "sku": exc.sku}, status_code=409, headers={"x-sku": exc.sku}
    )


api = BoltAPI(
    prefix="/names",
    exception_handlers={OutOfStock: out_of_stock},
    openapi_config=OpenAPIConfig(title="Names", django_auth=True),
)


@api.exception_handler(PaymentFailed)
async def payment_failed(exc: PaymentFailed) -> PlainText:
    await asyncio.sleep(0)
    return PlainText(f"payment failed: {exc}", status_code=402)


@api.exception_handler(NotFound)
def not_found(exc: NotFound) -> JSON:
    return JSON({"missing": exc.detail}, status_code=404)


@api.exception_handler(Broken)
async def broken(exc: Broken) -> JSON:
    raise RuntimeError("the handler itself failed")


@api.exception_handler(Unanswered)
def unanswered(exc: Unanswered) -> dict:
    return {"not": "a Response"}


class ItemOut(msgspec.Struct):
    id: int
    name: str


@api.get("/stock/{sku}")
async def stock(sku: str):
    if sku.startswith("old"):
        raise Discontinued(sku)
    raise OutOfStock(sku)


@api.get("/stock-sync/{sku}")
def stock_sync(sku: str):
    raise OutOfStock(sku)


@api.post("/pay")
def pay():
    raise PaymentFailed("card declined")


@api.get("/missing")
async def missing():
    raise NotFound("no such book")


@api.get("/broken")
async def broken_route():
    raise Broken()


@api.get("/unanswered")
def unanswered_route():
    raise Unanswered()


@api.get("/unhandled")
async def unhandled():
    raise ValueError("nobody handles this")


@api.get("/bad-response", response_model=ItemOut)
async def bad_response():
    return {"id": "seven", "name": "pen"}


@api.get("/bad-nested")
async def bad_nested() -> list[ItemOut]:
    return [{"id": 1, "name": "pen"}, {"id": 2}]


# ---- WebSocket names (tests/bolt/test_websocket_names.py) ----------------------------


@api.websocket("/ws/echo")
async def ws_echo(websocket: WebSocket):
    await websocket.accept()
    async for message in websocket.iter_text():
        if message == "kick":
            raise WebSocketException(CloseCode.POLICY_VIOLATION, "kicked")
        if message == "bye":
            raise WebSocketClose()
        if message == "later":
            raise WebSocketException(WS_1013_TRY_AGAIN_LATER, "busy")
        await websocket.send_text(f"echo: {message}")


@api.websocket("/ws/refused")
async def ws_refused(websocket: WebSocket):
    raise WebSocketException(4001, "no ticket")


@api.websocket("/ws/state")
async def ws_state(websocket: WebSocket):
    before = websocket.state
    await websocket.accept()
    await websocket.send_json({"before": before.name, "after": websocket.state.name})
    await websocket.close()


# ---- cookies, render, dependencies, health (tests/bolt/test_compat_modules.py) ---------


@api.get("/cookies")
async def cookies():
    response = JSON({"ok": True})
    response.cookies.append(Cookie("theme", "dark", max_age=60, httponly=True))
    response.cookies.append(make_delete_cookie("__Host-old"))
    return response.set_cookie("lang", "fr")


@api.get("/page")
async def page(request: Request, title: str = "Hello"):
    return render(request, "namesapp/page.html", {"title": title, "items": ["a", "<b>"]})


@api.get("/teapot-page")
async def teapot_page(request: Request):
    return render(request, "namesapp/page.html", {"title": "tea"}, status=418)


async def current_tenant(request: Request) -> str:
    return request.headers.get("x-tenant", "public")


def greeting(tenant: str = Depends(current_tenant), punctuation: str = "!") -> str:
    return f"hello {tenant}{punctuation}"


@api.get("/resolved")
async def resolved(request: Request):
    cache: dict = {}
    first = await resolve_dependency(greeting, request, cache, punctuation="?")
    again = await call_dependency(current_tenant, request)
    return {"greeting": first, "tenant": again, "cached": len(cache)}


register_health_checks(api)
