"""The bookshop API in django-bolt, ported from the Django Ninja API of ninja_app.py.

The handlers stay plain `def` functions with the sync ORM: django-bolt runs them in a
thread pool. `async def` handlers with the async ORM (`aget`, `acreate`) are faster.
"""

from typing import Annotated

import msgspec
from django.contrib.auth import authenticate
from django.http import Http404
from django.shortcuts import get_object_or_404

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

api = BoltAPI(openapi_config=OpenAPIConfig(title="Bookshop", version="1.0.0"))

# Ninja's auth=JWTBearer(): Rust checks the token before the handler runs.
JWT = {"auth": [JWTAuthentication()], "guards": [IsAuthenticated()]}


class Credentials(msgspec.Struct):
    username: str
    password: str


class BookIn(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    author: str
    year: Annotated[int, msgspec.Meta(ge=0, le=2100)]


class BookOut(msgspec.Struct):
    id: int
    title: str
    author: str
    year: int


def get_book(book_id: int) -> Book:
    try:
        return get_object_or_404(Book, pk=book_id)
    except Http404:
        raise HTTPException(404, "Not Found") from None


@api.post("/token", tags=["auth"])
def login(credentials: Credentials):
    user = authenticate(username=credentials.username, password=credentials.password)
    if user is None:
        raise HTTPException(401, "Incorrect username or password")
    return {"access_token": create_jwt_for_user(user)}


@api.get("/books", response_model=list[BookOut], tags=["books"])
@paginate(PageNumberPagination)
def list_books(author: str | None = None):
    books = Book.objects.all()
    return books.filter(author=author) if author else books


@api.get("/books/{book_id}", response_model=BookOut, tags=["books"])
def read_book(book_id: int):
    return get_book(book_id)


@api.post("/books", response_model=BookOut, status_code=201, tags=["books"], **JWT)
def create_book(data: BookIn):
    return Book.objects.create(**msgspec.structs.asdict(data))


@api.put("/books/{book_id}", response_model=BookOut, tags=["books"], **JWT)
def update_book(book_id: int, data: BookIn):
    book = get_book(book_id)
    for field, value in msgspec.structs.asdict(data).items():
        setattr(book, field, value)
    book.save()
    return book


@api.delete("/books/{book_id}", tags=["books"], **JWT)
def delete_book(book_id: int):
    get_book(book_id).delete()
    return Response(status_code=204)
