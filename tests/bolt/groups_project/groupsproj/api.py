"""WebSocket members that join and leave groups on command, broadcasts over HTTP, and
JWT routes checking a revocation store in the project's cache."""

from __future__ import annotations

import os
from typing import Any

import msgspec

from django_bolt import BoltAPI, JWTAuthentication, Request, WebSocket
from django_bolt.auth.revocation import DjangoCacheRevocation

api = BoltAPI()

JWT_SECRET = "groups-tests-secret-of-32-bytes-or-more"
store = DjangoCacheRevocation(negative_ttl=float(os.environ.get("BOLT_TEST_NEGATIVE_TTL", "0")))
jwt = JWTAuthentication(secret=JWT_SECRET, load_user=False, revocation_store=store)


@api.websocket("/ws/member")
async def member(websocket: WebSocket):
    """``join G`` / ``leave G`` / ``groups``, each answered ``ok ...`` once done."""
    await websocket.accept()
    async for command in websocket.iter_text():
        op, _, group = command.partition(" ")
        if op == "join":
            await websocket.join(group)
        elif op == "leave":
            await websocket.leave(group)
        await websocket.send_text(f"ok {command} {sorted(websocket.groups)}")


class Broadcast(msgspec.Struct):
    message: Any
    binary: bool = False


@api.post("/broadcast/{group}")
async def broadcast(group: str, body: Broadcast):
    message = body.message.encode() if body.binary else body.message
    await api.broadcast(group, message)
    return {"sent": group}


@api.get("/me", auth=[jwt])
async def me(request: Request):
    return {"jti": request.auth["claims"]["jti"]}


@api.post("/logout", auth=[jwt])
async def logout(request: Request):
    claims = request.auth["claims"]
    await store.revoke(claims["jti"], exp=claims["exp"])
    return {"revoked": claims["jti"]}
