"""Serializers and Django model/queryset results: through TestClient (Django set up in
this process on a migrated SQLite file) and through a real runbolt process over HTTP/1.1
and HTTP/2 (its own SQLite file), against the same routes
(tests/bolt/project/people/api.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
import pytest

from django_bolt import BoltAPI
from django_bolt.routing import RouteDefinitionError
from django_bolt.serializers import Serializer, field_validator, model_validator
from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def project_api(django_project):
    """The project's ``people`` API, with Django set up in this process."""
    from people.api import api

    return api


@pytest.fixture
def client(project_client):
    return project_client


def new_person(client, name: str, **fields) -> dict:
    """A new Person (its username made unique: the server's database outlives a test)."""
    username = f"{name}-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "email": f"{username}@Example.com", "password": "long enough"}
    response = client.post("/people", json={**body, **fields})
    assert response.status_code == 201, response.text
    return response.json()


# ---- the spec's example, as written -------------------------------------------------

api = BoltAPI()


class UserCreate(Serializer):
    username: str
    email: str
    password: Annotated[str, msgspec.Meta(min_length=8)]

    class Config:
        write_only = {"password"}

    @field_validator("email")
    def validate_email(cls, value):
        if "@" not in value:
            raise ValueError("Invalid email")
        return value.lower()

    @model_validator
    def validate_model(self):
        if self.username.lower() == "admin":
            raise ValueError("Username 'admin' is reserved")
        return self


class UserOut(Serializer):
    id: int
    username: str
    email: str
    is_active: bool

    class Config:
        read_only = {"id"}


@api.post("/users", response_model=UserOut, status_code=201)
async def create_user(data: UserCreate):
    return {"id": 1, "username": data.username, "email": data.email, "is_active": True}


def test_spec_serializer_example():
    with TestClient(api) as client:
        body = {"username": "Ann", "email": "Ann@Example.COM", "password": "s3cret-pass"}
        response = client.post("/users", json=body)
        assert response.status_code == 201
        assert response.json() == {
            "id": 1,
            "username": "Ann",
            "email": "ann@example.com",
            "is_active": True,
        }

        def failure(**changes):
            response = client.post("/users", json={**body, **changes})
            assert response.status_code == 422
            return response.json()["detail"]

        assert failure(email="nope") == [
            {"loc": ["body", "email"], "msg": "Invalid email", "type": "value_error"}
        ]
        assert failure(password="short") == [
            {
                "loc": ["body", "password"],
                "msg": "Expected `str` of length >= 8",
                "type": "validation_error",
            }
        ]
        assert failure(username="ADMIN") == [
            {"loc": ["body"], "msg": "Username 'admin' is reserved", "type": "value_error"}
        ]
        assert failure(username=None)[0]["loc"] == ["body", "username"]


# ---- Serializer behaviour ------------------------------------------------------------


class Line(Serializer):
    id: int = 0
    sku: str
    quantity: int

    class Config:
        read_only = {"id"}

    @field_validator("quantity")
    def positive(cls, value):
        if value <= 0:
            raise ValueError("Quantity must be positive")
        return value


class Order(Serializer):
    id: int = 0
    lines: list[Line]
    note: Line | None = None
    token: str = ""

    class Config:
        read_only = {"id"}
        write_only = {"token"}


def test_nested_serializers_validate_with_paths_and_ignore_read_only_input():
    api = BoltAPI()

    @api.post("/orders")
    async def create_order(order: Order):
        assert order.token == "t0k3n"
        order.id = 42
        return order

    with TestClient(api) as client:
        response = client.post(
            "/orders",
            json={"id": 7, "lines": [{"id": 9, "sku": "a", "quantity": 2}], "token": "t0k3n"},
        )
        assert response.status_code == 200
        # The client's ids are ignored, the token is never sent back.
        assert response.json() == {
            "id": 42,
            "lines": [{"id": 0, "sku": "a", "quantity": 2}],
            "note": None,
        }
        response = client.post(
            "/orders",
            json={"lines": [{"sku": "a", "quantity": 1}, {"sku": "b", "quantity": 0}]},
        )
        assert response.status_code == 422
        assert response.json()["detail"] == [
            {
                "loc": ["body", "lines", 1, "quantity"],
                "msg": "Quantity must be positive",
                "type": "value_error",
            }
        ]
        response = client.post("/orders", json={"lines": [], "note": {"sku": 3, "quantity": 1}})
        assert response.json()["detail"][0]["loc"] == ["body", "note", "sku"]


def test_write_only_fields_never_reach_an_encoder():
    order = Order(lines=[], token="secret")
    assert order.token == "secret"
    order.token = "changed"
    assert order.token == "changed"
    assert "changed" not in repr(order)
    assert msgspec.json.decode(msgspec.json.encode({"order": [order]})) == {
        "order": [{"id": 0, "lines": [], "note": None}]
    }
    assert "token" not in msgspec.to_builtins(order)


def test_serializer_declaration_errors():
    with pytest.raises(TypeError, match=r"\['nope'\] are not fields"):

        class Broken(Serializer):
            name: str

            class Config:
                read_only = {"nope"}

    api = BoltAPI()
    with pytest.raises(RouteDefinitionError, match=r"UserOut cannot be a request body.*\['id'\]"):

        @api.post("/users")
        async def create(data: UserOut):
            return data


def test_response_model_serializer_validates_the_response():
    api = BoltAPI()

    @api.get("/bad", response_model=UserOut)
    async def bad():
        return {"id": "not a number", "username": "x", "email": "y", "is_active": True}

    with TestClient(api) as client:
        assert client.get("/bad").status_code == 500


# ---- models and querysets, in process and over a socket ------------------------------


def test_model_instance_and_queryset_without_response_model(client):
    created = client.post("/people/teams", params={"name": "Core"})
    assert created.status_code == 201
    team = created.json()
    assert team == {"id": team["id"], "name": "Core"}
    assert client.get(f"/people/teams/{team['id']}").json() == team
    teams = client.get("/people/teams").json()
    assert teams[-1] == team and all(set(t) == {"id", "name"} for t in teams)


def test_serializer_body_to_model_to_response_model(client):
    person = new_person(client, "Bea")
    username = person["username"]
    assert username.startswith("Bea-")
    assert person == {
        "id": person["id"],
        "username": username,
        "email": f"{username.lower()}@example.com",
        "is_active": True,
    }
    response = client.post(
        "/people", json={"username": "x", "email": "no-at-sign", "password": "long enough"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


def test_queryset_with_response_model_from_async_and_sync_handlers(client):
    person = new_person(client, "cid")
    listed = client.get("/people").json()
    assert person in listed
    assert all("password" not in p for p in listed)
    assert client.get(f"/people/{person['id']}").json() == person


def test_nested_serializer_from_models_follows_relations(client):
    team = client.post("/people/teams", params={"name": "Ops"}).json()
    person = new_person(client, "dee", team_id=team["id"])
    listed = client.get("/people/with-teams").json()
    assert {"username": person["username"], "team": team} in listed


def test_afrom_queryset_and_returned_input_serializer(client):
    new_person(client, "eve")
    built = client.get("/people/built").json()
    assert built["count"] >= 1 and set(built["first"]) == {"id", "username", "email", "is_active"}
    body = {"username": "fay", "email": "FAY@x.org", "password": "long enough"}
    echoed = client.post("/people/echo", json=body)
    assert echoed.json() == {"username": "fay", "email": "fay@x.org", "team_id": None}
