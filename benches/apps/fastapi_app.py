"""The API framework scenarios' two endpoints in FastAPI, as its docs write them."""

from typing import Annotated

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

app = FastAPI()


class Variant(BaseModel):
    sku: str = Field(min_length=1)
    stock: int = Field(ge=0)


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(ge=0)
    quantity: int = Field(ge=0)
    tags: list[str]
    variants: list[Variant]


@app.get("/items/{item_id}")
async def get_item(item_id: int, q: str, limit: Annotated[int, Query(ge=1, le=100)] = 10):
    return {"item_id": item_id, "q": q, "limit": limit}


@app.post("/items")
async def create_item(item: Item) -> Item:
    return item
