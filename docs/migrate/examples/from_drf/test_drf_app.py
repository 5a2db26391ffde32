"""Tests of the DRF bookshop API: the "before" side of docs/migrate/drf.md."""

import pytest

pytest.importorskip("rest_framework")

from django.contrib.auth.models import User  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from books.models import Book  # noqa: E402

pytestmark = pytest.mark.urls("from_drf.drf_app")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def auth(db, client):
    User.objects.create_user("reader", password="correct-horse")
    response = client.post(
        "/token", {"username": "reader", "password": "correct-horse"}, format="json"
    )
    assert response.status_code == 200
    return {"HTTP_AUTHORIZATION": f"Token {response.json()['token']}"}


def test_crud(client, auth):
    book = {"title": "Dune", "author": "Frank Herbert", "year": 1965}
    created = client.post("/books", book, format="json", **auth)
    assert created.status_code == 201
    book_id = created.json()["id"]
    assert Book.objects.get(pk=book_id).title == "Dune"

    assert client.get(f"/books/{book_id}").json() == {"id": book_id, **book}
    changed = client.put(f"/books/{book_id}", {**book, "year": 1966}, format="json", **auth)
    assert changed.json()["year"] == 1966
    assert client.delete(f"/books/{book_id}", **auth).status_code == 204
    assert client.get(f"/books/{book_id}").status_code == 404


def test_list_is_paginated_and_filtered(db, client):
    Book.objects.bulk_create(Book(title=f"Book {i}", author="Anon", year=2000) for i in range(5))
    Book.objects.create(title="Emma", author="Jane Austen", year=1815)

    page = client.get("/books", {"page": 2, "page_size": 2}).json()
    assert [book["title"] for book in page["results"]] == ["Book 2", "Book 3"]
    assert page["count"] == 6
    assert page["next"] is not None
    by_austen = client.get("/books", {"author": "Jane Austen"}).json()
    assert [book["title"] for book in by_austen["results"]] == ["Emma"]


def test_writes_need_a_valid_token(db, client):
    book = {"title": "Dune", "author": "Frank Herbert", "year": 1965}
    assert client.post("/books", book, format="json").status_code == 401
    bad = client.post("/books", book, format="json", HTTP_AUTHORIZATION="Token nope")
    assert bad.status_code == 401
    wrong = client.post("/token", {"username": "reader", "password": "wrong"}, format="json")
    assert wrong.status_code == 400


def test_invalid_input_is_400(client, auth):
    book = {"title": "", "author": "X", "year": 1965}
    response = client.post("/books", book, format="json", **auth)
    assert response.status_code == 400
    assert response.json() == {"title": ["This field may not be blank."]}
    assert client.get("/books/not-a-number").status_code == 404
    assert client.get("/books", {"page": 0}).status_code == 404


@pytest.mark.urls("bookshop.urls")
def test_drf_views_are_served_beside_the_bolt_routes(db):
    from django_bolt.django_app import DjangoApplication
    from django_bolt.testing import TestClient
    from from_drf.api import api

    Book.objects.create(title="Emma", author="Jane Austen", year=1815)
    with TestClient(api, asgi=DjangoApplication()) as client:
        bolt = client.get("/books").json()
        drf = client.get("/drf/books").json()
    assert [book["title"] for book in bolt["items"]] == ["Emma"]
    assert [book["title"] for book in drf["results"]] == ["Emma"]
