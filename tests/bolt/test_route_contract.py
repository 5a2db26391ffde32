"""The route contract: the descriptions ``routing.describe()`` hands to Rust's RouteTable
are read as typed structs, and a key Rust does not know is refused at start-up, naming
the route and the key, instead of silently reading as absent."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from django_bolt import BoltAPI
from django_bolt._core import RouteTable
from django_bolt.auth import JWTAuthentication
from django_bolt.compression import CompressionConfig
from django_bolt.cors import cors
from django_bolt.guards import IsAuthenticated
from django_bolt.param_functions import Header, Query
from django_bolt.rate_limit import rate_limit
from django_bolt.routing import describe
from django_bolt.websocket import WebSocket


class Filters(msgspec.Struct):
    tag: str = ""


def described_routes() -> list[dict]:
    """One route using every part of the contract, and a WebSocket route."""
    api = BoltAPI(compression=CompressionConfig())

    @api.get("/items/{item_id}", auth=[JWTAuthentication(secret="s")], guards=[IsAuthenticated()])
    @cors(origins=["https://app.example"], max_age=60)
    @rate_limit(rps=5, burst=10)
    async def item(
        item_id: int,
        q: Annotated[str, Query(min_length=1)] = "x",
        x_trace: Annotated[str | None, Header()] = None,
        filters: Annotated[Filters, Query()] = Filters(),  # noqa: B008
    ):
        return {"id": item_id}

    @api.websocket("/ws/{room}")
    @rate_limit(rps=1, burst=1)
    async def chat(websocket: WebSocket, room: str):
        await websocket.accept()

    return [describe(route, debug=False) for route in api.routes]


def test_descriptions_python_writes_are_read():
    assert len(RouteTable(described_routes())) == 2


@pytest.mark.parametrize(
    ("misspell", "key"),
    [
        (lambda route: route.update(rate_limt=route.pop("rate_limit")), "rate_limt"),
        (lambda route: route["rate_limit"].update(burts=1), "burts"),
        (lambda route: route["cors"].update(maxage=60), "maxage"),
        (lambda route: route["compression"].update(gzip=1), "gzip"),
        (lambda route: route["params"][1].update(min_lenght=1), "min_lenght"),
        (lambda route: route["auth"][0].update(secrets=b"s"), "secrets"),
        (lambda route: route["guards"][0].update(permission=[]), "permission"),
        (lambda route: route["structs"][0].update(built=None), "built"),
    ],
)
def test_an_unknown_key_is_refused_naming_the_route_and_the_key(misspell, key):
    routes = described_routes()
    misspell(routes[0])
    with pytest.raises(ValueError, match=rf'item.*unknown key "{key}"'):
        RouteTable(routes)


def test_an_unknown_key_of_a_websocket_route_is_refused():
    routes = described_routes()
    routes[1]["status_code"] = 200  # an HTTP route's key
    with pytest.raises(ValueError, match=r"chat.*unknown key \"status_code\""):
        RouteTable(routes)
