"""Nested serializers over Django relations (foreign key, many-to-many, reverse
foreign key, a self-referencing tree) built without N+1 queries: counted with Django's
CaptureQueriesContext in this process, and served by a real runbolt process
(tests/bolt/project/catalog)."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from django_bolt.serializers import Nested, Serializer, field, query_plan
from django_bolt.serializers.loading import shape
from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def project_api(django_project):
    from catalog.api import api

    return api


@pytest.fixture
def client(project_client):
    return project_client


@pytest.fixture
def catalog(django_project):
    from catalog import api, models

    return api, models


@pytest.fixture
def seeded(project_api):
    """Books of a new author (3 by default), seeded in this process's database."""
    with TestClient(project_api) as client:
        return client.post("/shelf/seed", params={"books": 3}).json()


def count_queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    return CaptureQueriesContext(connection)


def expected_book(book: dict) -> None:
    """What every seeded book looks like, whatever its ids."""
    assert book["headLine"] == book["title"]
    assert book["author_name"] == book["author"]["name"]
    assert [tag["name"][:4] for tag in book["tags"]] == ["tag0", "tag1"]
    assert book["tag_ids"] == [tag["id"] for tag in book["tags"]]
    assert [review["rating"] for review in book["reviews"]] == [4, 5]
    assert book["reviews"][0]["reviewer"]["name"].startswith("critic-")
    assert book["tag_count"] == 2
    assert book["label"] == f"{book['title']} by {book['author']['name']}"
    assert "secret" not in book


def test_the_plan_selects_forward_keys_and_prefetches_many_relations(catalog):
    api, models = catalog
    assert query_plan(api.BookOut, models.Book) == (
        ["author"],
        ["tags", "reviews__reviewer", "reviews"],
    )
    # Below a many relation, a foreign key is prefetched too (one query, not per row).
    assert query_plan(api.AuthorWithBooks, models.Author) == (
        [],
        ["books__author", "books__tags", "books__reviews__reviewer", "books__reviews", "books"],
    )
    assert query_plan(api.CategoryOut, models.Category) == ([], ["children__children", "children"])


@pytest.mark.parametrize("books", [1, 6])
def test_from_queryset_costs_one_query_per_relation_not_per_row(catalog, books, project_api):
    api, models = catalog
    with TestClient(project_api) as client:
        author = client.post("/shelf/seed", params={"books": books}).json()["author"]
    queryset = models.Book.objects.filter(author_id=author).order_by("id")
    with count_queries() as queries:
        built = api.BookOut.from_queryset(queryset)
    # books+author, tags, reviews, their reviewers: the same for 1 book or 6.
    assert len(queries) == 4, [q["sql"] for q in queries]
    assert len(built) == books
    for book in msgspec.to_builtins(built):
        expected_book(book)


def test_without_the_plan_each_row_would_query(catalog, seeded):
    """The control: reading the same books one by one costs queries per row, which is
    what the plan saves."""
    api, models = catalog
    with count_queries() as queries:
        for book in models.Book.objects.filter(author_id=seeded["author"]):
            api.BookOut.from_model(book)
    assert len(queries) > 4 * 2


def test_a_list_of_instances_and_a_response_model_get_the_same_plan(catalog, seeded):
    api, models = catalog
    books = list(models.Book.objects.filter(author_id=seeded["author"]).order_by("id"))
    with count_queries() as queries:
        built = api.BookOut.from_queryset(books)
    assert len(queries) == 4 and len(built) == 3
    queryset = models.Book.objects.filter(author_id=seeded["author"])
    with count_queries() as queries:
        shaped = shape(queryset, list[api.BookOut])
    assert len(queries) == 4 and [type(book) for book in shaped] == [api.BookOut] * 3
    author = models.Author.objects.get(pk=seeded["author"])
    with count_queries() as queries:
        nested = shape(author, api.AuthorWithBooks)
    # books, their tags, reviews and reviewers (a book's author is the one it came from).
    assert len(queries) == 4 and len(nested.books) == 3


def test_reverse_relations_and_depth_limits(catalog, seeded):
    api, models = catalog
    author = models.Author.objects.get(pk=seeded["author"])
    built = api.AuthorWithBooks.from_model(author)
    assert [book.title[:6] for book in built.books] == ["Book 0", "Book 1", "Book 2"]
    root = models.Category.objects.get(pk=seeded["category"])
    tree = msgspec.to_builtins(api.CategoryOut.from_model(root))
    # Nested(max_depth=2): children, and their children, then the default ([]).
    assert tree["children"] == [
        {"name": "child", "children": [{"name": "grandchild", "children": []}]}
    ]


