from django_bolt import BoltAPI

api = BoltAPI(prefix="/shop")


@api.get("/cart")
async def cart() -> dict:
    return {"cart": []}
