"""The API framework scenarios' two endpoints in Django Ninja, mounted at /ninja/ by
urls.py. Sync views, as Ninja's docs write them, served over WSGI."""

from typing import Annotated

from ninja import Field, NinjaAPI, Query, Schema

api = NinjaAPI()


class Variant(Schema):
    sku: str = Field(min_length=1)
    stock: int = Field(ge=0)


class Item(Schema):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(ge=0)
    quantity: int = Field(ge=0)
    tags: list[str]
    variants: list[Variant]


@api.get("/items/{item_id}")
def get_item(request, item_id: int, q: str, limit: Annotated[int, Query(ge=1, le=100)] = 10):
    return {"item_id": item_id, "q": q, "limit": limit}


@api.post("/items", response=Item)
def create_item(request, item: Item):
    return item
