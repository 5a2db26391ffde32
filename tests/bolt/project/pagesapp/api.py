"""Paginated routes and APIViews over real models, served by the test project. Every
list route takes ``batch`` so that a test pages through its own rows only."""

from __future__ import annotations

import datetime

import msgspec
from people.api import TeamOut

from django_bolt import (
    JSON,
    APIView,
    BoltAPI,
    CursorPagination,
    HTTPException,
    LimitOffsetPagination,
    PageNumberPagination,
    paginate,
)

from .models import Entry

api = BoltAPI(prefix="/pages")


class EntryIn(msgspec.Struct):
    batch: str
    title: str
    created_at: datetime.datetime
    team_id: int | None = None


class EntryOut(msgspec.Struct):
    id: int
    title: str
    created_at: datetime.datetime


class EntryWithTeam(msgspec.Struct):
    id: int
    title: str
    team: TeamOut | None


class SmallPages(PageNumberPagination):
    page_size = 5
    max_page_size = 8


class Feed(CursorPagination):
    page_size = 4
    ordering = "-created_at"
    page_size_query_param = "page_size"


@api.view("/entries", tags=["entries"])
class Entries(APIView):
    @paginate(PageNumberPagination)
    async def get(self, request, batch: str):
        return Entry.objects.filter(batch=batch).order_by("id")

    async def post(self, entry: EntryIn):
        created = await Entry.objects.acreate(**msgspec.structs.asdict(entry))
        return JSON({"id": created.id}, status_code=201)


@api.view("/entries/{entry_id}")
class EntryDetail(APIView):
    async def get(self, entry_id: int) -> EntryOut:
        try:
            return await Entry.objects.aget(pk=entry_id)
        except Entry.DoesNotExist:
            raise HTTPException(404, f"No entry {entry_id}") from None

    def put(self, entry_id: int, title: str) -> EntryOut:
        updated = Entry.objects.filter(pk=entry_id).update(title=title)
        if not updated:
            raise HTTPException(404, f"No entry {entry_id}")
        return Entry.objects.get(pk=entry_id)

    async def delete(self, entry_id: int):
        deleted, _ = await Entry.objects.filter(pk=entry_id).adelete()
        return {"deleted": deleted}


@api.get("/numbered", response_model=list[EntryOut])
@paginate(SmallPages)
def numbered(batch: str):
    return Entry.objects.filter(batch=batch).order_by("created_at", "id")


@api.get("/offset")
@paginate(LimitOffsetPagination)
async def offset(batch: str):
    return Entry.objects.filter(batch=batch).order_by("id")


@api.get("/feed", response_model=list[EntryWithTeam])
@paginate(Feed)
async def feed(request, batch: str):
    return Entry.objects.filter(batch=batch)


@api.get("/by-pk")
@paginate(CursorPagination)
def by_pk(batch: str):
    return Entry.objects.filter(batch=batch)
