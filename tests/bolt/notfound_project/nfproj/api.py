from django_bolt import BoltAPI

from .views import mounted

api = BoltAPI(prefix="/api")
api.mount_asgi("/mounted", mounted)


@api.get("/items/{item_id}")
async def item(item_id: int) -> dict:
    return {"id": item_id}


@api.post("/items")
async def create_item() -> dict:
    return {"created": True}
