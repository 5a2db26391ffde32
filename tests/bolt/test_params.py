"""Parameter markers from the spec's "Parameter markers" section, checked in Rust."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Annotated, Literal

import msgspec
import pytest

from django_bolt import BoltAPI, Request
from django_bolt.param_functions import Body, Cookie, Header, Path, Query
from django_bolt.testing import TestClient


class UpdatePayload(msgspec.Struct):
    name: str
    value: int


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/search")
    async def search(
        q: Annotated[str, Query(min_length=1, max_length=100)],
        page: Annotated[int, Query(ge=1)] = 1,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ):
        return {"query": q, "page": page, "limit": limit}

    @api.get("/users/{user_id}")
    async def get_user(user_id: Annotated[int, Path(ge=1)]):
        return {"user_id": user_id}

    @api.get("/secure")
    async def secure(x_api_key: Annotated[str, Header(alias="x-api-key")]):
        return {"key": x_api_key}

    @api.get("/agent")
    async def agent(user_agent: Annotated[str, Header()] = "none"):
        return {"agent": user_agent}

    @api.get("/preferences")
    async def preferences(
        theme: Annotated[str, Cookie()] = "light",
        lang: Annotated[str, Cookie()] = "en",
    ):
        return {"theme": theme, "lang": lang}

    @api.put("/settings")
    async def update_settings(data: Annotated[UpdatePayload, Body()]):
        return {"name": data.name}

    @api.get("/defaults")
    async def defaults(size: int = Query(10, gt=0, lt=50, alias="page-size")):
        return {"size": size}

    @api.post("/tagged")
    async def tagged(tag: Annotated[str, Query()], item: UpdatePayload):
        return {"tag": tag, "name": item.name}

    return api


@pytest.fixture(scope="module")
def client():
    with TestClient(make_api()) as client:
        yield client


def test_query_constraints_and_defaults(client):
    assert client.get("/search", params={"q": "bolt"}).json() == {
        "query": "bolt",
        "page": 1,
        "limit": 20,
    }
    response = client.get("/search", params={"q": "", "page": 0, "limit": 500})
    assert response.status_code == 422
    failures = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert failures == {
        ("query", "q"): "Expected a string of length >= 1",
        ("query", "page"): "Expected a value greater than or equal to 1",
        ("query", "limit"): "Expected a value less than or equal to 100",
    }
    assert client.get("/search", params={"q": "x" * 101}).status_code == 422


def test_path_constraint(client):
    assert client.get("/users/5").json() == {"user_id": 5}
    assert client.get("/users/0").json()["detail"][0]["loc"] == ["path", "user_id"]


def test_headers_by_alias_and_by_name(client):
    assert client.get("/secure", headers={"X-API-Key": "k1"}).json() == {"key": "k1"}
    missing = client.get("/secure")
    assert missing.status_code == 422
    assert missing.json()["detail"][0] == {
        "loc": ["header", "x-api-key"],
        "msg": "Field required",
        "type": "missing",
    }
    assert client.get("/agent", headers={"User-Agent": "tests"}).json() == {"agent": "tests"}


def test_cookies(client):
    assert client.get("/preferences", cookies={"theme": "dark"}).json() == {
        "theme": "dark",
        "lang": "en",
    }


def test_body_marker_and_query_marker_beside_a_body(client):
    assert client.put("/settings", json={"name": "a", "value": 1}).json() == {"name": "a"}
    assert client.put("/settings", json={"name": "a"}).status_code == 422
    response = client.post("/tagged", params={"tag": "t"}, json={"name": "n", "value": 2})
    assert response.json() == {"tag": "t", "name": "n"}


def test_marker_as_default_with_alias(client):
    assert client.get("/defaults").json() == {"size": 10}
    assert client.get("/defaults", params={"page-size": 30}).json() == {"size": 30}
    assert client.get("/defaults", params={"page-size": 50}).status_code == 422


def test_multi_valued_query_params():
    api = BoltAPI()

    @api.get("/many")
    async def many(ids: list[int], tags: Annotated[list[str] | None, Query(alias="tag")] = None):
        return {"ids": ids, "tags": tags}

    with TestClient(api) as client:
        assert client.get("/many?ids=1&ids=2&ids=3&tag=a&tag=b").json() == {
            "ids": [1, 2, 3],
            "tags": ["a", "b"],
        }
        assert client.get("/many?ids=7").json() == {"ids": [7], "tags": None}
        bad = client.get("/many?ids=1&ids=x")
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["query", "ids"]
        assert client.get("/many").json()["detail"][0]["type"] == "missing"


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def test_rich_scalar_types_are_checked_in_rust_and_converted():
    api = BoltAPI()

    @api.get("/typed/{item_id}")
    async def typed(
        item_id: uuid.UUID,
        price: decimal.Decimal,
        day: datetime.date,
        at: datetime.datetime | None = None,
        alarm: datetime.time | None = None,
        color: Color = Color.RED,
        level: Level = Level.LOW,
        sort: Literal["asc", "desc"] = "asc",
    ):
        return {
            "id": str(item_id),
            "price": str(price + 1),
            "day": day.isoformat(),
            "at": at.isoformat() if at else None,
            "alarm": alarm.isoformat() if alarm else None,
            "color": color.value,
            "level": int(level),
            "sort": sort,
        }

    uid = "12345678-1234-5678-1234-567812345678"
    with TestClient(api) as client:
        query = {
            "price": "9.99",
            "day": "2024-02-29",
            "at": "2024-05-01T12:30:00Z",
            "alarm": "07:15",
            "color": "green",
            "level": "2",
            "sort": "desc",
        }
        assert client.get(f"/typed/{uid}", params=query).json() == {
            "id": uid,
            "price": "10.99",
            "day": "2024-02-29",
            "at": "2024-05-01T12:30:00+00:00",
            "alarm": "07:15:00",
            "color": "green",
            "level": 2,
            "sort": "desc",
        }
        bad = {
            "price": "cheap",
            "day": "2023-02-29",
            "at": "yesterday",
            "alarm": "25:00",
            "color": "blue",
            "level": "3",
            "sort": "up",
        }
        response = client.get("/typed/not-a-uuid", params=bad)
        assert response.status_code == 422
        locations = [e["loc"][1] for e in response.json()["detail"]]
        assert locations == ["item_id", "price", "day", "at", "alarm", "color", "level", "sort"]
        colors = [e for e in response.json()["detail"] if e["loc"][1] == "color"][0]
        assert colors["msg"] == "Expected one of `red`, `green`, got `blue`"


def test_values_python_cannot_convert_are_refused_in_rust():
    """Found by fuzzing: a decimal exponent past what `decimal.Decimal` holds, and a
    time ending in a bare ".", passed Rust's checks and then failed to convert: a 500."""
    api = BoltAPI()

    @api.get("/convert")
    async def convert(
        price: decimal.Decimal | None = None,
        alarm: datetime.time | None = None,
        at: datetime.datetime | None = None,
    ):
        return {"price": str(price), "alarm": str(alarm), "at": str(at)}

    with TestClient(api) as client:
        for name, value in [
            ("price", "1e1000000000000000000"),
            ("price", "+78E-237812341237812378123456"),
            ("alarm", "08:00:00."),
            ("at", "2024-05-01T08:00:00."),
        ]:
            response = client.get("/convert", params={name: value})
            assert response.status_code == 422, (name, value, response.text)
            assert response.json()["detail"][0]["loc"] == ["query", name]
        fine = {"price": "1e4300", "alarm": "08:00:00.5"}
        assert client.get("/convert", params=fine).json() == {
            "price": "1E+4300",
            "alarm": "08:00:00.500000",
            "at": "None",
        }


