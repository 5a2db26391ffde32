import msgspec

from django_bolt import BoltAPI

from .models import Note

api = BoltAPI()


class NoteIn(msgspec.Struct):
    text: str


@api.get("/notes")
def list_notes():
    """A sync handler: runs where the server runs sync handlers."""
    return list(Note.objects.order_by("id").values_list("text", flat=True))


@api.get("/notes/async")
async def list_notes_async():
    """An async handler: the ORM through sync_to_async."""
    return [note.text async for note in Note.objects.order_by("id")]


@api.post("/notes", status_code=201)
async def create_note(note: NoteIn):
    created = await Note.objects.acreate(text=note.text)
    return {"id": created.id}


@api.post("/notes/sync", status_code=201)
def create_note_sync(note: NoteIn):
    return {"id": Note.objects.create(text=note.text).id}
