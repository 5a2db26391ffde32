"""Project-level Bolt routes, served by the Rust server without going through Django's
URLconf. The OpenAPI document and its pages (/docs) describe every api.py's routes."""

from django_bolt import BoltAPI, OpenAPIConfig

api = BoltAPI(openapi_config=OpenAPIConfig(title="django-bolt example", version="1.0.0"))


@api.get("/health")
async def health():
    return {"status": "ok"}
