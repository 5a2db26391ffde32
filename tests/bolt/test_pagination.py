"""Pagination over real models (tests/bolt/project/pagesapp): through TestClient (Django
set up in this process on a migrated SQLite file) and through a real runbolt process over
HTTP/1.1 and HTTP/2 (its own SQLite file); then the spec's examples, declaration errors
and result kinds through TestClient."""

from __future__ import annotations

import base64
import datetime
import uuid

import msgspec
import pytest

from django_bolt import (
    BoltAPI,
    CursorPagination,
    Depends,
    HTTPException,
    LimitOffsetPagination,
    PageNumberPagination,
    Redirect,
    paginate,
)
from django_bolt.pagination import NumberedPage
from django_bolt.testing import TestClient

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def project_api(django_project):
    """The project's pagesapp API, and the people API that makes teams."""
    from pagesapp.api import api
    from people.api import api as people_api

    return [api, people_api]


@pytest.fixture
def client(project_client):
    return project_client


def new_batch(client, count: int, *, ties: int = 1, team: int | None = None) -> tuple[str, list]:
    """``count`` new entries of a new batch, created through the API; every ``ties``
    consecutive ones share a ``created_at``. Returns the batch and the entries' ids."""
    batch = uuid.uuid4().hex
    ids = []
    for index in range(count):
        created_at = START + datetime.timedelta(minutes=index // ties)
        body = {"batch": batch, "title": f"entry {index}", "created_at": created_at.isoformat()}
        response = client.post("/pages/entries", json={**body, "team_id": team})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return batch, ids


def new_team(client) -> dict:
    response = client.post("/people/teams", params={"name": "crew"})
    assert response.status_code == 201, response.text
    return response.json()


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(value).decode()


# ---- paging through every row, all three paginators --------------------------------


def test_page_numbers_give_every_row_once_in_order(client):
    batch, ids = new_batch(client, 23)
    seen = []
    for page in range(1, 5):
        body = client.get("/pages/entries", params={"batch": batch, "page": page, "page_size": 7})
        body = body.json()
        assert {k: v for k, v in body.items() if k != "items"} == {
            "count": 23,
            "page": page,
            "page_size": 7,
            "total_pages": 4,
            "has_next": page < 4,
            "has_previous": page > 1,
        }
        seen += [item["id"] for item in body["items"]]
    assert seen == ids
    past_the_end = client.get("/pages/entries", params={"batch": batch, "page": 5, "page_size": 7})
    assert past_the_end.status_code == 200
    assert past_the_end.json()["items"] == []
    assert past_the_end.json()["has_next"] is False


def test_page_number_defaults_and_model_items(client):
    batch, ids = new_batch(client, 3)
    body = client.get("/pages/entries", params={"batch": batch}).json()
    assert (body["page"], body["page_size"], body["total_pages"]) == (1, 20, 1)
    # No response_model: the model's own fields.
    assert body["items"][0] == {
        "id": ids[0],
        "batch": batch,
        "title": "entry 0",
        "created_at": "2026-01-01T00:00:00Z",
        "team_id": None,
    }


def test_page_size_is_capped_at_max_page_size_and_items_follow_the_response_model(client):
    batch, ids = new_batch(client, 12)
    default = client.get("/pages/numbered", params={"batch": batch}).json()
    assert default["page_size"] == 5 and len(default["items"]) == 5
    assert default["items"][0] == {
        "id": ids[0],
        "title": "entry 0",
        "created_at": "2026-01-01T00:00:00Z",
    }
    capped = client.get("/pages/numbered", params={"batch": batch, "page_size": 1000}).json()
    assert capped["page_size"] == 8 and capped["total_pages"] == 2
    assert [item["id"] for item in capped["items"]] == ids[:8]
    second = client.get("/pages/numbered", params={"batch": batch, "page_size": 1000, "page": 2})
    assert [item["id"] for item in second.json()["items"]] == ids[8:]


def test_limit_offset_gives_every_row_once_in_order(client):
    batch, ids = new_batch(client, 17)
    seen, offset = [], 0
    while True:
        body = client.get("/pages/offset", params={"batch": batch, "limit": 6, "offset": offset})
        body = body.json()
        assert (body["count"], body["limit"], body["offset"]) == (17, 6, offset)
        assert body["has_previous"] is (offset > 0)
        seen += [item["id"] for item in body["items"]]
        if not body["has_next"]:
            break
        offset += 6
    assert seen == ids
    capped = client.get("/pages/offset", params={"batch": batch, "limit": 1000}).json()
    assert capped["limit"] == 100 and len(capped["items"]) == 17


def test_cursor_gives_every_row_once_in_ordering_with_ties_broken_by_pk(client):
    team = new_team(client)
    batch, ids = new_batch(client, 11, ties=3, team=team["id"])
    # -created_at, then -pk among entries created at the same time.
    expected = sorted(ids, key=lambda pk: (-(ids.index(pk) // 3), -pk))
    seen, params = [], {"batch": batch}
    while True:
        body = client.get("/pages/feed", params=params).json()
        assert body["page_size"] == 4
        seen += [item["id"] for item in body["items"]]
        # The response model follows the team relation, loaded off the event loop.
        assert all(item["team"] == team for item in body["items"])
        assert all(set(item) == {"id", "title", "team"} for item in body["items"])
        if not body["has_next"]:
            assert body["next_cursor"] is None
            break
        params["cursor"] = body["next_cursor"]
    assert seen == expected
    assert len(seen) == 11


def test_cursor_pages_do_not_shift_when_rows_are_added(client):
    batch, ids = new_batch(client, 6)
    first = client.get("/pages/feed", params={"batch": batch, "page_size": 3}).json()
    assert [item["id"] for item in first["items"]] == ids[:2:-1]
    # A newer entry arrives between the two requests.
    newer = {"batch": batch, "title": "late", "created_at": "2027-01-01T00:00:00Z"}
    assert client.post("/pages/entries", json=newer).status_code == 201
    params = {"batch": batch, "page_size": 3, "cursor": first["next_cursor"]}
    second = client.get("/pages/feed", params=params).json()
    assert [item["id"] for item in second["items"]] == ids[2::-1]
    assert second["has_next"] is False


def test_default_cursor_orders_by_newest_primary_key(client):
    batch, ids = new_batch(client, 25)
    first = client.get("/pages/by-pk", params={"batch": batch}).json()
    second = client.get("/pages/by-pk", params={"batch": batch, "cursor": first["next_cursor"]})
    seen = [item["id"] for item in first["items"] + second.json()["items"]]
    assert seen == ids[::-1]
    assert second.json()["has_next"] is False


def test_an_empty_table_gives_empty_pages(client):
    batch = uuid.uuid4().hex
    numbered = client.get("/pages/entries", params={"batch": batch}).json()
    assert numbered == {
        "items": [],
        "count": 0,
        "page": 1,
        "page_size": 20,
        "total_pages": 0,
        "has_next": False,
        "has_previous": False,
    }
    offset = client.get("/pages/offset", params={"batch": batch}).json()
    assert offset == {
        "items": [],
        "count": 0,
        "limit": 20,
        "offset": 0,
        "has_next": False,
        "has_previous": False,
    }
    cursor = client.get("/pages/feed", params={"batch": batch}).json()
    assert cursor == {"items": [], "page_size": 4, "has_next": False, "next_cursor": None}


# ---- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "field", "kind"),
    [
        ("/pages/entries", {"page": "0"}, "page", "constraint_error"),
        ("/pages/entries", {"page": "abc"}, "page", "type_error"),
        ("/pages/entries", {"page": "-3"}, "page", "constraint_error"),
        ("/pages/entries", {"page_size": "0"}, "page_size", "constraint_error"),
        ("/pages/numbered", {"page_size": "many"}, "page_size", "type_error"),
        ("/pages/offset", {"limit": "-1"}, "limit", "constraint_error"),
        ("/pages/offset", {"limit": "0"}, "limit", "constraint_error"),
        ("/pages/offset", {"offset": "-1"}, "offset", "constraint_error"),
        ("/pages/offset", {"offset": "1.5"}, "offset", "type_error"),
        ("/pages/feed", {"page_size": "0"}, "page_size", "constraint_error"),
    ],
)
def test_bad_page_parameters_are_422_naming_the_parameter(project_api, path, params, field, kind):
    with TestClient(project_api) as client:
        response = client.get(path, params={"batch": "any", **params})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["query", field], kind)


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        "abc",
        cursor_of(b"not json"),
        cursor_of(b'"just a string"'),
        cursor_of(b"[1]"),
        cursor_of(b'["2026-01-01T00:00:00Z", 1, 2]'),
        cursor_of(b'["yesterday", 1]'),
        cursor_of(b'["2026-01-01T00:00:00Z", "one"]'),
        cursor_of(b"[null, 1]"),
        cursor_of(b"[true, 1]"),
        cursor_of(b"[1.5, 1]"),
        cursor_of(b'["0001-01-01T00:00:00+05:00", 1]'),  # out of range once in UTC
        cursor_of(b'["2026-01-01T00:00:00Z", 99999999999999999999999]'),
        cursor_of(b'["2026-01-01T00:00:00Z", {"a": 1}]'),
        cursor_of(bytes([0xFF, 0xFE])),
    ],
)
def test_a_tampered_cursor_is_422_naming_the_cursor(client, cursor):
    response = client.get("/pages/feed", params={"batch": "any", "cursor": cursor})
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "cursor"]
    assert "Invalid cursor" in error["msg"]


