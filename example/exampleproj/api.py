"""Project-level Bolt routes, served by the Rust server without going through Django's URLconf."""

from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/health")
async def health():
    return {"status": "ok"}
