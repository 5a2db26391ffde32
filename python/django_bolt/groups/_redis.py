"""Groups across processes and machines through Redis pub/sub.

Every process delivers a broadcast to its own members at once and publishes it on the
group's channel; each process holds ONE subscription connection (not one per socket),
subscribed to the channels of the groups it has members in, and delivers what other
processes published (its own messages, recognised by an origin id, are skipped).

Pub/sub delivers at most once: a message published while a process is cut off from
Redis does not reach that process's members. The subscription reconnects by itself,
with back-off, and the outage is logged once (and its end once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from typing import Any

from ._local import DEFAULT_QUEUE_SIZE, LocalGroups, Message

logger = logging.getLogger("django_bolt.groups")

#: Channel names are this prefix and the group's name (one Redis database per project).
CHANNEL_PREFIX = b"bolt:group:"
#: How long a first ``join`` of a group waits for Redis to confirm the subscription.
SUBSCRIBE_TIMEOUT = 2.0
#: The subscription's reconnection back-off, from the first retry to the longest wait.
RETRY_DELAYS = (0.1, 2.0)
CONNECT_TIMEOUT = 2.0

TEXT, BINARY = b"t", b"b"


def _redis_module() -> Any:
    try:
        import redis
    except ImportError:
        raise ImportError(
            "a redis:// groups backend needs the redis package: pip install redis"
        ) from None
    return redis


async def _in_task(coro: Any) -> Any:
    """Await ``coro`` in a Task of its own when the caller runs outside one: a route's
    handler is stepped by the server without a Task until it suspends, and redis-py's
    timeouts (``asyncio.timeout``) need one."""
    if asyncio.current_task() is not None:
        return await coro
    return await asyncio.get_running_loop().create_task(coro)


async def _close(pubsub: Any, client: Any) -> None:
    with contextlib.suppress(Exception):
        await pubsub.aclose()
        await client.aclose()


def _stopped(task: asyncio.Task) -> bool:
    """Whether ``task``'s event loop has stopped (a test client's, say) with it pending."""
    loop = task.get_loop()
    return loop.is_closed() or not loop.is_running()


class Outage:
    """One kind of failure talking to Redis, logged when it starts and when it ends."""

    def __init__(self, what: str, url: str) -> None:
        self.what = what
        self.url = url
        self.since: float | None = None

    def failed(self, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            logger.warning("groups: %s: Redis at %s unreachable (%s)", self.what, self.url, exc)

    def recovered(self) -> None:
        if self.since is not None:
            lasted, self.since = time.monotonic() - self.since, None
            logger.warning("groups: %s: Redis back after %.1f s", self.what, lasted)


class RedisGroups(LocalGroups):
    """Groups shared by every process using the Redis server at ``url``."""

    def __init__(self, url: str, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        super().__init__(queue_size)
        self.redis = _redis_module()
        self.url = url
        #: Marks this process's own messages, delivered locally already.
        self.origin = uuid.uuid4().bytes
        self._publisher: Any = None
        self._publisher_loop: asyncio.AbstractEventLoop | None = None
        self._sync_publisher: Any = None
        self._sync_lock = threading.Lock()
        self._pubsub: Any = None
        self._listener: asyncio.Task | None = None
        self._confirmations: dict[bytes, list[asyncio.Future]] = {}
        self.publish_outage = Outage("publishing", url)
        self.subscribe_outage = Outage("subscription", url)

    # ---- encoding -------------------------------------------------------------------

    def _payload(self, message: Message) -> bytes:
        text = message.get("text")
        if text is not None:
            return self.origin + TEXT + text.encode()
        return self.origin + BINARY + message["bytes"]

    @staticmethod
    def _message(payload: bytes) -> Message:
        kind, data = payload[16:17], payload[17:]
        if kind == TEXT:
            return {"type": "websocket.send", "text": data.decode()}
        return {"type": "websocket.send", "bytes": data}

    def _options(self, asyncio: bool = True) -> dict[str, Any]:
        """No retries of redis-py's own: a failure is reported at once and this module
        decides when to try again."""
        from redis.asyncio.retry import Retry as AsyncRetry
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        retry = (AsyncRetry if asyncio else Retry)(NoBackoff(), 0)
        return {"socket_connect_timeout": CONNECT_TIMEOUT, "retry": retry}

    # ---- publishing -----------------------------------------------------------------

    async def _published(self, group: str, message: Message) -> None:
        publisher = self._async_publisher()
        if publisher is None:  # another event loop than the publisher's
            await asyncio.to_thread(self._published_sync, group, message)
            return
        try:
            await _in_task(
                publisher.publish(CHANNEL_PREFIX + group.encode(), self._payload(message))
            )
        except (self.redis.RedisError, OSError) as exc:
            self.publish_outage.failed(exc)
        else:
            self.publish_outage.recovered()

    def _published_sync(self, group: str, message: Message) -> None:
        with self._sync_lock:
            if self._sync_publisher is None:
                self._sync_publisher = self.redis.Redis.from_url(
                    self.url, socket_timeout=CONNECT_TIMEOUT, **self._options(asyncio=False)
                )
        try:
            self._sync_publisher.publish(CHANNEL_PREFIX + group.encode(), self._payload(message))
        except (self.redis.RedisError, OSError) as exc:
            self.publish_outage.failed(exc)
        else:
            self.publish_outage.recovered()

    def _async_publisher(self) -> Any:
        """The asyncio client of this event loop; None on another loop than the one it
        was made on (while that one runs: asyncio clients are bound to their loop)."""
        loop = asyncio.get_running_loop()
        if self._publisher is not None and self._publisher_loop is not loop:
            if not self._publisher_loop.is_closed():
                return None
            self._publisher = None
        if self._publisher is None:
            self._publisher = self.redis.asyncio.Redis.from_url(
                self.url, socket_timeout=CONNECT_TIMEOUT, **self._options()
            )
            self._publisher_loop = loop
        return self._publisher

    # ---- the subscription -----------------------------------------------------------

    async def _first_joined(self, group: str) -> None:
        if self._listener is None or self._listener.done() or _stopped(self._listener):
            self._listener = asyncio.get_running_loop().create_task(self._listen())
        if self.subscribe_outage.since is not None:
            return  # subscribed once Redis is back
        channel = CHANNEL_PREFIX + group.encode()
        confirmed = asyncio.get_running_loop().create_future()
        self._confirmations.setdefault(channel, []).append(confirmed)
        try:
            if self._pubsub is not None:
                await _in_task(self._pubsub.subscribe(channel))
            # Otherwise the listener is connecting, and subscribes to every group.
            await asyncio.wait_for(confirmed, SUBSCRIBE_TIMEOUT)
        except (self.redis.RedisError, OSError, TimeoutError):
            pass  # the listener reconnects and subscribes again
        finally:
            waiting = self._confirmations.get(channel, [])
            if confirmed in waiting:
                waiting.remove(confirmed)

    async def _last_left(self, group: str) -> None:
        if not self.members and self._listener is not None:
            # No member left in the process: the subscription ends with its connection
            # (the next join starts another).
            listener, self._listener, self._pubsub = self._listener, None, None
            listener.cancel()
            if not _stopped(listener):
                await asyncio.wait([listener])  # closed when the last socket is
            return
        if self._pubsub is not None:
            with contextlib.suppress(self.redis.RedisError, OSError):
                await _in_task(self._pubsub.unsubscribe(CHANNEL_PREFIX + group.encode()))

    async def _listen(self) -> None:
        """Hold the process's subscription while it has members, reconnecting after a
        failure with a back-off."""
        delay = RETRY_DELAYS[0]
        while channels := self._channels():
            client = self.redis.asyncio.Redis.from_url(self.url, **self._options())
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(*channels)
                self._pubsub = pubsub
                # Groups first joined while subscribing found no connection to use.
                if joined_meanwhile := self._channels() - channels:
                    await pubsub.subscribe(*joined_meanwhile)
                while True:
                    received = await pubsub.get_message(timeout=None)
                    if received is not None:
                        delay = RETRY_DELAYS[0]  # Redis answers: a later failure is new
                        self._received(received)
            except (self.redis.RedisError, OSError) as exc:
                self.subscribe_outage.failed(exc)
                self._stop_waiting()
            except asyncio.CancelledError:  # no member left, or the server is stopping
                await _close(pubsub, client)
                raise
            finally:
                # Nothing awaited here: a task left behind by a closed event loop (a
                # test client's) is closed with GeneratorExit, which must not await.
                if self._pubsub is pubsub:
                    self._pubsub = None
            await _close(pubsub, client)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_DELAYS[1])

    def _channels(self) -> set[bytes]:
        return {CHANNEL_PREFIX + group.encode() for group in list(self.members)}

    def _stop_waiting(self) -> None:
        """Let the joins waiting for a confirmation go on: none is coming now."""
        waiting, self._confirmations = self._confirmations, {}
        for futures in waiting.values():
            for confirmed in futures:
                if not confirmed.done():
                    confirmed.set_result(None)

    def _received(self, received: dict[str, Any]) -> None:
        kind, channel = received["type"], received["channel"]
        if kind == "subscribe":
            self.subscribe_outage.recovered()
            for confirmed in self._confirmations.pop(channel, []):
                if not confirmed.done():
                    confirmed.set_result(None)
        elif kind == "message":
            payload = received["data"]
            if payload[:16] != self.origin:
                group = channel[len(CHANNEL_PREFIX) :].decode()
                self.deliver(group, self._message(payload))