# ---- the spec's examples, as written ------------------------------------------------


def spec_api():
    """The spec's "Pagination" section; what the helpers return stands in for the
    project's data."""
    from pagesapp.models import Entry

    async def get_all_users():
        return [{"id": n} for n in range(1, 46)]

    async def get_active_products():
        return [{"sku": n} for n in range(300)]

    async def get_all_logs():
        return [f"line {n}" for n in range(50)]

    async def get_all_posts():
        return Entry.objects.all()

    api = BoltAPI()

    @api.get("/users")
    @paginate(PageNumberPagination)
    async def list_users(request):
        return await get_all_users()

    class LargePages(PageNumberPagination):
        page_size = 50
        max_page_size = 200
        page_size_query_param = "page_size"

    @api.get("/products")
    @paginate(LargePages)
    async def list_products(request):
        return await get_active_products()

    @api.get("/logs")
    @paginate(LimitOffsetPagination)
    async def list_logs(request):
        return await get_all_logs()

    class FeedPagination(CursorPagination):
        page_size = 20
        ordering = "-created_at"

    @api.get("/feed")
    @paginate(FeedPagination)
    async def feed(request):
        return await get_all_posts()

    return api


def test_spec_examples(django_project):
    with TestClient(spec_api()) as client:
        users = client.get("/users", params={"page": 3, "page_size": 20}).json()
        assert users["items"] == [{"id": n} for n in range(41, 46)]
        assert (users["count"], users["total_pages"], users["has_next"]) == (45, 3, False)

        products = client.get("/products").json()
        assert products["page_size"] == 50 and len(products["items"]) == 50
        products = client.get("/products", params={"page_size": 500, "page": 2}).json()
        assert products["page_size"] == 200
        assert products["items"][0] == {"sku": 200} and len(products["items"]) == 100

        logs = client.get("/logs", params={"limit": 20, "offset": 40}).json()
        assert logs["items"] == [f"line {n}" for n in range(40, 50)]

        feed = client.get("/feed")
        assert feed.status_code == 200 and feed.json()["page_size"] == 20
        assert client.get("/feed", params={"cursor": "abc"}).status_code == 422


