"""The bookshop API in Django Ninja: the "before" side of docs/migrate/ninja.md."""

from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.shortcuts import get_object_or_404
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import HttpBearer

from books.models import Book

api = NinjaAPI(title="Bookshop", version="1.0.0")


class JWTBearer(HttpBearer):
    def authenticate(self, request, token):
        try:
            claims = jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])
        except jwt.InvalidTokenError:
            return None
        return get_user_model().objects.filter(pk=claims.get("sub"), is_active=True).first()


class Credentials(Schema):
    username: str
    password: str


class BookIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    author: str
    year: int = Field(ge=0, le=2100)


class BookOut(Schema):
    id: int
    title: str
    author: str
    year: int


@api.post("/token", tags=["auth"])
def login(request, credentials: Credentials):
    user = authenticate(username=credentials.username, password=credentials.password)
    if user is None:
        raise HttpError(401, "Incorrect username or password")
    claims = {"sub": str(user.pk), "exp": datetime.now(UTC) + timedelta(hours=1)}
    return {"access_token": jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")}


@api.get("/books", response=list[BookOut], tags=["books"])
@paginate(PageNumberPagination, page_size=20)
def list_books(request, author: str | None = None):
    books = Book.objects.all()
    return books.filter(author=author) if author else books


@api.get("/books/{book_id}", response=BookOut, tags=["books"])
def read_book(request, book_id: int):
    return get_object_or_404(Book, pk=book_id)


@api.post("/books", response={201: BookOut}, auth=JWTBearer(), tags=["books"])
def create_book(request, data: BookIn):
    return 201, Book.objects.create(**data.dict())


@api.put("/books/{book_id}", response=BookOut, auth=JWTBearer(), tags=["books"])
def update_book(request, book_id: int, data: BookIn):
    book = get_object_or_404(Book, pk=book_id)
    for field, value in data.dict().items():
        setattr(book, field, value)
    book.save()
    return book


@api.delete("/books/{book_id}", response={204: None}, auth=JWTBearer(), tags=["books"])
def delete_book(request, book_id: int):
    get_object_or_404(Book, pk=book_id).delete()
    return 204, None
