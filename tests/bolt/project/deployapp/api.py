"""Routes for the deployment tests (``settings_deploy``, under /deploy,
tests/transport/test_deployment.py): which process answered and what it believes about
the client after the proxy's headers, and a token made by one server that another must
accept (no sticky sessions)."""

from __future__ import annotations

import os
import time

import jwt as pyjwt
from django.conf import settings

from django_bolt import BoltAPI, JWTAuthentication, Request

api = BoltAPI(prefix="/deploy")


@api.get("/peer")
async def peer(request: Request) -> dict:
    return {
        "pid": os.getpid(),
        "client": request.client[0] if request.client else None,
        "scheme": request.scheme,
        "host": request.host,
    }


@api.post("/token")
async def token() -> dict:
    claims = {"sub": "7", "exp": int(time.time()) + 600, "made_by": os.getpid()}
    return {"token": pyjwt.encode(claims, settings.BOLT_JWT_SECRET), "pid": os.getpid()}


@api.get("/me", auth=[JWTAuthentication(load_user=False)])
async def me(request: Request) -> dict:
    return {"made_by": request.auth["claims"]["made_by"], "pid": os.getpid()}