# ---- declarations and what a paginated handler may return ---------------------------


def test_paginate_above_the_route_decorator_fails_at_import():
    api = BoltAPI()
    with pytest.raises(TypeError, match="above the route decorator .* write it below"):

        @paginate(PageNumberPagination)
        @api.get("/items")
        async def items():
            return []


def test_paginate_takes_a_pagination_class():
    with pytest.raises(TypeError, match="Pagination subclass"):
        paginate(PageNumberPagination())
    with pytest.raises(TypeError, match="Pagination subclass"):
        paginate(dict)


@pytest.mark.parametrize("ordering", ["team__name", "-", "created_at,id", "--pk", ""])
def test_a_cursor_ordering_that_is_not_one_field_fails_at_import(ordering):
    class Bad(CursorPagination):
        pass

    Bad.ordering = ordering
    with pytest.raises(ValueError, match="must name one field of the model"):
        paginate(Bad)


def test_list_results_sync_handlers_dependencies_and_response_model():
    def numbers(prefix: str = "n"):
        return [{"id": n, "name": f"{prefix}{n}"} for n in range(10)]

    api = BoltAPI()

    @api.get("/sync", response_model=list[Item])
    @paginate(LimitOffsetPagination)
    def sync_items(rows=Depends(numbers)):
        return rows

    @api.get("/plain")
    @paginate(PageNumberPagination)
    def plain(page: int = 99):  # reads the same query parameter as the paginator
        return [page]

    with TestClient(api) as client:
        body = client.get("/sync", params={"limit": 3, "offset": 8, "prefix": "x"}).json()
        assert body["items"] == [{"id": 8}, {"id": 9}]
        assert client.get("/plain", params={"page": 1}).json()["items"] == [1]


