"""Running an ASGI app's lifespan protocol around the server's life."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

logger = logging.getLogger("django_bolt")


class LifespanFailure(RuntimeError):
    """The app answered ``lifespan.startup.failed`` (or shutdown failed)."""


class Lifespan:
    """Startup before the first request, shutdown after the last.

    An app that raises before completing startup without having sent anything is
    taken not to support lifespan (Django's ASGI handler does this) and is served
    without it.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self.supported = app is not None
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._answered = False

    async def startup(self) -> None:
        if not self.supported:
            return
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self._task = asyncio.create_task(self._run(scope))
        reply = await self._exchange("lifespan.startup")
        if reply is None:
            self.supported = False
            return
        if reply["type"] == "lifespan.startup.failed":
            raise LifespanFailure(reply.get("message") or "the application failed to start")

    async def shutdown(self) -> None:
        if not self.supported or self._task is None:
            return
        reply = await self._exchange("lifespan.shutdown")
        if reply is not None and reply["type"] == "lifespan.shutdown.failed":
            logger.error("lifespan shutdown failed: %s", reply.get("message", ""))

    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self._inbox.get, self._send)
        except BaseException as exc:
            if not self._answered:
                logger.debug("the ASGI app does not support lifespan (%r)", exc)
            else:
                logger.error("Exception in ASGI lifespan", exc_info=exc)
        finally:
            await self._outbox.put({"type": "lifespan.ended"})

    async def _send(self, message: dict[str, Any]) -> None:
        self._answered = True
        await self._outbox.put(message)

    async def _exchange(self, kind: str) -> dict[str, Any] | None:
        """Send ``kind``; the app's answer, or None if the app returned without one."""
        await self._inbox.put({"type": kind})
        reply = await self._outbox.get()
        return None if reply["type"] == "lifespan.ended" else reply
