"""TestClient with pytest-django's ``django_db`` mark and ``db`` fixture."""

import pytest
from notesproj.api import api
from notesproj.models import Note

from django_bolt.testing import TestClient


@pytest.fixture
def bolt():
    with TestClient(api) as client:
        yield client


@pytest.mark.django_db
def test_routes_see_and_write_the_tests_data(bolt):
    Note.objects.create(text="from the test")
    assert bolt.get("/notes").json() == ["from the test"]
    assert bolt.get("/notes/async").json() == ["from the test"]
    assert bolt.post("/notes", json={"text": "by the route"}).status_code == 201
    assert bolt.post("/notes/sync", json={"text": "sync"}).status_code == 201
    assert Note.objects.count() == 3


def test_the_db_fixture_rolls_back_the_routes_writes(db, bolt):
    assert Note.objects.count() == 0
    assert bolt.get("/notes").json() == []
    bolt.post("/notes", json={"text": "again"})
    assert list(Note.objects.values_list("text", flat=True)) == ["again"]


def test_so_the_next_test_starts_clean(db, bolt):
    assert bolt.get("/notes/async").json() == []
