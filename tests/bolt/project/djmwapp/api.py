"""Bolt routes behind the project's Django middleware (tests/bolt/test_django_middleware.py)."""

import asyncio

from django.views.decorators.csrf import csrf_exempt

from django_bolt import BoltAPI, Request, skip_middleware

#: settings.MIDDLEWARE: sessions, common, CSRF, authentication.
api = BoltAPI(prefix="/djmw", django_middleware=True)

#: No Django middleware: its routes keep the direct call.
plain = BoltAPI(prefix="/djmw-plain")


def who(request: Request) -> dict:
    user = request.user
    return {"username": user.username or None, "authenticated": user.is_authenticated}


@api.get("/whoami")
async def whoami(request: Request):
    return {**who(request), "has_session": request.session is not None}


@api.get("/whoami-sync")
def whoami_sync(request: Request):
    return who(request)


@api.get("/count")
def count(request: Request):
    request.session["n"] = request.session.get("n", 0) + 1
    return {"n": request.session["n"]}


@api.get("/count-async")
async def count_async(request: Request):
    n = await request.session.aget("n", 0) + 1
    await request.session.aset("n", n)
    return {"n": n}


@api.post("/write")
async def write(request: Request):
    return {"written": True}


@api.post("/exempt")
@csrf_exempt
async def exempt(request: Request):
    return {"written": True}


@api.get("/boom")
async def boom():
    raise RuntimeError("handler failed")


@plain.get("/hello")
async def hello():
    return {"hello": "world"}


@api.get("/loop")
async def loop_of_middleware_route():
    return {"loop": id(asyncio.get_running_loop())}


@api.get("/loop-direct")
@skip_middleware("*")
async def loop_of_direct_route():
    return {"loop": id(asyncio.get_running_loop())}


@api.get("/slow")
async def slow(seconds: float):
    await asyncio.sleep(seconds)
    return {"slept": seconds}
