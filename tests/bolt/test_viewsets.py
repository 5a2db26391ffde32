"""ViewSets, their mixins and ``@action`` on ``api.viewset``: declarations and mistakes
through TestClient, then the test project's ViewSets over a real model
(tests/bolt/project/viewsetsapp) through TestClient and a real runbolt process over
HTTP/1.1 and HTTP/2, and their OpenAPI document."""

from __future__ import annotations

import time
import uuid

import jwt as pyjwt
import msgspec
import pytest
from openapi_spec_validator import validate

import django_bolt
import django_bolt.decorators
import django_bolt.views
from django_bolt import APIView, BoltAPI, ModelViewSet, OpenAPIConfig, ViewSet, action
from django_bolt.openapi import build_document
from django_bolt.testing import TestClient

VIEW_NAMES = [
    "ViewSet",
    "ModelViewSet",
    "ReadOnlyModelViewSet",
    "ListMixin",
    "RetrieveMixin",
    "CreateMixin",
    "UpdateMixin",
    "PartialUpdateMixin",
    "DestroyMixin",
]
SECRET = "tests-only-jwt-secret-" + "x" * 48  # the project's BOLT_JWT_SECRET


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_view_classes_are_exported_from_the_package_and_django_bolt_views(name):
    assert getattr(django_bolt, name) is getattr(django_bolt.views, name)
    assert name in django_bolt.__all__ and name in django_bolt.views.__all__


def test_a_viewset_can_be_parameterised_by_its_model_for_type_checkers():
    assert ModelViewSet["Article"] is ModelViewSet


def test_action_is_exported_from_the_package_and_decorators():
    assert django_bolt.action is django_bolt.decorators.action
    assert isinstance(action(detail=False)(lambda self: None), django_bolt.decorators.ActionHandler)


# ---- declarations, without a database -----------------------------------------------


DESTROYED: list[str] = []


class Things(ViewSet):
    """Its own actions: async and sync, the lookup argument declared or not."""

    async def list(self, request, limit: int = 2) -> list[dict]:
        return [{"n": n, "action": self.action} for n in range(limit)]

    def retrieve(self, request, pk: int) -> dict:
        return {"pk": pk, "kwargs": self.kwargs, "method": self.request.method}

    async def destroy(self):
        DESTROYED.append(self.kwargs["pk"])  # a str: without a queryset, no model to type it

    @action(methods=["GET", "POST"], detail=True, path="twice")
    async def both(self, request) -> dict:
        return {"method": request.method, "pk": self.kwargs["pk"]}

    @action(detail=False, url_path="/count/")
    def count(self) -> dict:
        return {"count": 3, "action": self.action, "has_request": self.request is not None}


def test_a_viewset_routes_its_actions_in_every_registration_form():
    for register in (
        lambda api: api.viewset("/things")(Things),
        lambda api: api.viewset("/things", Things),
        lambda api: api.viewset(Things, path="/things"),
        lambda api: api.viewset(path="/things/")(Things),
    ):
        api = BoltAPI(prefix="/p")
        assert register(api) is Things
        routes = {(route.method, route.path) for route in api.routes}
        assert routes == {
            ("GET", "/p/things"),
            ("GET", "/p/things/{pk}"),
            ("DELETE", "/p/things/{pk}"),
            ("GET", "/p/things/{pk}/twice"),
            ("POST", "/p/things/{pk}/twice"),
            ("GET", "/p/things/count"),
        }
        with TestClient(api) as client:
            assert client.get("/p/things").json() == [
                {"n": 0, "action": "list"},
                {"n": 1, "action": "list"},
            ]
            assert client.get("/p/things/7").json() == {
                "pk": 7,
                "kwargs": {"pk": 7},
                "method": "GET",
            }
            DESTROYED.clear()
            gone = client.delete("/p/things/8")
            assert (gone.status_code, gone.content) == (204, b"")
            assert DESTROYED == ["8"]
            assert client.post("/p/things/9/twice").json() == {"method": "POST", "pk": "9"}
            assert client.get("/p/things/count").json() == {
                "count": 3,
                "action": "count",
                "has_request": True,
            }
            assert client.get("/p/things/x").status_code == 422
            assert client.put("/p/things/1").status_code == 405


