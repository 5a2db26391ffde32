"""The bookshop API in django-bolt, written as a FastAPI user would write it."""

from typing import Annotated

import msgspec
from django.contrib.auth import aauthenticate

from books.models import Book
from django_bolt import (
    BoltAPI,
    Depends,
    HTTPException,
    IsAuthenticated,
    JWTAuthentication,
    LimitOffsetPagination,
    OpenAPIConfig,
    Response,
    create_jwt_for_user,
    paginate,
)
from django_bolt.param_functions import Query

api = BoltAPI(openapi_config=OpenAPIConfig(title="Bookshop", version="1.0.0"))

# Every write needs a valid JWT: checked in Rust before the handler runs.
WRITERS = {"auth": [JWTAuthentication()], "guards": [IsAuthenticated()]}


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


@api.post("/token", tags=["auth"])
async def login(credentials: Credentials):
    user = await aauthenticate(username=credentials.username, password=credentials.password)
    if user is None:
        raise HTTPException(401, "Incorrect username or password")
    return {"access_token": create_jwt_for_user(user), "token_type": "bearer"}


async def get_book(book_id: int) -> Book:
    try:
        return await Book.objects.aget(pk=book_id)
    except Book.DoesNotExist:
        raise HTTPException(404, "Book not found") from None


@api.get("/books", response_model=list[BookOut], tags=["books"])
@paginate(LimitOffsetPagination)
async def list_books(author: Annotated[str | None, Query(max_length=100)] = None):
    books = Book.objects.all()
    return books.filter(author=author) if author else books


@api.get("/books/{book_id}", response_model=BookOut, tags=["books"])
async def read_book(book: Annotated[Book, Depends(get_book)]):
    return book


@api.post("/books", response_model=BookOut, status_code=201, tags=["books"], **WRITERS)
async def create_book(data: BookIn):
    return await Book.objects.acreate(**msgspec.structs.asdict(data))


@api.put("/books/{book_id}", response_model=BookOut, tags=["books"], **WRITERS)
async def update_book(data: BookIn, book: Annotated[Book, Depends(get_book)]):
    for field, value in msgspec.structs.asdict(data).items():
        setattr(book, field, value)
    await book.asave()
    return book


@api.delete("/books/{book_id}", tags=["books"], **WRITERS)
async def delete_book(book: Annotated[Book, Depends(get_book)]):
    await book.adelete()
    return Response(status_code=204)
