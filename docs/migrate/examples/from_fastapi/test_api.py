"""Tests of the django-bolt bookshop API ported from FastAPI (pytest, pytest-django)."""

import pytest
from django.contrib.auth.models import User

from books.models import Book
from django_bolt.testing import TestClient
from from_fastapi.api import api


@pytest.fixture
def client():
    with TestClient(api) as client:
        yield client


@pytest.fixture
def auth(db, client):
    User.objects.create_user("reader", password="correct-horse")
    response = client.post("/token", json={"username": "reader", "password": "correct-horse"})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_crud(client, auth):
    book = {"title": "Dune", "author": "Frank Herbert", "year": 1965}
    created = client.post("/books", json=book, headers=auth)
    assert created.status_code == 201
    book_id = created.json()["id"]
    assert Book.objects.get(pk=book_id).title == "Dune"

    assert client.get(f"/books/{book_id}").json() == {"id": book_id, **book}
    changed = client.put(f"/books/{book_id}", json={**book, "year": 1966}, headers=auth)
    assert changed.json()["year"] == 1966
    assert client.delete(f"/books/{book_id}", headers=auth).status_code == 204
    assert client.get(f"/books/{book_id}").status_code == 404


def test_list_is_paginated_and_filtered(db, client):
    Book.objects.bulk_create(Book(title=f"Book {i}", author="Anon", year=2000) for i in range(5))
    Book.objects.create(title="Emma", author="Jane Austen", year=1815)

    page = client.get("/books", params={"limit": 2, "offset": 2}).json()
    assert [book["title"] for book in page["items"]] == ["Book 2", "Book 3"]
    assert page["count"] == 6
    assert page["has_next"] is True
    by_austen = client.get("/books", params={"author": "Jane Austen"}).json()
    assert [book["title"] for book in by_austen["items"]] == ["Emma"]


def test_writes_need_a_valid_token(db, client):
    book = {"title": "Dune", "author": "Frank Herbert", "year": 1965}
    assert client.post("/books", json=book).status_code == 401
    bad = client.post("/books", json=book, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    wrong = client.post("/token", json={"username": "reader", "password": "wrong"})
    assert wrong.status_code == 401


def test_invalid_input_is_422(client, auth):
    response = client.post("/books", json={"title": "", "author": "X", "year": 1965}, headers=auth)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "title"]
    assert set(error) == {"loc", "msg", "type"}
    assert client.get("/books/not-a-number").status_code == 422
    assert client.get("/books", params={"limit": 0}).status_code == 422


def test_openapi_document(client):
    document = client.get("/docs/openapi.json").json()
    assert document["info"]["title"] == "Bookshop"
    assert set(document["paths"]) == {"/token", "/books", "/books/{book_id}"}
