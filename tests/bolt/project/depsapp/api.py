"""Depends() routes served by the test project; ``/deps/events`` shows what the
dependencies recorded, so tests over a socket can check cleanup order."""

from __future__ import annotations

import threading
from typing import Annotated

from django_bolt import BoltAPI, Depends, HTTPException, Request

api = BoltAPI(prefix="/deps")

EVENTS: list[str] = []
CALLS: dict[str, int] = {}


def record(event: str) -> None:
    EVENTS.append(event)


def count(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


async def get_db():
    record("db open")
    try:
        yield "db"
    except Exception as exc:
        record(f"db saw {type(exc).__name__}")
        raise
    finally:
        record("db closed")


def get_session(db: Annotated[str, Depends(get_db)]):
    record("session open")
    yield f"session on {db}"
    record("session closed")


async def get_current_user(request):
    user_id = request.auth.get("user_id")
    return {"id": user_id, "username": "example"}


def settings_value(factor: int = 1):
    count("settings")
    return 10 * factor


def fresh_value():
    count("fresh")
    return CALLS["fresh"]


async def doubled(base: Annotated[int, Depends(settings_value)]):
    return base * 2


def header_token(request: Request, x_token: str | None = None):
    return request.headers.get("x-token", "none"), x_token


def forbid(request: Request):
    if request.headers.get("x-role") != "admin":
        raise HTTPException(403, "Admins only", headers={"x-denied": "yes"})
    return "admin"


def thread_name():
    return threading.current_thread().name


@api.get("/profile")
async def profile(user: Annotated[dict, Depends(get_current_user)]):
    return {"id": user["id"], "username": user["username"]}


@api.get("/session")
async def session(session: Annotated[str, Depends(get_session)], fail: bool = False):
    record("handler")
    if fail:
        raise RuntimeError("handler failed")
    return {"session": session}


@api.get("/session-sync")
def session_sync(session: Annotated[str, Depends(get_session)], fail: bool = False):
    record("sync handler")
    if fail:
        raise HTTPException(409, "conflict in handler")
    return {"session": session}


@api.get("/cached")
async def cached(
    base: Annotated[int, Depends(settings_value)],
    twice: Annotated[int, Depends(doubled)],
    first: Annotated[int, Depends(fresh_value, use_cache=False)],
    second: Annotated[int, Depends(fresh_value, use_cache=False)],
):
    return {"base": base, "twice": twice, "fresh": [first, second]}


@api.get("/params")
async def params(token=Depends(header_token), factor: int = 1, base=Depends(settings_value)):
    return {"token": list(token), "factor": factor, "base": base}


@api.get("/admin")
async def admin(role: Annotated[str, Depends(forbid)]):
    return {"role": role}


@api.get("/threads")
def threads(dependency_thread: Annotated[str, Depends(thread_name)]):
    return {"same": dependency_thread == threading.current_thread().name}


@api.get("/sync-handler-async-dependency")
def sync_with_async_dependency(value: Annotated[int, Depends(doubled)]):
    return {"value": value}


@api.get("/user")
async def user(request: Request, current: Annotated[dict, Depends(get_current_user)]):
    request.auth = {"user_id": 7}
    return {
        "user_class": f"{type(request.user).__module__}.{type(request.user).__name__}",
        "authenticated": request.user.is_authenticated,
        "auth": request.auth,
        "dependency_saw": current["id"],
    }


@api.get("/events")
async def events():
    return {"events": EVENTS, "calls": CALLS}


@api.delete("/events")
async def reset_events():
    EVENTS.clear()
    CALLS.clear()
    return {}