def test_nested_routes_over_a_real_socket(client):
    seeded = client.post("/shelf/seed", params={"books": 2})
    assert seeded.status_code == 201
    seeded = seeded.json()
    response = client.get("/shelf/books", params={"author": seeded["author"]})
    assert response.status_code == 200
    books = response.json()
    assert [book["id"] for book in books] == seeded["books"]
    for book in books:
        expected_book(book)
    response = client.get(f"/shelf/books/{seeded['books'][0]}")
    assert response.status_code == 200
    assert response.json() == books[0]
    built = client.get(f"/shelf/books-async/{seeded['books'][0]}").json()
    assert built == {"book": books[0], "same": True}
    # Counted in the server's own process: no query per row.
    counted = client.get("/shelf/books-counted", params={"author": seeded["author"]}).json()
    assert counted["queries"] == 4 and counted["books"] == books
    author = client.get(f"/shelf/authors/{seeded['author']}").json()
    assert author["books"] == books
    tree = client.get(f"/shelf/categories/{seeded['category']}").json()
    assert tree["children"][0]["children"][0] == {"name": "grandchild", "children": []}


def test_nested_input_is_validated_with_paths(client):
    response = client.post(
        "/shelf/limited", json={"title": "t", "tags": [{"id": 1, "name": "a"}] * 3}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "tags"], "msg": "Expected at most 2 items", "type": "value_error"}
    ]
    response = client.post("/shelf/limited", json={"title": "t", "tags": [{"id": "x"}]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "tags", 0, "id"]
    response = client.post("/shelf/limited", json={"title": "t", "tags": [{"id": 1, "name": "a"}]})
    assert response.json() == {"tags": 1}


# ---- declaration rules ----------------------------------------------------------------


class Leaf(Serializer):
    name: str


class Thing:
    def __init__(self, name, parent=None):
        self.name, self.parent, self.leaf = name, parent, parent


def test_nested_declaration_errors():
    with pytest.raises(TypeError, match="takes a Serializer class"):
        Nested(Leaf(name="x"))
    with pytest.raises(ValueError, match="max_depth"):
        Nested(Leaf, max_depth=0)

    class Mismatch(Serializer):
        leaf: Annotated[Leaf, Nested(Leaf, many=True)]

    with pytest.raises(TypeError, match="many=True"):
        Mismatch.from_model(Thing("a", Thing("b")))


class Node(Serializer):
    name: str
    parent: Node | None = None


class BoundedNode(Serializer):
    name: str
    parent: Annotated[BoundedNode | None, Nested(max_depth=1)] = None


class RequiredNode(Serializer):
    name: str
    parent: Annotated[RequiredNode | None, Nested(max_depth=1)]


def test_recursive_serializers_need_a_depth_limit():
    chain = Thing("a", Thing("b", Thing("c")))
    with pytest.raises(TypeError, match=r"Node.parent nests Node inside itself.*max_depth"):
        Node.from_model(chain)
    assert msgspec.to_builtins(BoundedNode.from_model(chain)) == {
        "name": "a",
        "parent": {"name": "b", "parent": None},
    }
    with pytest.raises(TypeError, match="no default"):
        RequiredNode.from_model(chain)


def test_nested_values_from_plain_objects_and_dicts():
    class Box(Serializer):
        label: str = field(source="meta.label")
        leaves: list[Leaf]

    class Meta:
        label = "crate"

    class Holder:
        meta = Meta()
        leaves = [Thing("x"), {"name": "y"}, Leaf(name="z")]

    assert msgspec.to_builtins(Box.from_model(Holder())) == {
        "label": "crate",
        "leaves": [{"name": "x"}, {"name": "y"}, {"name": "z"}],
    }
    assert Box.from_model({"label": "d", "leaves": []}).label == "d"


class OldStyle(Serializer):
    leaf: Nested(Leaf)
    leaves: Nested(Leaf, many=True, max_items=2) = []


def test_the_older_bare_nested_annotation():
    built = OldStyle.from_model(Thing("a", Thing("b")))
    assert msgspec.to_builtins(built) == {"leaf": {"name": "b"}, "leaves": []}
    with pytest.raises(msgspec.ValidationError, match="at most 2 items"):
        msgspec.convert({"leaf": {"name": "x"}, "leaves": [{"name": "y"}] * 3}, OldStyle)