def test_api_view_takes_the_upstream_forms_and_refuses_actions():
    class Hello(APIView):
        async def get(self, request):
            return {"hello": self.request.method, "action": self.action}

        async def post(self):
            return {"posted": True}

    api = BoltAPI()
    api.view("/hello", Hello, methods=["GET"])
    api.view("/both")(Hello)
    assert [(r.method, r.path) for r in api.routes] == [
        ("GET", "/hello"),
        ("GET", "/both"),
        ("POST", "/both"),
    ]
    with TestClient(api) as client:
        assert client.get("/hello").json() == {"hello": "GET", "action": "get"}
        assert client.post("/hello").status_code == 405
    with pytest.raises(TypeError, match="does not define put"):
        api.view("/x", Hello, methods=["PUT"])
    with pytest.raises(ValueError, match=r"Things.both is an @action: register the class with"):
        api.view("/x", Things)


class Item(msgspec.Struct):
    n: int


def test_a_list_with_its_own_paginate_keeps_it():
    from django_bolt import LimitOffsetPagination, PageNumberPagination, paginate

    class Numbers(ViewSet):
        pagination_class = LimitOffsetPagination  # not applied over the method's own

        @paginate(PageNumberPagination)
        async def list(self, request, odd: bool = False) -> list[Item]:
            return [Item(n) for n in range(1, 8) if not odd or n % 2]

    api = BoltAPI()
    api.viewset("/numbers", Numbers)
    with TestClient(api) as client:
        page = client.get("/numbers", params={"odd": True, "page": 2, "page_size": 3}).json()
        assert page["items"] == [{"n": 7}] and page["count"] == 4 and page["page"] == 2
        assert client.get("/numbers", params={"limit": 1}).json()["page_size"] == 20


def test_a_serializer_chosen_from_the_request_leaves_the_response_unmodelled():
    from django_bolt import ReadOnlyModelViewSet

    class ByUser(ReadOnlyModelViewSet):
        def get_serializer_class(self, action=None):
            return Item if self.request.user.is_staff else Item

    api = BoltAPI()
    api.viewset("/by-user", ByUser)
    assert [(r.path, r.response_model) for r in api.routes] == [
        ("/by-user", None),
        ("/by-user/{pk}", None),
    ]


def test_declaration_mistakes_fail_at_import():
    api = BoltAPI()
    with pytest.raises(TypeError, match="takes a ViewSet subclass"):
        api.viewset("/x", APIView)
    with pytest.raises(TypeError, match="needs a path string"):
        api.viewset(Things)
    with pytest.raises(TypeError, match="path once"):
        api.viewset("/x", Things, path="/y")

    class Empty(ViewSet):
        pass

    with pytest.raises(TypeError, match="Empty defines none of list"):
        api.viewset("/x", Empty)

    class NoSerializer(ModelViewSet):
        pass

    with pytest.raises(ValueError, match="NoSerializer has no serializer for 'list'"):
        api.viewset("/x", NoSerializer)
    with pytest.raises(TypeError, match="needs detail=True"):
        action(methods=["GET"])
    with pytest.raises(ValueError, match=r"\['FETCH'\] are not HTTP methods"):
        action(methods=["FETCH"], detail=False)
    with pytest.raises(TypeError, match="path or url_path"):
        action(detail=False, path="a", url_path="b")
    assert api.routes == []


def test_class_options_apply_and_the_registration_and_actions_override_them():
    class Tagged(ViewSet):
        tags = ["class"]
        status_code = 202

        async def list(self) -> list[int]:
            return [1]

        async def create(self) -> dict:
            return {}

        @action(detail=False, tags=["own"], status_code=200)
        async def mine(self) -> dict:
            return {}

    api = BoltAPI()
    api.viewset("/t", Tagged, tags=["registration"])
    options = {(r.method, r.path): (r.tags, r.status_code) for r in api.routes}
    assert options == {
        ("GET", "/t"): (["registration"], 202),
        ("POST", "/t"): (["registration"], 202),
        ("GET", "/t/mine"): (["own"], 200),
    }


# ---- the project's ViewSets over a real model -----------------------------------------


@pytest.fixture(scope="module")
def project_api(django_project):
    from viewsetsapp.api import api

    return api


@pytest.fixture
def client(project_client):
    return project_client


