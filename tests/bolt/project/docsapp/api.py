"""An API with OpenAPI docs: runbolt serves them for every discovered API."""

from __future__ import annotations

import msgspec

from django_bolt import BoltAPI, OpenAPIConfig, RedocRenderPlugin, ScalarRenderPlugin

api = BoltAPI(
    prefix="/catalog",
    openapi_config=OpenAPIConfig(
        title="Test project",
        version="0.1.0",
        render_plugins=[ScalarRenderPlugin(), RedocRenderPlugin()],
    ),
)


class Book(msgspec.Struct):
    id: int
    title: str


@api.get("/books/{book_id}", tags=["books"])
async def get_book(book_id: int) -> Book:
    """Fetch one book."""
    return Book(id=book_id, title="Dune")
