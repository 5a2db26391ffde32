import msgspec

from django_bolt import BoltAPI, HTTPException
from django_bolt.param_functions import Query

from .models import Item

api = BoltAPI(prefix="/items")


class ItemIn(msgspec.Struct):
    name: str
    price: float


class ItemOut(msgspec.Struct):
    id: int
    name: str
    price: float


@api.get("/")
async def list_items(limit: int = Query(50, ge=1, le=1000)) -> list[ItemOut]:
    # Bounded: a negative slice of a QuerySet raises (a 500); a 422 names the limit.
    return [
        ItemOut(id=i.id, name=i.name, price=i.price)
        async for i in Item.objects.order_by("id")[:limit]
    ]


@api.get("/{item_id}")
async def get_item(item_id: int) -> ItemOut:
    try:
        item = await Item.objects.aget(id=item_id)
    except Item.DoesNotExist:
        raise HTTPException(404, "Item not found") from None
    return ItemOut(id=item.id, name=item.name, price=item.price)


@api.post("/", status_code=201)
async def create_item(item: ItemIn) -> ItemOut:
    obj = await Item.objects.acreate(name=item.name, price=item.price)
    return ItemOut(id=obj.id, name=obj.name, price=obj.price)


@api.delete("/{item_id}")
async def delete_item(item_id: int):
    deleted, _ = await Item.objects.filter(id=item_id).adelete()
    if not deleted:
        raise HTTPException(404, "Item not found")
    return {"deleted": item_id}
