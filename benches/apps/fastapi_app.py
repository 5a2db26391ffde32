"""The API framework scenarios' endpoints in FastAPI, as its docs write them."""

from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
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


#: The secret of the JWT scenarios' token (benches/run.py BENCH_TOKEN).
JWT_SECRET = "benchmark-only-jwt-secret-" + "x" * 38
bearer = HTTPBearer()


def token_claims(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
) -> dict:
    try:
        return jwt.decode(credentials.credentials, JWT_SECRET, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        raise HTTPException(401, "Invalid token", {"WWW-Authenticate": "Bearer"}) from None


@app.get("/me")
async def me(claims: Annotated[dict, Depends(token_claims)]):
    return {"user": claims["sub"]}