@pytest.fixture(scope="module")
def bearer(django_project):
    """A token of a user the project's databases are seeded with (same key everywhere)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="ann")
    claims = {"sub": str(user.pk), "exp": int(time.time()) + 3600}
    return {"Authorization": f"Bearer {pyjwt.encode(claims, SECRET, algorithm='HS256')}"}


def new_article(client, batch: str, **fields) -> dict:
    body = {"batch": batch, "title": "A title", "slug": f"s-{uuid.uuid4().hex[:12]}", **fields}
    response = client.post("/vs/articles", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_write_serializer_field_the_model_lacks_fails_at_import(django_project):
    from viewsetsapp.models import Article

    from django_bolt.serializers import Serializer

    class WithSubtitle(Serializer):
        title: str
        subtitle: str

    class Articles(ModelViewSet):
        queryset = Article.objects.all()
        serializer_class = WithSubtitle

    api = BoltAPI()
    with pytest.raises(TypeError, match=r"field\(s\) \['subtitle'\] are not fields of Article"):
        api.viewset("/a", Articles)
    assert api.routes == []


def test_model_viewset_creates_lists_reads_updates_and_deletes(client):
    batch = uuid.uuid4().hex
    created = new_article(client, batch, title="  First ", published=True)
    assert created == {
        "id": created["id"],
        "title": "First",  # the create serializer's validator ran
        "slug": created["slug"],
        "published": True,
        "views": 0,
    }
    pk = created["id"]
    second = new_article(client, batch)
    third = new_article(client, batch)
    page = client.get("/vs/articles", params={"batch": batch}).json()
    assert page == {
        "items": [{"id": pk, "title": "First"}, {"id": second["id"], "title": "A title"}],
        "count": 3,
        "page": 1,
        "page_size": 2,
        "total_pages": 2,
        "has_next": True,
        "has_previous": False,
    }
    last = client.get("/vs/articles", params={"batch": batch, "page": 2}).json()
    assert [item["id"] for item in last["items"]] == [third["id"]]
    assert client.get(f"/vs/articles/{pk}").json() == created

    updated = client.put(f"/vs/articles/{pk}", json={"title": "Renamed", "published": False})
    assert updated.status_code == 200
    assert updated.json() == {**created, "title": "Renamed", "published": False}
    patched = client.patch(f"/vs/articles/{pk}", json={"published": True})
    assert patched.json() == {**created, "title": "Renamed", "published": True}
    # Read-only fields are the server's: what a client sends for them is ignored.
    assert client.patch(f"/vs/articles/{pk}", json={"id": 999, "views": 5}).json()["id"] == pk

    deleted = client.delete(f"/vs/articles/{pk}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    missing = client.get(f"/vs/articles/{pk}")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found"})
    gone = client.patch(f"/vs/articles/{pk}", json={"published": False})
    assert gone.status_code == 404


def test_model_viewset_refuses_bad_input_with_422(client):
    batch = uuid.uuid4().hex
    missing = client.post("/vs/articles", json={"batch": batch, "slug": "no-title"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "title"]
    bad_slug = client.post("/vs/articles", json={"batch": batch, "title": "t", "slug": "A B"})
    assert bad_slug.status_code == 422
    assert bad_slug.json()["detail"][0]["loc"] == ["body", "slug"]
    shouting = client.post("/vs/articles", json={"batch": batch, "title": "LOUD", "slug": "x"})
    assert shouting.status_code == 422
    assert shouting.json()["detail"][0]["msg"] == "the title must not be all capitals"
    body = {"batch": batch, "title": "t", "slug": f"taken-{uuid.uuid4().hex[:8]}"}
    assert client.post("/vs/articles", json=body).status_code == 201
    duplicate = client.post("/vs/articles", json=body)
    assert duplicate.status_code == 409
    assert "database constraint" in duplicate.json()["detail"]
    assert client.post("/vs/articles", content=b"{not json").status_code == 422
    assert client.post("/vs/articles").status_code == 422

    pk = new_article(client, batch)["id"]
    wrong_type = client.patch(f"/vs/articles/{pk}", json={"published": "yes"})
    assert wrong_type.status_code == 422
    assert wrong_type.json()["detail"][0]["loc"] == ["body", "published"]
    # A PATCH is checked with the update serializer's validators too.
    loud = client.patch(f"/vs/articles/{pk}", json={"title": "LOUD"})
    assert loud.status_code == 422
    assert loud.json()["detail"][0]["loc"] == ["body", "title"]
    assert client.put(f"/vs/articles/{pk}", json={"title": "only"}).status_code == 422
    assert client.get(f"/vs/articles/{pk}").json()["title"] == "A title"
    assert client.get("/vs/articles/not-a-number").status_code == 422
    assert client.get("/vs/articles", params={"page": 0}).status_code == 422


def test_actions_on_the_collection_and_on_one_object(client):
    batch = uuid.uuid4().hex
    draft = new_article(client, batch)
    shown = new_article(client, batch, published=True)
    # A static segment wins over the lookup argument at the same place.
    published = client.get("/vs/articles/published", params={"batch": batch})
    assert published.json() == [{"id": shown["id"], "title": "A title"}]
    assert client.get("/vs/articles/published").status_code == 422  # batch is required

    made_public = client.post(f"/vs/articles/{draft['id']}/publish")
    assert made_public.json()["published"] is True
    assert client.post("/vs/articles/999999/publish").status_code == 404
    assert client.get(f"/vs/articles/{draft['id']}/publish").status_code == 405

    hits = f"/vs/articles/{draft['id']}/hits"
    assert client.get(hits).json() == {"id": draft["id"], "views": 0, "action": "hits"}
    assert client.put(hits, json={"add": 3}).json()["views"] == 3

    status = client.post(f"/vs/articles/{draft['id']}/status", json={"published": False})
    assert status.json()["published"] is False
    refused = client.post(f"/vs/articles/{draft['id']}/status", json={"published": 1})
    assert refused.status_code == 422


def test_lookup_field_and_a_filtered_queryset(client):
    batch = uuid.uuid4().hex
    shown = new_article(client, batch, published=True)
    hidden = new_article(client, batch)
    assert client.get(f"/vs/public/{shown['slug']}").json() == shown
    assert client.get(f"/vs/public/{hidden['slug']}").status_code == 404
    listed = client.get("/vs/public").json()
    assert shown in listed and hidden not in listed
    assert client.post("/vs/public", json={}).status_code == 405


def test_auth_and_guards_of_the_class_and_of_an_action(client, bearer):
    assert client.get("/vs/guarded").status_code == 401
    assert client.get("/vs/guarded/1").status_code == 401
    assert client.post("/vs/guarded", json={}).status_code == 401
    assert client.get("/vs/guarded/ping").json() == {"pong": True}
    assert client.get("/vs/guarded/whoami").status_code == 401
    assert client.get("/vs/guarded/whoami", headers=bearer).json() == {"username": "ann"}
    assert client.get("/vs/guarded", headers=bearer).status_code == 200
    created = client.post(
        "/vs/guarded",
        json={"batch": uuid.uuid4().hex, "title": "t", "slug": f"g-{uuid.uuid4().hex[:8]}"},
        headers=bearer,
    )
    assert created.status_code == 201
    assert client.get("/vs/guarded", headers=bearer).json()[0] == created.json()
    assert client.delete(f"/vs/guarded/{created.json()['id']}", headers=bearer).status_code == 204

    assert client.get("/vs/articles/secret").status_code == 401
    assert client.get("/vs/articles/secret", headers=bearer).json() == {"secret": True}


def test_a_viewset_without_a_queryset_runs_its_own_actions(client):
    assert client.get("/vs/plain", params={"limit": 3}).json() == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert client.get("/vs/plain/5").json() == {"pk": 5, "action": "retrieve", "sync": True}


def test_each_route_is_a_documented_operation(project_api):
    document = build_document(project_api.routes, OpenAPIConfig(title="ViewSets", version="1"))
    validate(document)
    paths = document["paths"]
    assert {path: set(operations) for path, operations in paths.items()} == {
        "/vs/articles": {"get", "post"},
        "/vs/articles/{pk}": {"get", "put", "patch", "delete"},
        "/vs/articles/published": {"get"},
        "/vs/articles/{pk}/publish": {"post"},
        "/vs/articles/{pk}/hits": {"get", "put"},
        "/vs/articles/{pk}/status": {"post"},
        "/vs/articles/secret": {"get"},
        "/vs/public": {"get"},
        "/vs/public/{slug}": {"get"},
        "/vs/guarded": {"get", "post"},
        "/vs/guarded/{pk}": {"get", "delete"},
        "/vs/guarded/ping": {"get"},
        "/vs/guarded/whoami": {"get"},
        "/vs/plain": {"get"},
        "/vs/plain/{pk}": {"get"},
    }
    articles = paths["/vs/articles"]
    create = articles["post"]
    assert create["operationId"] == "article_view_set_create"
    assert create["tags"] == ["articles"]
    assert set(create["responses"]) >= {"201", "422"}
    schemas = document["components"]["schemas"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ArticleCreate"}
    assert schemas["ArticleCreate"]["required"] == ["batch", "title", "slug"]
    patch = paths["/vs/articles/{pk}"]["patch"]["requestBody"]["content"]["application/json"]
    assert not schemas[patch["schema"]["$ref"].rsplit("/", 1)[1]].get("required")
    listed = articles["get"]
    assert [p["name"] for p in listed["parameters"]] == ["page", "page_size"]
    page = listed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert schemas[page.rsplit("/", 1)[1]]["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/ArticleMini"
    }
    destroy = paths["/vs/articles/{pk}"]["delete"]
    assert "content" not in destroy["responses"]["204"]
    lookup = paths["/vs/public/{slug}"]["get"]["parameters"]
    assert lookup == [
        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert paths["/vs/articles/{pk}"]["get"]["parameters"][0]["schema"] == {"type": "integer"}
    assert "security" in paths["/vs/guarded"]["get"]
    assert "security" in paths["/vs/articles/secret"]["get"]
    assert "security" not in paths["/vs/articles"]["get"]
    operation_ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert paths["/vs/articles/published"]["get"]["description"] == (
        "The published articles of a batch."
    )


def test_a_patch_of_renamed_fields_is_checked_by_attribute_and_the_url_kwarg_is_named():
    from types import SimpleNamespace

    from django_bolt.views import PartialUpdateMixin

    class Person(msgspec.Struct, rename="camel"):
        first_name: str
        age: int = 0

    stored = SimpleNamespace(first_name="Al", age=3)
    seen = []

    class People(PartialUpdateMixin, ViewSet):
        serializer_class = Person
        lookup_url_kwarg = "person"

        async def get_object(self):
            seen.append(self.kwargs)
            return stored

        async def perform_update(self, instance):
            pass

    api = BoltAPI()
    api.viewset("/people", People)
    assert [(r.method, r.path) for r in api.routes] == [("PATCH", "/people/{person}")]
    with TestClient(api) as client:
        patched = client.patch("/people/7", json={"firstName": "Bo"})
        assert patched.json() == {"firstName": "Bo", "age": 3}
        assert seen == [{"person": "7"}]
        assert client.patch("/people/7", json={"age": "old"}).status_code == 422
    assert stored.first_name == "Bo"


def test_a_partial_body_keeps_json_names_and_constraints():
    from django_bolt.views._mixins import partial_body

    class Renamed(msgspec.Struct, rename="camel"):
        first_name: str
        age: int = 0

    patch = partial_body(Renamed)
    assert msgspec.json.decode(b'{"firstName": "x"}', type=patch).first_name == "x"
    assert msgspec.json.decode(b"{}", type=patch).age is msgspec.UNSET


def test_the_original_spelling_perform_destory_is_still_called():
    import asyncio

    removed = []

    class Keeps(ModelViewSet):
        async def perform_destory(self, instance):
            removed.append(instance)

    asyncio.run(Keeps().perform_destroy("an object"))
    assert removed == ["an object"]


def test_a_viewset_name_names_each_route_as_drf_routers_do():
    from django_bolt.urls import bolt_urlpatterns

    api = BoltAPI()

    @api.viewset("/shelves", name="shelf", include_in_schema=False)
    class Shelves(ViewSet):
        async def list(self, request):
            return []

        async def retrieve(self, request, pk: int):
            return {"pk": pk}

        @action(detail=True, methods=["POST"])
        async def mark_read(self, request, pk: int):
            return {"read": pk}

        @action(detail=False, url_name="overview")
        async def summary(self, request):
            return {}

    patterns = {p.name: str(p.pattern) for p in bolt_urlpatterns(api.routes)}
    assert patterns == {
        "shelf-list": "shelves",
        "shelf-detail": "shelves/<pk>",
        "shelf-mark-read": "shelves/<pk>/mark_read",
        "shelf-overview": "shelves/summary",
    }
    assert all(route.include_in_schema is False for route in api.routes)
