"""Serializers over related models (tests/bolt/test_serializers_*.py): typed field
aliases, field(...), computed fields, nested relations, generated serializers."""

from __future__ import annotations

import uuid
from typing import Annotated

from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_bolt import BoltAPI
from django_bolt.exceptions import HTTPException
from django_bolt.serializers import (
    IP,
    URL,
    UUID,
    Char50,
    CountryCode,
    CurrencyCode,
    Email,
    HexColor,
    HttpStatus,
    HttpsURL,
    IPv4,
    IPv6,
    LanguageCode,
    Latitude,
    Longitude,
    Nested,
    NonEmptyStr,
    Password,
    Percentage,
    Phone,
    Port,
    PositiveInt,
    Rating,
    Serializer,
    Slug,
    SmallInt,
    Timezone,
    Username,
    computed_field,
    create_serializer,
    create_serializer_set,
    field,
)

from .models import Author, Book, Category, Review, Tag

api = BoltAPI(prefix="/shelf")


# ---- typed field aliases ----------------------------------------------------------


class Profile(Serializer):
    email: Email
    website: URL | None = None
    secure_site: HttpsURL | None = None
    slug: Slug = "me"
    username: Username = "user"
    password: Password = "long enough"
    phone: Phone | None = None
    address: IP | None = None
    v4: IPv4 | None = None
    v6: IPv6 | None = None
    color: HexColor = "#fff"
    zone: Timezone = "UTC"
    country: CountryCode = "FR"
    currency: CurrencyCode = "EUR"
    language: LanguageCode = "en"
    latitude: Latitude = 0.0
    longitude: Longitude = 0.0
    discount: Percentage = 0.0
    stars: Rating = 3
    port: Port = 443
    status: HttpStatus = 200
    age: PositiveInt = 1
    level: SmallInt = 0
    nickname: Char50 = "x"
    bio: NonEmptyStr = "hi"
    ref: UUID | None = None

    class Config:
        write_only = {"password"}


@api.post("/profiles")
async def echo_profile(data: Profile) -> Profile:
    return data


# ---- serializers over related models ----------------------------------------------


class AuthorOut(Serializer):
    id: int
    name: str


class TagOut(Serializer):
    id: int
    name: str


class ReviewOut(Serializer):
    rating: int
    reviewer: AuthorOut


class BookOut(Serializer):
    id: int = field(read_only=True)
    title: str
    headline: str = field(source="title", alias="headLine")
    author_name: str = field(source="author.name")
    author: AuthorOut
    tags: Annotated[list[TagOut], Nested(TagOut, many=True)]
    reviews: list[ReviewOut] = field(default_factory=list)
    tag_ids: list[int] = field(source="tags", default_factory=list)
    secret: str = field(write_only=True, default="hidden")

    @computed_field
    def tag_count(self) -> int:
        return len(self.tags)

    @computed_field(alias="label")
    def display(self) -> str:
        return f"{self.title} by {self.author.name}"

    class Config:
        field_sets = {"list": ["id", "title", "tag_count"]}


class AuthorWithBooks(Serializer):
    id: int
    name: str
    books: list[BookOut]


class CategoryOut(Serializer):
    name: str
    children: Annotated[list[CategoryOut], Nested(max_depth=2)] = []


class LimitedBook(Serializer):
    title: str
    tags: Annotated[list[TagOut], Nested(TagOut, many=True, max_items=2)]


@api.post("/seed", status_code=201)
def seed(books: int = 3):
    """Authors, tags, ``books`` books with two tags and two reviews each, a 3-level
    category tree; returns the new ids."""
    marker = uuid.uuid4().hex[:6]
    writer = Author.objects.create(name=f"writer-{marker}", email=f"w{marker}@example.com")
    critic = Author.objects.create(name=f"critic-{marker}", email=f"c{marker}@example.com")
    tags = [Tag.objects.create(name=f"tag{i}-{marker}") for i in range(3)]
    ids = []
    for i in range(books):
        book = Book.objects.create(title=f"Book {i} {marker}", slug=f"b{i}-{marker}", author=writer)
        book.tags.set(tags[:2])
        Review.objects.create(book=book, reviewer=critic, rating=4)
        Review.objects.create(book=book, reviewer=writer, rating=5)
        ids.append(book.id)
    root = Category.objects.create(name=f"root-{marker}")
    child = Category.objects.create(name="child", parent=root)
    grandchild = Category.objects.create(name="grandchild", parent=child)
    Category.objects.create(name="great-grandchild", parent=grandchild)
    return {"books": ids, "author": writer.id, "tags": [t.id for t in tags], "category": root.id}


@api.get("/books", response_model=list[BookOut])
def list_books(author: int):
    return Book.objects.filter(author_id=author).order_by("id")


@api.get("/books/{book_id}", response_model=BookOut)
async def get_book(book_id: int):
    return await Book.objects.aget(pk=book_id)


@api.get("/books-async/{book_id}")
async def get_book_async(book_id: int):
    """Built by hand in async code: relations load in Django's async ORM thread."""
    book = await Book.objects.aget(pk=book_id)
    same = await BookOut.afrom_queryset(Book.objects.filter(pk=book_id))
    return {
        "book": await BookOut.afrom_model(book),
        "same": same[0] == (await BookOut.afrom_model(book)),
    }


@api.get("/books-counted")
def books_counted(author: int):
    """Builds the books in this process and says how many queries it took."""
    with CaptureQueriesContext(connection) as queries:
        books = BookOut.from_queryset(Book.objects.filter(author_id=author).order_by("id"))
    return {"queries": len(queries), "books": books}


@api.get("/books-list")
async def books_list(author: int):
    return await _list_view(author)


async def _list_view(author: int):
    from asgiref.sync import sync_to_async

    return await sync_to_async(BookOut.use("list").from_queryset)(
        Book.objects.filter(author_id=author).order_by("id")
    )


@api.get("/authors/{author_id}", response_model=AuthorWithBooks)
def get_author(author_id: int):
    return Author.objects.get(pk=author_id)


@api.get("/categories/{category_id}", response_model=CategoryOut)
def get_category(category_id: int):
    return Category.objects.get(pk=category_id)


@api.post("/limited")
async def limited(data: LimitedBook):
    return {"tags": len(data.tags)}


# ---- generated serializers ----------------------------------------------------------

BookCreate, BookUpdate, BookPublic = create_serializer_set(
    Book,
    create_fields=["title", "slug", "pages", "status", "author", "tags"],
    update_fields=["title", "pages", "status"],
    public_fields=["id", "title", "slug", "pages", "status", "author", "tags"],
    read_only={"id"},
)
AuthorFields = create_serializer(Author, exclude=["email"])


@api.post("/generated/books", response_model=BookPublic, status_code=201)
def create_book(data: BookCreate):
    values = data.to_dict()
    tags, author = values.pop("tags"), values.pop("author")
    book = Book.objects.create(**values, author_id=author)
    book.tags.set(tags)
    return book


@api.patch("/generated/books/{book_id}", response_model=BookPublic)
def update_book(book_id: int, data: BookUpdate):
    book = Book.objects.filter(pk=book_id).first()
    if book is None:
        raise HTTPException(404, "No such book")
    for name, value in data.to_dict().items():
        setattr(book, name, value)
    book.save()
    return book


@api.get("/generated/authors", response_model=list[AuthorFields])
def list_authors():
    return Author.objects.order_by("id")
