"""The bookshop API in django-bolt as this project offers it today, ported from a
ViewSet written for the original django-bolt (see docs/migrate/django-bolt.md)."""

from typing import Annotated

import msgspec
from django.contrib.auth import aauthenticate

from books.models import Book
from django_bolt import (
    JSON,
    AllowAny,
    APIView,
    BoltAPI,
    Depends,
    HTTPException,
    JWTAuthentication,
    OpenAPIConfig,
    PageNumberPagination,
    Request,
    Response,
    create_jwt_for_user,
    paginate,
)
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
        raise HTTPException(401, "Incorrect username or password")
    return {"access_token": create_jwt_for_user(user)}


async def signed_in(request: Request):
    """Writes need a user; reads are open (a view's auth and guards cover all its methods)."""
    if not request.user.is_authenticated:
        raise HTTPException(401, "Authentication credentials were not provided")
    return request.user


async def get_object(pk: int) -> Book:
    try:
        return await Book.objects.aget(pk=pk)
    except Book.DoesNotExist:
        raise HTTPException(404, "Book not found") from None


@api.view("/books", tags=["books"], auth=[JWTAuthentication()], guards=[AllowAny()])
class BookList(APIView):
    @paginate(PageNumberPagination)
    async def get(self, author: str | None = None) -> list[BookSerializer]:
        books = Book.objects.all()
        return books.filter(author=author) if author else books

    async def post(self, data: BookSerializer, user=Depends(signed_in)):
        book = await Book.objects.acreate(title=data.title, author=data.author, year=data.year)
        return JSON(BookSerializer.from_model(book), status_code=201)


@api.view("/books/{pk}", tags=["books"], auth=[JWTAuthentication()], guards=[AllowAny()])
class BookDetail(APIView):
    async def get(self, pk: int) -> BookSerializer:
        return await get_object(pk)

    async def put(self, pk: int, data: BookSerializer, user=Depends(signed_in)) -> BookSerializer:
        book = await get_object(pk)
        book.title, book.author, book.year = data.title, data.author, data.year
        await book.asave()
        return book

    async def delete(self, pk: int, user=Depends(signed_in)):
        book = await get_object(pk)
        await book.adelete()
        return Response(status_code=204)
