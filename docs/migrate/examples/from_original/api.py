"""The bookshop API as it was written for the original django-bolt: a ViewSet, the
``django_bolt.auth`` package and the original's exceptions. It runs here unchanged."""

from typing import Annotated

import msgspec
from django.contrib.auth import aauthenticate

from books.models import Book
from django_bolt import JSON, BoltAPI, ViewSet
from django_bolt.auth import AllowAny, JWTAuthentication, create_jwt_for_user
from django_bolt.exceptions import NotFound, Unauthorized
from django_bolt.openapi import OpenAPIConfig
from django_bolt.pagination import PageNumberPagination, paginate
from django_bolt.serializers import Serializer

api = BoltAPI(openapi_config=OpenAPIConfig(title="Bookshop", version="1.0.0"))


class BookSerializer(Serializer):
    id: int = 0
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    author: Annotated[str, msgspec.Meta(max_length=100)]
    year: Annotated[int, msgspec.Meta(ge=0, le=2100)]

    class Config:
        read_only = {"id"}


class Credentials(msgspec.Struct):
    username: str
    password: str


@api.post("/token", tags=["auth"])
async def login(credentials: Credentials):
    user = await aauthenticate(username=credentials.username, password=credentials.password)
    if user is None:
        raise Unauthorized("Incorrect username or password")
    return {"access_token": create_jwt_for_user(user)}


def require_user(request):
    """Reads are open, writes need a signed-in user."""
    if not request.user.is_authenticated:
        raise Unauthorized("Authentication credentials were not provided")


@api.viewset("/books", tags=["books"])
class BookViewSet(ViewSet):
    auth = [JWTAuthentication()]
    guards = [AllowAny()]

    async def get_book(self, pk: int) -> Book:
        try:
            return await Book.objects.aget(pk=pk)
        except Book.DoesNotExist:
            raise NotFound("Book not found") from None

    @paginate(PageNumberPagination)
    async def list(self, request, author: str | None = None) -> list[BookSerializer]:
        books = Book.objects.all()
        return books.filter(author=author) if author else books

    async def retrieve(self, request, pk: int) -> BookSerializer:
        return await self.get_book(pk)

    async def create(self, request, data: BookSerializer):
        require_user(request)
        book = await Book.objects.acreate(title=data.title, author=data.author, year=data.year)
        return JSON(BookSerializer.from_model(book), status_code=201)

    async def update(self, request, pk: int, data: BookSerializer) -> BookSerializer:
        require_user(request)
        book = await self.get_book(pk)
        book.title, book.author, book.year = data.title, data.author, data.year
        await book.asave()
        return book

    async def destroy(self, request, pk: int):
        require_user(request)
        book = await self.get_book(pk)
        await book.adelete()
