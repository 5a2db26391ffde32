"""Bolt routes behind a listed set of Django middleware, the project's own among them
(tests/bolt/test_django_middleware.py)."""

from django.utils.translation import get_language
from djmwapp.api import who

from django_bolt import BoltAPI, Request, middleware

#: A list of dotted paths, the project's own middleware among them.
api = BoltAPI(
    prefix="/djmw2",
    django_middleware=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "djmwapp.middleware.TagMiddleware",
        "djmwapp.middleware.GateMiddleware",
    ],
)


class Stamp:
    """Middleware written as the original django-bolt documents it: Django's shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    async def __call__(self, request):
        request.state["stamp"] = "on"
        response = await self.get_response(request)
        response.headers["X-Stamp"] = request.tenant
        return response


@api.get("/tagged")
@middleware(Stamp)
async def tagged(request: Request):
    return {
        "tenant": request.tenant,
        "language": request.LANGUAGE_CODE,
        "active_language": get_language(),
        "stamp": request.stamp,
        "in_state": request.state["tenant"],
        **who(request),
    }


@api.get("/no-request")
async def no_request():
    return {"ok": True}