def test_request_injection_by_name_and_by_annotation():
    api = BoltAPI()

    @api.post("/inspect/{item_id}")
    async def inspect_request(item_id: int, request):
        request.state["seen"] = True
        return {
            "item_id": item_id,
            "method": request.method,
            "path": request.path,
            "query": request.query,
            "agent": request.headers["x-agent"],
            "cookies": request.cookies,
            "body": request.body.decode(),
            "state": request.state,
        }

    @api.get("/typed")
    async def typed(req: Request):
        return {"path": req.path}

    with TestClient(api) as client:
        response = client.post(
            "/inspect/5?a=1&b=two",
            data=b"raw body",
            headers={"X-Agent": "tests"},
            cookies={"session": "s1"},
        )
        assert response.json() == {
            "item_id": 5,
            "method": "POST",
            "path": "/inspect/5",
            "query": {"a": "1", "b": "two"},
            "agent": "tests",
            "cookies": {"session": "s1"},
            "body": "raw body",
            "state": {"seen": True},
        }
        assert client.get("/typed").json() == {"path": "/typed"}


def test_invalid_utf8_in_the_query_string_is_422(client):
    response = client.get("/search?q=%ff%fe")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "unicode_error"
    assert client.get("/search?q=caf%C3%A9").json()["query"] == "café"


def test_pattern_constraint_and_a_bad_pattern_at_startup():
    api = BoltAPI()

    @api.get("/codes/{code}")
    async def code(code: Annotated[str, Path(pattern=r"^[A-Z]{3}-\d+$")]):
        return {"code": code}

    with TestClient(api) as client:
        assert client.get("/codes/ABC-12").json() == {"code": "ABC-12"}
        response = client.get("/codes/abc-12")
        assert response.status_code == 422
        assert "pattern" in response.json()["detail"][0]["msg"]

    broken = BoltAPI()

    @broken.get("/x")
    async def x(q: Annotated[str, Query(pattern="([")]):
        return {}

    with pytest.raises(ValueError, match="pattern"):
        TestClient(broken)
