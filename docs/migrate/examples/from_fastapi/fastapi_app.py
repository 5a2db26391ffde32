"""The bookshop API in FastAPI: the "before" side of docs/migrate/fastapi.md.

It uses the Django ORM (the model the django-bolt side uses), so that the comparison is
about the web framework only; a FastAPI app on SQLAlchemy moves its tables into Django
models first.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from django.conf import settings
from django.contrib.auth import aauthenticate, get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from fastapi import Depends, FastAPI, HTTPException, Query, Response
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, ConfigDict, Field

from books.models import Book

app = FastAPI(title="Bookshop", version="1.0.0")
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


class Credentials(BaseModel):
    username: str
    password: str


class BookIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    author: str
    year: int = Field(ge=0, le=2100)


class BookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    author: str
    year: int


class BookPage(BaseModel):
    items: list[BookOut]
    count: int
    limit: int
    offset: int
    has_next: bool


@app.post("/token", tags=["auth"])
async def login(credentials: Credentials):
    user = await aauthenticate(username=credentials.username, password=credentials.password)
    if user is None:
        raise HTTPException(401, "Incorrect username or password")
    claims = {"sub": str(user.pk), "exp": datetime.now(UTC) + timedelta(hours=1)}
    token = jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")
    return {"access_token": token, "token_type": "bearer"}


async def current_user(token: Annotated[str, Depends(oauth2_scheme)]):
    try:
        claims = jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])
        return await get_user_model().objects.aget(pk=claims["sub"], is_active=True)
    except (jwt.InvalidTokenError, KeyError, get_user_model().DoesNotExist):
        raise HTTPException(
            401, "Could not validate credentials", headers={"WWW-Authenticate": "Bearer"}
        ) from None


CurrentUser = Annotated[AbstractBaseUser, Depends(current_user)]


async def get_book(book_id: int) -> Book:
    try:
        return await Book.objects.aget(pk=book_id)
    except Book.DoesNotExist:
        raise HTTPException(404, "Book not found") from None


@app.get("/books", response_model=BookPage, tags=["books"])
async def list_books(
    author: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    books = Book.objects.all()
    if author:
        books = books.filter(author=author)
    count = await books.acount()
    items = [book async for book in books[offset : offset + limit]]
    return {
        "items": items,
        "count": count,
        "limit": limit,
        "offset": offset,
        "has_next": offset + limit < count,
    }


@app.get("/books/{book_id}", response_model=BookOut, tags=["books"])
async def read_book(book: Annotated[Book, Depends(get_book)]):
    return book


@app.post("/books", response_model=BookOut, status_code=201, tags=["books"])
async def create_book(data: BookIn, user: CurrentUser):
    return await Book.objects.acreate(**data.model_dump())


@app.put("/books/{book_id}", response_model=BookOut, tags=["books"])
async def update_book(data: BookIn, book: Annotated[Book, Depends(get_book)], user: CurrentUser):
    for field, value in data.model_dump().items():
        setattr(book, field, value)
    await book.asave()
    return book


@app.delete("/books/{book_id}", status_code=204, tags=["books"])
async def delete_book(book: Annotated[Book, Depends(get_book)], user: CurrentUser):
    await book.adelete()
    return Response(status_code=204)
