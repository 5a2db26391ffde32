"""Group membership in this process: who belongs to which group, and delivery to them.

Each member socket gets a bounded queue and one task that sends what is queued, so a
broadcast never waits for a client: it puts the message in every member's queue and
returns. A client too slow to keep up (its queue full) loses the messages that do not
fit, so memory stays bounded whatever it does; the first loss on a socket is logged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Protocol

import msgspec

logger = logging.getLogger("django_bolt.groups")

#: Messages waiting for one socket before further ones are dropped.
DEFAULT_QUEUE_SIZE = 64
#: The longest group name (Redis channels and log lines stay short).
MAX_GROUP_NAME = 200

_encoder = msgspec.json.Encoder()

#: An ASGI ``websocket.send`` message, built once per broadcast and shared by members.
Message = dict[str, Any]


def checked_group(group: Any) -> str:
    """``group`` if it is a usable name; TypeError or ValueError saying why not."""
    if not isinstance(group, str):
        raise TypeError(f"a group name is a str, not {type(group).__name__}")
    if not group or len(group) > MAX_GROUP_NAME:
        raise ValueError(f"a group name has 1 to {MAX_GROUP_NAME} characters, not {len(group)}")
    return group


def as_message(message: Any) -> Message:
    """What a broadcast sends: a str as a text message, bytes as a binary one, anything
    else encoded as JSON in a text message (TypeError when it cannot be)."""
    if isinstance(message, str):
        return {"type": "websocket.send", "text": message}
    if isinstance(message, bytes | bytearray | memoryview):
        return {"type": "websocket.send", "bytes": bytes(message)}
    try:
        return {"type": "websocket.send", "text": _encoder.encode(message).decode()}
    except (TypeError, msgspec.EncodeError) as exc:
        raise TypeError(f"broadcast takes str, bytes or a JSON-able value: {exc}") from None


class Socket(Protocol):
    """What groups need of a ``WebSocket`` (``websocket.py``, which imports this
    package, so it is named here by shape): a place for its membership, and delivery
    of one group message that answers False once the connection is closed."""

    _member: Member | None

    async def _deliver(self, message: Message) -> bool: ...


class Member:
    """One socket's side of its groups: the groups it joined, its queue and the task
    sending what is queued."""

    def __init__(self, websocket: Socket, queue_size: int) -> None:
        self.websocket = websocket
        self.groups: set[str] = set()
        self.dropped = 0
        #: The event loop the connection runs on: its queue is only touched there.
        self.loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Message] = asyncio.Queue(queue_size)
        self._task = self.loop.create_task(self._send_queued())

    def offer(self, message: Message) -> None:
        """Queue ``message``, or drop it when the client is that far behind."""
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            if not self.dropped:
                logger.warning(
                    "%r is %d group messages behind: dropping what does not fit",
                    self.websocket,
                    self._queue.maxsize,
                )
            self.dropped += 1

    async def _send_queued(self) -> None:
        while True:
            message = await self._queue.get()
            if not await self.websocket._deliver(message):
                return  # closed: the handler hears it too, and leaves its groups when it ends

    def stop(self) -> None:
        self._task.cancel()


class LocalGroups:
    """Groups delivered within this process (no backend set), broadcasts from any
    thread. Subclasses add another process's broadcasts by overriding the
    ``_first_joined``/``_last_left``/``_published`` hooks."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self.members: dict[str, set[Member]] = {}
        self._lock = threading.Lock()

    # ---- membership (on the loop) ----------------------------------------------------

    async def join(self, websocket: Socket, group: str) -> None:
        group = checked_group(group)
        member = websocket._member
        if member is None:
            member = websocket._member = Member(websocket, self.queue_size)
        if group in member.groups:
            return
        member.groups.add(group)
        with self._lock:
            first = group not in self.members
            self.members.setdefault(group, set()).add(member)
        if first:
            await self._first_joined(group)

    async def leave(self, websocket: Socket, group: str) -> None:
        member = websocket._member
        group = checked_group(group)
        if member is None or group not in member.groups:
            return
        member.groups.discard(group)
        await self._remove(member, group)

    async def leave_all(self, websocket: Socket) -> None:
        """Leave every group and stop the socket's sending task (the socket closed)."""
        member, websocket._member = websocket._member, None
        if member is None:
            return
        member.stop()
        groups, member.groups = member.groups, set()
        for group in groups:
            await self._remove(member, group)

    async def _remove(self, member: Member, group: str) -> None:
        with self._lock:
            members = self.members.get(group)
            if members is None:
                return
            members.discard(member)
            last = not members
            if last:
                del self.members[group]
        if last:
            await self._last_left(group)

    # ---- delivery ---------------------------------------------------------------------

    def deliver(self, group: str, message: Message) -> None:
        """Queue ``message`` for this process's members of ``group``, from any thread:
        each member's queue is filled on its own event loop."""
        members = self.members.get(group)
        if not members:
            return
        here = _running_loop()
        for member in list(members):
            if member.loop is here:
                member.offer(message)
            elif not member.loop.is_closed():
                member.loop.call_soon_threadsafe(member.offer, message)

    async def broadcast(self, group: str, message: Any) -> None:
        group, asgi = checked_group(group), as_message(message)
        self.deliver(group, asgi)
        await self._published(group, asgi)

    def broadcast_sync(self, group: str, message: Any) -> None:
        group, asgi = checked_group(group), as_message(message)
        self.deliver(group, asgi)
        self._published_sync(group, asgi)

    # ---- hooks for a backend reaching other processes ---------------------------------

    async def _first_joined(self, group: str) -> None:
        """This process has its first member of ``group``."""

    async def _last_left(self, group: str) -> None:
        """This process's last member of ``group`` left."""

    async def _published(self, group: str, message: Message) -> None:
        """Send ``message`` to the other processes' members (local ones have it)."""

    def _published_sync(self, group: str, message: Message) -> None:
        """``_published`` from code without an event loop (a thread, a command)."""


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
