"""Bolt routes authenticated by the Django session of a user who logged in through
``views.session_login`` (under /sess)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from django_bolt import (
    AllowAny,
    BoltAPI,
    Depends,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    Request,
    SessionAuthentication,
    UploadFile,
    WebSocket,
)
from django_bolt.param_functions import Form

api = BoltAPI(prefix="/sess")


class Note(msgspec.Struct):
    text: str


@api.get("/me", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
async def me(request: Request):
    return {"username": request.user.username, "auth": request.auth}


@api.get("/me-sync", auth=[SessionAuthentication()])
def me_sync(request: Request):
    return {"username": request.user.username, "user_id": request.user.id}


@api.get("/ping", auth=[SessionAuthentication()])
async def ping():
    return {"pong": True}


@api.get("/staff", auth=[SessionAuthentication()], guards=[IsStaff()])
async def staff():
    return {"staff": True}


@api.delete("/admin/{item_id}", auth=[SessionAuthentication()], guards=[IsAdminUser()])
async def admin_delete(item_id: int):
    return {"deleted": item_id}


@api.get(
    "/reports",
    auth=[SessionAuthentication()],
    guards=[IsAuthenticated(), HasAnyPermission("reports.view", "reports.export")],
)
async def reports(request: Request):
    return {"permissions": request.auth["permissions"]}


@api.get(
    "/reports/export", auth=[SessionAuthentication()], guards=[HasPermission("reports.export")]
)
async def export_reports():
    return {"exported": True}


@api.get(
    "/reports/all",
    auth=[SessionAuthentication()],
    guards=[HasAllPermissions("reports.view", "reports.export")],
)
def all_reports():
    return {"all": True}


@api.post("/notes", auth=[SessionAuthentication()])
async def add_note(note: Note, request: Request):
    return {"text": note.text, "by": request.user.username}


@api.put("/notes/{note_id}", auth=[SessionAuthentication()])
async def edit_note(note_id: int, note: Note):
    return {"id": note_id, "text": note.text}


@api.post("/either", auth=[JWTAuthentication(), SessionAuthentication()])
async def either(request: Request):
    return {"backend": request.auth["backend"], "username": request.user.username}


@api.get("/optional", auth=[SessionAuthentication()], guards=[AllowAny()])
async def optional(request: Request):
    return {"authenticated": request.user.is_authenticated, "auth": request.auth}


async def current_username(request: Request) -> str:
    return request.user.username


@api.get("/profile", auth=[SessionAuthentication()])
async def profile(username: Annotated[str, Depends(current_username)]):
    return {"username": username}


@api.websocket("/ws", auth=[SessionAuthentication()])
async def ws_me(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_json({"username": websocket.user.username, "auth": websocket.auth})
    async for message in websocket.iter_text():
        await websocket.send_text(f"{websocket.user.username}: {message}")


@api.websocket("/ws/staff", auth=[SessionAuthentication()], guards=[IsStaff()])
async def ws_staff(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_json({"staff": websocket.user.is_staff})
    await websocket.close()


@api.post("/upload", auth=[SessionAuthentication()])
async def upload(title: Annotated[str, Form()], file: UploadFile):
    return {"title": title, "size": len(await file.read())}
