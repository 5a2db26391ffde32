"""Bolt routes behind django-tenants' TenantMainMiddleware: each reads the notes of the
tenant the Host names, twice with a pause between, so concurrent requests interleave."""

import asyncio
import time

from django.db import connection

from django_bolt import BoltAPI, Depends, Request

from .models import Note

api = BoltAPI(django_middleware=True)

PAUSE = 0.005


def texts() -> list[str]:
    return sorted(Note.objects.values_list("text", flat=True))


@api.get("/notes/sync")
def notes_sync(request: Request):
    first = texts()
    time.sleep(PAUSE)
    return {
        "tenant": request.tenant.schema_name,
        "schema": connection.schema_name,
        "notes": first,
        "again": texts(),
    }


@api.get("/notes/async")
async def notes_async(request: Request):
    first = [note.text async for note in Note.objects.order_by("text")]
    await asyncio.sleep(PAUSE)
    again = sorted([note.text async for note in Note.objects.all()])
    return {"tenant": request.tenant.schema_name, "notes": first, "again": again}


@api.get("/notes/queryset")
def notes_queryset(request: Request):
    """A lazy queryset: the server reads it once the handler returned."""
    return Note.objects.order_by("text").values("text")


async def note_count() -> int:
    """An async dependency of a sync handler: its query runs on the loop's side."""
    return await Note.objects.acount()


@api.get("/notes/depends")
def notes_depends(request: Request, count: int = Depends(note_count)):
    return {
        "tenant": request.tenant.schema_name,
        "notes": texts(),
        "again": texts(),
        "count": count,
    }
