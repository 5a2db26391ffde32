"""Routes that query the database from each kind of thread: a sync handler's worker
thread, and the thread running an async handler's ORM calls. Each answers the
PostgreSQL backend that served it (tests/bolt/test_database.py)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.db import connection
from people.models import Team

from django_bolt import BoltAPI

api = BoltAPI(prefix="/db")


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@api.get("/sync")
def sync_query():
    return {"teams": Team.objects.count(), "pid": backend_pid()}


@api.get("/async")
async def async_query():
    teams = await Team.objects.acount()
    return {"teams": teams, "pid": await sync_to_async(backend_pid)()}


@api.get("/queryset")
def queryset():
    """A sync handler's queryset is read on the ORM thread, after the handler."""
    return Team.objects.values("name")


@api.get("/plain")
def plain():
    """A sync route that never touches the database."""
    return {"ok": True}
