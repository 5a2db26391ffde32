"""Serializers generated from Django models (``create_serializer``,
``create_serializer_set``): their types and constraints, their OpenAPI schemas, and
create/update/read routes through TestClient and a real runbolt process
(tests/bolt/project/catalog)."""

from __future__ import annotations

import datetime

import msgspec
import pytest
from openapi_spec_validator import validate

from django_bolt import OpenAPIConfig
from django_bolt.openapi import build_document
from django_bolt.serializers import Serializer, create_serializer, create_serializer_set


@pytest.fixture(scope="module")
def project_api(django_project):
    from catalog.api import api

    return api


@pytest.fixture
def client(project_client):
    return project_client


@pytest.fixture
def models(django_project):
    from catalog import models

    return models


def test_generated_serializer_types_follow_the_columns(models):
    BookFields = create_serializer(models.Book)
    assert issubclass(BookFields, Serializer) and BookFields.__name__ == "BookSerializer"
    assert list(BookFields.__struct_fields__) == [
        "id",
        "title",
        "slug",
        "pages",
        "status",
        "author",
        "tags",
    ]
    book = msgspec.convert({"title": "T", "slug": "t", "author": 1}, BookFields)
    # The primary key is filled by the database, pages and status have model defaults.
    assert (book.id, book.pages, book.status, book.tags) == (None, 100, "draft", [])

    def refused(**values):
        body = {"title": "T", "slug": "t", "author": 1, **values}
        body = {key: value for key, value in body.items() if value is not None}
        with pytest.raises(msgspec.ValidationError) as caught:
            msgspec.convert(body, BookFields)
        return str(caught.value)

    assert "length <= 200" in refused(title="x" * 201)
    assert "length <= 50" in refused(slug="s" * 51)
    assert ">= 0" in refused(pages=-1)
    assert "Invalid enum value 'gone'" in refused(status="gone")
    assert "$.tags[0]" in refused(tags=["a"])
    assert "Object missing required field `author`" in refused(author=None)


def test_fields_exclude_and_names(models):
    Small = create_serializer(models.Author, fields=["name"], serializer_name="AuthorName")
    assert Small.__name__ == "AuthorName" and list(Small.__struct_fields__) == ["name"]
    assert list(create_serializer(models.Author, exclude=["email"]).__struct_fields__) == [
        "id",
        "name",
    ]
    with pytest.raises(ValueError, match=r"Author has no fields \['nope'\]"):
        create_serializer(models.Author, fields=["nope"])
    Category = create_serializer(models.Category)
    assert msgspec.convert({"name": "c"}, Category).parent is None  # nullable key


def test_serializer_set_create_update_public(models):
    Create, Update, Public = create_serializer_set(
        models.Author,
        create_fields=["name", "email"],
        update_fields=["name", "email"],
        public_fields=["id", "name"],
        write_only={"email"},
        read_only={"id"},
    )
    assert [cls.__name__ for cls in (Create, Update, Public)] == [
        "AuthorCreate",
        "AuthorUpdate",
        "AuthorPublic",
    ]
    created = msgspec.convert({"name": "Ann", "email": "a@b.co"}, Create)
    assert created.to_dict() == {"name": "Ann", "email": "a@b.co"}
    assert "email" not in msgspec.json.encode(created).decode()  # write-only
    patch = msgspec.convert({"email": "new@b.co"}, Update)
    assert patch.to_dict() == {"email": "new@b.co"}  # a partial update
    assert Public.__read_only__ == {"id"}


def test_generated_serializers_in_the_openapi_document(project_api):
    document = build_document(project_api.routes, OpenAPIConfig())
    validate(document)
    schemas = document["components"]["schemas"]
    create = schemas["BookCreate"]
    assert create["properties"]["title"] == {"type": "string", "maxLength": 200}
    assert create["properties"]["status"]["enum"] == ["draft", "out"]
    assert create["properties"]["pages"]["maximum"] == 2**31 - 1
    assert sorted(create["required"]) == ["author", "slug", "title"]
    assert not schemas["BookUpdate"].get("required")  # every field optional
    public = schemas["BookPublic"]["properties"]
    assert public["id"]["readOnly"] is True
    assert public["tags"] == {"type": "array", "items": {"type": "integer"}, "default": []}


def test_create_update_and_read_routes(client):
    seeded = client.post("/shelf/seed", params={"books": 1}).json()
    body = {
        "title": "Dune",
        "slug": "dune",
        "author": seeded["author"],
        "tags": seeded["tags"][:2],
    }
    response = client.post("/shelf/generated/books", json=body)
    assert response.status_code == 201, response.text
    book = response.json()
    assert book == {
        "id": book["id"],
        "title": "Dune",
        "slug": "dune",
        "pages": 100,
        "status": "draft",
        "author": seeded["author"],
        "tags": seeded["tags"][:2],
    }
    response = client.patch(f"/shelf/generated/books/{book['id']}", json={"status": "out"})
    assert response.status_code == 200
    assert response.json() == {**book, "status": "out"}
    response = client.patch(f"/shelf/generated/books/{book['id']}", json={"pages": -3})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "pages"]
    response = client.post("/shelf/generated/books", json={**body, "slug": "s" * 60})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "slug"]
    response = client.patch("/shelf/generated/books/0", json={})
    assert response.status_code == 404
    authors = client.get("/shelf/generated/authors").json()
    assert seeded["author"] in [author["id"] for author in authors]
    assert all(sorted(author) == ["id", "name"] for author in authors)


def test_column_types(django_project):
    from django.db import models as m
    from django.test.utils import isolate_apps

    with isolate_apps("catalog"):

        class Sample(m.Model):
            when = m.DateTimeField(auto_now_add=True)
            day = m.DateField(null=True)
            flag = m.BooleanField(default=False)
            amount = m.DecimalField(max_digits=5, decimal_places=2, default=0)
            ratio = m.FloatField(default=0.5)
            ident = m.UUIDField(null=True)
            data = m.JSONField(default=dict)
            small = m.SmallIntegerField(default=0)
            notes = m.TextField(blank=True, default="")

            class Meta:
                app_label = "catalog"

    Out = create_serializer(Sample)
    sample = msgspec.convert({"ident": "4f1b2c3d-1111-4222-8333-944455556666"}, Out)
    assert sample.when is None and sample.day is None and sample.data == {}
    assert str(sample.ident) == "4f1b2c3d-1111-4222-8333-944455556666"
    assert msgspec.convert({"day": "2026-01-02"}, Out).day == datetime.date(2026, 1, 2)
    with pytest.raises(msgspec.ValidationError, match=r"<= 32767"):
        msgspec.convert({"small": 40000}, Out)
