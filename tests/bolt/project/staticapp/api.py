from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/static/bolt-route")
async def under_static_url():
    """A Bolt route inside STATIC_URL: routes are matched before static files."""
    return {"from": "bolt"}
