"""Bolt routes behind django-debug-toolbar's middleware."""

from django.contrib.auth.models import User

from django_bolt import BoltAPI, Request
from django_bolt.responses import HTML, StreamingResponse

api = BoltAPI(django_middleware=True)

PAGE = "<html><body><p>from bolt</p></body></html>"


@api.get("/bolt/json")
async def as_json(request: Request):
    return {"users": await User.objects.acount(), "path": request.path}


@api.get("/bolt/page")
def page(request: Request):
    User.objects.count()  # a query for the SQL panel
    return HTML(PAGE)


@api.get("/bolt/page-async")
async def page_async(request: Request):
    await User.objects.acount()
    return HTML(PAGE)


@api.post("/bolt/echo")
async def echo(request: Request):
    """A body the toolbar's request panel reads too (as request.POST)."""
    return {"length": len(request.body)}


@api.get("/bolt/stream")
async def stream(request: Request):
    """A streamed HTML page: sent as produced, so the toolbar leaves it alone."""

    async def parts():
        for part in ("<html><body>", "<p>streamed</p>", "</body></html>"):
            yield part

    return StreamingResponse(parts(), media_type="text/html")


@api.get("/bolt/boom")
async def boom(request: Request):
    raise RuntimeError("handler failed")
