from django_bolt import BoltAPI

api = BoltAPI(prefix="/api")


@api.get("/pid")
async def another_pid():
    return {}
