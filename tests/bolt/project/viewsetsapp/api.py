"""ViewSets over a real model, served by the test project (tests/bolt/test_viewsets.py).
Every list route takes ``batch`` so that a test sees its own rows only."""

from __future__ import annotations

from typing import Annotated

import msgspec

from django_bolt import (
    AllowAny,
    BoltAPI,
    IsAuthenticated,
    JWTAuthentication,
    ModelViewSet,
    PageNumberPagination,
    ReadOnlyModelViewSet,
    ViewSet,
    action,
)
from django_bolt.serializers import Serializer, field_validator
from django_bolt.views import CreateMixin, DestroyMixin, ListMixin, RetrieveMixin

from .models import Article

api = BoltAPI(prefix="/vs")


class ArticleSchema(Serializer):
    id: int = 0
    title: str
    slug: str
    published: bool
    views: int

    class Config:
        read_only = {"id", "views"}


class ArticleMini(msgspec.Struct):
    id: int
    title: str


class ArticleCreate(Serializer):
    batch: str
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    slug: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9-]+$")]
    published: bool = False

    @field_validator("title")
    def no_shouting(cls, value: str) -> str:
        if value.isupper():
            raise ValueError("the title must not be all capitals")
        return value.strip()


class ArticleUpdate(Serializer):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    published: bool

    @field_validator("title")
    def no_shouting(cls, value: str) -> str:
        if value.isupper():
            raise ValueError("the title must not be all capitals")
        return value


class Pages(PageNumberPagination):
    page_size = 2


class StatusIn(msgspec.Struct):
    published: bool


@api.viewset("/articles", tags=["articles"])
class ArticleViewSet(ModelViewSet):
    """Every standard action, a list serializer, separate create/update serializers,
    pagination and extra actions."""

    queryset = Article.objects.all()
    serializer_class = ArticleSchema
    list_serializer_class = ArticleMini
    create_serializer_class = ArticleCreate
    update_serializer_class = ArticleUpdate
    pagination_class = Pages

    async def get_queryset(self):
        queryset = await super().get_queryset()
        batch = self.request.query.get("batch")
        return queryset.filter(batch=batch) if batch else queryset

    @action(methods=["GET"], detail=False)
    async def published(self, request, batch: str) -> list[ArticleMini]:
        """The published articles of a batch."""
        return [a async for a in Article.objects.filter(batch=batch, published=True)]

    @action(methods=["POST"], detail=True)
    async def publish(self, request) -> ArticleSchema:
        article = await self.get_object()
        article.published = True
        await article.asave()
        return article

    @action(methods=["GET", "PUT"], detail=True, path="hits", status_code=200)
    def hits(self, request, pk: int, add: int = 0) -> dict:
        """A sync action on one object, for two methods."""
        article = Article.objects.get(pk=pk)
        if request.method == "PUT":
            article.views += add
            article.save()
        return {"id": pk, "views": article.views, "action": self.action}

    @action(detail=True, methods=["POST"], url_path="status")
    async def set_status(self, request, data: StatusIn) -> ArticleSchema:
        article = await self.get_object()
        article.published = data.published
        await article.asave()
        return article

    @action(detail=False, auth=[JWTAuthentication()], guards=[IsAuthenticated()])
    async def secret(self, request):
        return {"secret": True}


@api.viewset("/public", lookup_field="slug")
class PublicArticles(ReadOnlyModelViewSet):
    """Read-only, looked up by slug, from a filtered queryset."""

    queryset = Article.objects.filter(published=True)
    serializer_class = ArticleSchema


class Guarded(ListMixin, RetrieveMixin, CreateMixin, DestroyMixin, ViewSet):
    """Class-level auth and guards; one action opens itself up."""

    queryset = Article.objects.all()
    serializer_class = ArticleSchema
    create_serializer_class = ArticleCreate
    auth = [JWTAuthentication()]
    guards = [IsAuthenticated()]

    def get_queryset(self):
        """A sync override: it builds a query and runs none."""
        return Article.objects.order_by("-id")

    @action(detail=False, guards=[AllowAny()])
    async def ping(self, request):
        return {"pong": True}

    @action(detail=False)
    async def whoami(self) -> dict:
        """``self.request`` is set though the action takes no request."""
        return {"username": self.request.user.username}


api.viewset(Guarded, path="/guarded")


@api.viewset("/plain")
class Plain(ViewSet):
    """A ViewSet with its own actions and no queryset."""

    async def list(self, request, limit: int = 2) -> list[dict]:
        return [{"n": n} for n in range(limit)]

    def retrieve(self, request, pk: int) -> dict:
        return {"pk": pk, "action": self.action, "sync": True}