class Item(msgspec.Struct):
    id: int


def test_the_response_model_may_be_an_item_a_list_of_items_or_the_page_type():
    rows = [{"id": n, "secret": "hidden"} for n in range(3)]
    api = BoltAPI()

    @api.get("/item", response_model=Item)
    @paginate(PageNumberPagination)
    async def item():
        return rows

    @api.get("/annotated")
    @paginate(PageNumberPagination)
    async def annotated() -> list[Item]:
        return rows

    @api.get("/page", response_model=NumberedPage[Item])
    @paginate(PageNumberPagination)
    async def page():
        return rows

    with TestClient(api) as client:
        for path in ("/item", "/annotated", "/page"):
            body = client.get(path, params={"page_size": 2}).json()
            assert body["items"] == [{"id": 0}, {"id": 1}], path
            assert body["total_pages"] == 2


def test_a_handler_may_answer_by_itself_but_not_with_other_results(caplog):
    api = BoltAPI()

    @api.get("/gone")
    @paginate(PageNumberPagination)
    async def gone():
        raise HTTPException(404, "No such list")

    @api.get("/moved")
    @paginate(PageNumberPagination)
    async def moved():
        return Redirect("/elsewhere")

    @api.get("/dict")
    @paginate(PageNumberPagination)
    async def not_a_list():
        return {"a": 1}

    with TestClient(api, raise_server_exceptions=False) as client:
        assert client.get("/gone").json() == {"detail": "No such list"}
        assert client.get("/moved").status_code == 302
        response = client.get("/dict")
        assert response.status_code == 500
        assert response.json()["detail"] == "Internal Server Error"
    assert "returns a QuerySet or a list, not dict" in caplog.text


def test_what_a_cursor_cannot_be_read_from_is_a_500_naming_the_route(caplog):
    api = BoltAPI()

    @api.get("/list")
    @paginate(CursorPagination)
    async def a_list():
        return [1, 2, 3]

    @api.get("/no-ids")
    @paginate(CursorPagination)
    async def no_ids():
        return [{"name": "a"}, {"name": "b"}]

    with TestClient(api, raise_server_exceptions=False) as client:
        assert client.get("/list").status_code == 500
        assert client.get("/no-ids").status_code == 500
    assert "AttributeError" not in caplog.text
    assert "PaginationError" in caplog.text
    for name in ("a_list", "no_ids"):
        assert f"{name}: CursorPagination (ordering '-pk') reads pk" in caplog.text
    assert "an item (int) has none of ['pk', 'id']" in caplog.text


# ---- every kind of result: models, values(), values_list() rows and lists --------------

#: How to read an entry's id from each kind of row, as the JSON encodes it.
SOURCES = {
    "models": (lambda q: q, lambda item: item["id"]),
    "values": (lambda q: q.values("id", "title", "created_at"), lambda item: item["id"]),
    "values-attnames": (lambda q: q.values("title", "created_at", "pk"), lambda i: i["pk"]),
    "values-list": (lambda q: q.values_list("title", "created_at", "id"), lambda i: i[2]),
    "named": (lambda q: q.values_list("id", "created_at", named=True), lambda i: i[0]),
    "dicts": (lambda q: list(q.values("id", "created_at")), lambda item: item["id"]),
    "objects": (lambda q: list(q), lambda item: item["id"]),
}


