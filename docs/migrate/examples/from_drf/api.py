"""The bookshop API in django-bolt, ported from the DRF views of drf_app.py."""

from typing import Annotated

import msgspec
from django.contrib.auth import aauthenticate

from books.models import Book
from django_bolt import (
    BoltAPI,
    HTTPException,
    IsAuthenticated,
    JWTAuthentication,
    OpenAPIConfig,
    PageNumberPagination,
    Response,
    create_jwt_for_user,
    paginate,
)
from django_bolt.serializers import Serializer, field_validator

api = BoltAPI(openapi_config=OpenAPIConfig(title="Bookshop", version="1.0.0"))

# DRF's authentication_classes + permission_classes, per route; checked in Rust.
WRITERS = {"auth": [JWTAuthentication()], "guards": [IsAuthenticated()]}


class BookSerializer(Serializer):
    id: int = 0
    title: Annotated[str, msgspec.Meta(max_length=200)]
    author: Annotated[str, msgspec.Meta(max_length=100)]
    year: Annotated[int, msgspec.Meta(ge=0, le=2100)]

    class Config:
        read_only = {"id"}

    @field_validator("title", "author")
    def not_blank(cls, value):
        if not value.strip():
            raise ValueError("This field may not be blank.")
        return value


class BookPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class Credentials(msgspec.Struct):
    username: str
    password: str


@api.post("/token", tags=["auth"])
async def obtain_token(credentials: Credentials):
    user = await aauthenticate(username=credentials.username, password=credentials.password)
    if user is None:
        raise HTTPException(400, "Unable to log in with provided credentials.")
    return {"token": create_jwt_for_user(user)}


async def get_object(pk: int) -> Book:
    try:
        return await Book.objects.aget(pk=pk)
    except Book.DoesNotExist:
        raise HTTPException(404, "No Book matches the given query.") from None


@api.get("/books", response_model=list[BookSerializer], tags=["books"])
@paginate(BookPagination)
async def book_list(author: str | None = None):
    books = Book.objects.all()
    return books.filter(author=author) if author else books


@api.post("/books", response_model=BookSerializer, status_code=201, tags=["books"], **WRITERS)
async def book_create(data: BookSerializer):
    return await Book.objects.acreate(title=data.title, author=data.author, year=data.year)


@api.get("/books/{pk}", response_model=BookSerializer, tags=["books"])
async def book_retrieve(pk: int):
    return await get_object(pk)


@api.put("/books/{pk}", response_model=BookSerializer, tags=["books"], **WRITERS)
async def book_update(pk: int, data: BookSerializer):
    book = await get_object(pk)
    book.title, book.author, book.year = data.title, data.author, data.year
    await book.asave()
    return book


@api.delete("/books/{pk}", tags=["books"], **WRITERS)
async def book_destroy(pk: int):
    book = await get_object(pk)
    await book.adelete()
    return Response(status_code=204)
