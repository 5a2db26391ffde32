"""``APIView`` classes on ``@api.view``: through TestClient, and the test project's views
over real models (tests/bolt/project/pagesapp) through TestClient and a real runbolt
process over HTTP/1.1 and HTTP/2."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
import pytest

import django_bolt.views
from django_bolt import JSON, APIView, BoltAPI, Depends, HTTPException, Request
from django_bolt.param_functions import Query
from django_bolt.testing import TestClient


class ItemIn(msgspec.Struct):
    name: str
    price: float


ITEMS: dict[int, dict] = {}


def store() -> dict[int, dict]:
    return ITEMS


api = BoltAPI(prefix="/api")


@api.view("/items/{item_id}", tags=["items"])
class ItemView(APIView):
    """Every method of one resource path: async and sync, path, query, body, Depends."""

    async def get(self, item_id: int, fields: Annotated[str | None, Query(max_length=20)] = None):
        item = ITEMS.get(item_id)
        if item is None:
            raise HTTPException(404, f"No item {item_id}")
        return {k: v for k, v in item.items() if fields is None or k in fields.split(",")}

    def put(self, item_id: int, item: ItemIn, items=Depends(store)):
        items[item_id] = {"id": item_id, **msgspec.structs.asdict(item)}
        return JSON(items[item_id], status_code=201)

    async def patch(self, item_id: int, price: float):
        ITEMS[item_id]["price"] = price
        return ITEMS[item_id]

    async def delete(self, request: Request, item_id: int):
        removed = ITEMS.pop(item_id, None)
        return {"deleted": removed is not None, "method": request.method}


@api.view("/counter")
class Counter(APIView):
    """State kept on ``self`` lasts one request."""

    def __init__(self) -> None:
        self.calls = 0

    async def get(self):
        self.calls += 1
        return {"calls": self.calls}

    def post(self):
        self.calls += 1
        return {"calls": self.calls}


def test_each_method_is_a_route_on_the_path():
    ITEMS.clear()
    with TestClient(api) as client:
        created = client.put("/api/items/7", json={"name": "Widget", "price": 9.5})
        assert created.status_code == 201
        assert created.json() == {"id": 7, "name": "Widget", "price": 9.5}
        assert client.get("/api/items/7", params={"fields": "id,name"}).json() == {
            "id": 7,
            "name": "Widget",
        }
        assert client.patch("/api/items/7", json={"price": 3.0}).json()["price"] == 3.0
        assert client.delete("/api/items/7").json() == {"deleted": True, "method": "DELETE"}
        assert client.get("/api/items/7").json() == {"detail": "No item 7"}


def test_parameters_are_checked_as_for_function_handlers():
    with TestClient(api) as client:
        response = client.get("/api/items/abc")
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "item_id"]
        response = client.get("/api/items/1", params={"fields": "x" * 21})
        assert response.json()["detail"][0]["loc"] == ["query", "fields"]
        response = client.put("/api/items/1", json={"name": "Widget"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "price"]


def test_methods_the_class_does_not_define_are_405():
    with TestClient(api) as client:
        response = client.delete("/api/counter")
        assert response.status_code == 405
        assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
        assert "DELETE" not in response.headers["allow"]


def test_every_request_gets_a_fresh_instance():
    with TestClient(api) as client:
        assert [client.get("/api/counter").json()["calls"] for _ in range(3)] == [1, 1, 1]
        assert client.post("/api/counter").json() == {"calls": 1}


def test_routes_are_named_after_the_class_and_carry_the_options():
    routes = {route.method: route for route in api.routes if route.path == "/api/items/{item_id}"}
    assert set(routes) == {"GET", "PUT", "PATCH", "DELETE"}
    assert routes["GET"].name.endswith("ItemView.get")
    assert routes["GET"].is_async and not routes["PUT"].is_async
    assert all(route.tags == ["items"] for route in routes.values())


class RecordingAPI(BoltAPI):
    """Records the options each route is declared with."""

    def __init__(self) -> None:
        super().__init__()
        self.declared: list[tuple[str, dict]] = []

    def route(self, method, path, **options):
        self.declared.append((method, options))
        return super().route(method, path, **options)


def test_class_attributes_give_default_options_and_the_decorator_overrides_them():
    recording = RecordingAPI()

    @recording.view("/things", auth=[], summary="Things")
    class Things(APIView):
        tags = ["things"]
        guards = []
        auth = ["never used: the decorator's auth wins"]

        async def get(self):
            return []

        async def post(self):
            return {}

    assert recording.declared == [
        ("GET", {"tags": ["things"], "guards": [], "auth": [], "summary": "Things"}),
        ("POST", {"tags": ["things"], "guards": [], "auth": [], "summary": "Things"}),
    ]


def test_declaration_errors():
    with pytest.raises(TypeError, match="takes an APIView subclass"):

        @api.view("/plain")
        class Plain:
            async def get(self):
                return {}

    with pytest.raises(TypeError, match="defines none of get, post, put, patch, delete"):

        @api.view("/nothing")
        class Nothing(APIView):
            async def fetch(self):
                return {}

    with pytest.raises(TypeError, match="must take self first"):

        @api.view("/static")
        class Static(APIView):
            @staticmethod
            async def get(*args):
                return {}


def test_exported_from_django_bolt_and_django_bolt_views():
    assert django_bolt.views.APIView is APIView


# ---- the project's views over real models --------------------------------------------


@pytest.fixture(scope="module")
def project_api(django_project):
    from pagesapp.api import api

    return api


@pytest.fixture
def client(project_client):
    return project_client


def test_project_views_create_read_update_delete_a_row(client):
    body = {"batch": uuid.uuid4().hex, "title": "first", "created_at": "2026-03-01T12:00:00Z"}
    created = client.post("/pages/entries", json=body)
    assert created.status_code == 201
    entry_id = created.json()["id"]
    read = client.get(f"/pages/entries/{entry_id}").json()
    assert read == {"id": entry_id, "title": "first", "created_at": "2026-03-01T12:00:00Z"}
    # A sync method: its ORM calls run in a worker thread.
    updated = client.put(f"/pages/entries/{entry_id}", json={"title": "renamed"})
    assert updated.json()["title"] == "renamed"
    listed = client.get("/pages/entries", params={"batch": body["batch"]}).json()
    assert [item["title"] for item in listed["items"]] == ["renamed"]
    assert client.delete(f"/pages/entries/{entry_id}").json() == {"deleted": 1}
    missing = client.get(f"/pages/entries/{entry_id}")
    assert (missing.status_code, missing.json()) == (404, {"detail": f"No entry {entry_id}"})
    assert client.put(f"/pages/entries/{entry_id}", json={"title": "x"}).status_code == 404


def test_project_views_refuse_bad_input(client):
    bad_body = client.post("/pages/entries", json={"batch": "b", "title": "t"})
    assert bad_body.status_code == 422
    assert bad_body.json()["detail"][0]["loc"] == ["body", "created_at"]
    assert client.get("/pages/entries/not-a-number").status_code == 422
    wrong_method = client.patch("/pages/entries/1", json={})
    assert wrong_method.status_code == 405