class FeedOfThree(CursorPagination):
    page_size = 3
    ordering = "-created_at"


class PagesOfThree(PageNumberPagination):
    page_size = 3


class SlicesOfThree(LimitOffsetPagination):
    default_limit = 3


def every_kind_api(batch: str) -> BoltAPI:
    from pagesapp.models import Entry

    api = BoltAPI()
    for paginator in (FeedOfThree, PagesOfThree, SlicesOfThree):
        for kind, (shape, _) in SOURCES.items():

            def rows(shape=shape):  # sync: a list is made in the worker thread
                return shape(Entry.objects.filter(batch=batch))

            rows.__name__ = f"{paginator.__name__}_{kind}".replace("-", "_")
            api.get(f"/{paginator.__name__}/{kind}")(paginate(paginator)(rows))

    @api.get("/flat-ids")
    @paginate(CursorPagination)
    def flat_ids():
        return Entry.objects.filter(batch=batch).values_list("id", flat=True)

    @api.get("/title-counts")
    @paginate(PagesOfThree)
    def title_counts():
        from django.db.models import Count

        return Entry.objects.filter(batch=batch).values("title").annotate(n=Count("id"))

    @api.get("/flat-titles")
    @paginate(FeedOfThree)
    def flat_titles():
        return Entry.objects.filter(batch=batch).values_list("title", flat=True)

    return api


def every_page(client, path: str, read_id, params: dict) -> list[int]:
    seen: list[int] = []
    for _ in range(10):
        response = client.get(path, params=params)
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        seen += [read_id(item) for item in body["items"]]
        if not body["has_next"]:
            return seen
        params = (
            {"cursor": body["next_cursor"]}
            if "next_cursor" in body
            else {**params, **({"page": body["page"] + 1} if "page" in body else {})}
        )
        if "offset" in body:
            params = {"offset": body["offset"] + body["limit"]}
    raise AssertionError(f"{path}: more pages than rows")


def test_every_paginator_pages_models_values_values_list_and_lists(django_project, caplog):
    from pagesapp.models import Entry

    batch = uuid.uuid4().hex
    created = Entry.objects.bulk_create(
        Entry(
            batch=batch,
            title=f"e{n - n % 2}",  # e0 e0 e2 e2 ...
            created_at=START + datetime.timedelta(minutes=n // 2),
        )
        for n in range(8)
    )
    ids = [entry.id for entry in created]
    newest_first = sorted(ids, key=lambda pk: (-(ids.index(pk) // 2), -pk))
    with TestClient(every_kind_api(batch), raise_server_exceptions=False) as client:
        for kind, (_, read_id) in SOURCES.items():
            assert every_page(client, f"/FeedOfThree/{kind}", read_id, {}) == newest_first, kind
            assert every_page(client, f"/PagesOfThree/{kind}", read_id, {}) == ids, kind
            assert every_page(client, f"/SlicesOfThree/{kind}", read_id, {}) == ids, kind
        assert every_page(client, "/flat-ids", lambda item: item, {}) == ids[::-1]
        # values() grouped by a field stays grouped: ordered by the field, not by pk.
        counts = client.get("/title-counts", params={"page": 2}).json()
        assert counts["count"] == 4 and counts["items"] == [{"title": "e6", "n": 2}]
        # A flat row of titles holds no created_at to make a cursor of.
        assert client.get("/flat-titles").status_code == 500
        # A cursor of another kind of item is refused as any bad cursor is.
        bad = client.get("/FeedOfThree/dicts", params={"cursor": cursor_of(b'[{"a": 1}, 2]')})
        assert bad.status_code == 422
    assert "AttributeError" not in caplog.text
    assert "flat_titles: FeedOfThree (ordering '-created_at') reads created_at" in caplog.text
    assert "has none of ['created_at']:" in caplog.text
