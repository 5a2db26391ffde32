"""Routes for tests/bolt/test_upstream_compat.py, written as code for the original
django-bolt writes them (its import paths and exception classes), served by TestClient
and by runbolt (``--settings boltproj.settings_compat``)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from django_bolt import BoltAPI, exceptions
from django_bolt.enums import MediaType
from django_bolt.exceptions import HTTPException, NotFound, TooManyRequests, Unauthorized
from django_bolt.params import Header, Param, Query
from django_bolt.request import Request
from django_bolt.responses import Response
from django_bolt.status_codes import HTTP_201_CREATED

api = BoltAPI(prefix="/compat")


class Error(msgspec.Struct):
    code: str
    message: str


class Item(msgspec.Struct):
    name: str
    price: float


@api.get("/raise/{name}")
async def raise_named(name: str):
    """Raises ``django_bolt.exceptions.<name>`` with no argument: its status and phrase."""
    raise getattr(exceptions, name)()


@api.get("/books/{book_id}")
async def read_book(book_id: int):
    raise NotFound("Book not found", extra={"book_id": book_id})


@api.get("/limited")
def limited():
    raise TooManyRequests(detail="Slow down", headers={"Retry-After": "30"})


@api.get("/private")
async def private(request: Request):
    raise Unauthorized(headers={"WWW-Authenticate": 'Bearer realm="compat"'})


@api.get("/typed-error")
async def typed_error():
    raise HTTPException(400, body=Error(code="not_healthy", message="Try later"))


@api.get("/validation")
async def validation():
    errors = [{"loc": ["query", "page"], "msg": "Too far", "type": "value_error"}]
    raise exceptions.RequestValidationError(errors)


@api.get("/response-validation")
async def response_validation():
    errors = [{"loc": ["response", "price"], "msg": "Expected `float`", "type": "validation_error"}]
    raise exceptions.ResponseValidationError(errors)


@api.post("/items", status_code=HTTP_201_CREATED)
async def create_item(item: Item):
    return {"name": item.name}


@api.get("/search")
async def search(
    q: Annotated[str, Query(min_length=2)],
    page: Annotated[int, Param("query", "p")] = 1,
    agent: Annotated[str, Header(alias="user-agent")] = "",
):
    return {"q": q, "page": page, "agent": bool(agent)}


@api.get("/text")
async def text():
    return Response("plain", media_type=MediaType.TEXT)
