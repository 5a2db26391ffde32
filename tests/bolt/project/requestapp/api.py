"""Routes for reading the request as Django does (tests/bolt/test_request_reading.py and
tests/hostile/test_request_semantics.py): its host, its cookies, numbers from every
source, and a rate limit keyed by client address; served by TestClient and by runbolt
(``--settings boltproj.settings_request``)."""

from __future__ import annotations

import decimal
from typing import Annotated

from django_bolt import BoltAPI, Request, rate_limit
from django_bolt.param_functions import Cookie, Form, Header, Path, Query

api = BoltAPI(prefix="/req")


@api.get("/host")
async def host(request: Request):
    return {"host": request.host}


@api.get("/cookies")
async def cookies(request: Request, theme: Annotated[str | None, Cookie()] = None):
    return {"cookies": request.cookies, "theme": theme}


@api.get("/decimal/{amount}")
async def decimal_everywhere(
    amount: Annotated[decimal.Decimal, Path()],
    q: Annotated[decimal.Decimal | None, Query()] = None,
    h: Annotated[decimal.Decimal | None, Header(alias="x-amount")] = None,
    c: Annotated[decimal.Decimal | None, Cookie(alias="amount")] = None,
):
    return {"amount": str(amount), "q": str(q), "h": str(h), "c": str(c)}


@api.post("/decimal-form")
async def decimal_form(amount: Annotated[decimal.Decimal, Form()]):
    return {"amount": str(amount)}


@api.get("/numbers")
async def numbers(
    i: Annotated[int | None, Query()] = None,
    f: Annotated[float | None, Query()] = None,
):
    return {"i": i, "f": f}


@api.get("/limited")
@rate_limit(rps=0.01, burst=2)
async def limited():
    return {"ok": True}
