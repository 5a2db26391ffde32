"""The spec's form and upload examples, plus routes that look at how uploads are kept."""

from __future__ import annotations

import os
from typing import Annotated

import msgspec

from django_bolt import BoltAPI, FileSize, HTTPException, UploadFile
from django_bolt.param_functions import File, Form, Header, Query

api = BoltAPI(prefix="/forms")


@api.post("/login")
async def login(
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
):
    return {"username": username}


class ContactForm(msgspec.Struct):
    name: str
    email: str
    message: str


@api.post("/contact")
async def contact(data: Annotated[ContactForm, Form()]):
    return {"name": data.name, "email": data.email}


@api.post("/upload")
async def upload(
    title: Annotated[str, Form()],
    file: Annotated[
        UploadFile,
        File(max_size=FileSize.MB_30, allowed_types=["application/pdf", "image/*"]),
    ],
):
    content = await file.read()
    return {"title": title, "filename": file.filename, "size": len(content)}


@api.post("/upload-many")
async def upload_many(
    files: Annotated[list[UploadFile], File(max_files=5)],
):
    return {"count": len(files)}


class Filters(msgspec.Struct):
    status: str | None = None
    sort: str = "created"
    order: str = "desc"


@api.get("/items")
async def list_items(filters: Annotated[Filters, Query()]):
    return {"status": filters.status, "sort": filters.sort}


class APIHeaders(msgspec.Struct):
    authorization: str
    x_request_id: str | None = None


@api.get("/with-headers")
async def with_headers(headers: Annotated[APIHeaders, Header()]):
    return {"auth": headers.authorization}


@api.post("/small")
async def small(file: Annotated[UploadFile, File(max_size=FileSize.KB_1)]):
    return {"size": file.size}


@api.post("/inspect")
async def inspect_upload(file: UploadFile, fail: Annotated[bool, Form()] = False):
    """Where the upload is kept while the handler runs; raises when asked to."""
    path = getattr(file.file, "name", None)
    on_disk = isinstance(path, str) and os.path.exists(path)
    if fail:
        raise HTTPException(418, "failed on purpose")
    head = await file.read(4)
    await file.seek(0)
    return {
        "on_disk": on_disk,
        "directory": os.path.dirname(path) if on_disk else None,
        "size": file.size,
        "read": len(await file.read()),
        "head": head.decode(),
        "content_type": file.content_type,
    }
