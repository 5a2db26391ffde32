"""Helpers the Rust bridge calls on the event loop thread."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import time
import types
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import db

logger = logging.getLogger("django_bolt")

_executor: ThreadPoolExecutor | None = None

#: True in a request whose Django middleware hold a thread while the handler runs
#: (``BoltAPI(django_middleware=...)``): a sync handler runs on that thread, as a Django
#: view would, so it sees what the middleware set on the thread's database connection
#: (django-tenants' schema). Async handlers' ORM calls already go there: asgiref sends
#: thread-sensitive work to the sync thread waiting in ``async_to_sync``.
behind_django_middleware: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "bolt_behind_django_middleware", default=False
)

#: The grace period in-flight requests had, once the server has waited it out while
#: stopping (None while serving): handlers cancelled after it are logged as such.
shutdown_grace: float | None = None


async def resume(coro, pending, label: str = "", threshold: float = 0.0):
    """Continue ``coro``, which yielded ``pending`` on the step Rust already took.

    A native coroutine: from Python 3.12 on, asyncio's Task refuses generator-based
    ones (``@types.coroutine``), so this one awaits :func:`_steps`, which does the work.
    """
    return await _steps(coro, pending, label, threshold)


@types.coroutine
def _steps(coro, pending, label: str, threshold: float):
    """The steps of :func:`resume`, continuing ``coro`` from ``pending``.

    The Task running this sees ``pending`` exactly as if it had stepped ``coro``
    itself; what the Task sends or throws back goes on to ``coro`` (PEP 380's
    ``yield from``, which cannot start from a value already yielded).

    With a ``threshold``, each step that holds the loop that long is logged as the
    handler of ``label`` blocking it.
    """
    started = 0.0
    while True:
        try:
            sent = yield pending
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:
            step, arg = coro.throw, exc
        else:
            step, arg = coro.send, sent
        if threshold:
            started = time.monotonic()
        try:
            pending = step(arg)
        except StopIteration as stop:
            return stop.value
        finally:
            if threshold and (blocked := time.monotonic() - started) >= threshold:
                warn_blocked(label, blocked)


def warn_blocked(label: str, seconds: float) -> None:
    """The log line of a handler step that held the event loop (and every Python route
    with it) for ``seconds``."""
    logger.warning(
        "%s blocked the event loop for %.2f s: no other Python route ran meanwhile "
        "(await instead, or make the handler a plain def to run it in a thread)",
        label,
        seconds,
    )


def sync_workers() -> int:
    """The size of the thread pool running ``def`` handlers: ``settings.BOLT_SYNC_WORKERS``,
    else the ``BOLT_SYNC_WORKERS`` environment variable, else the CPUs + 4, at most 32
    (``ThreadPoolExecutor``'s own default). ValueError, in one line, for a value that
    is not a whole number of threads: runbolt checks it before serving."""
    from django.conf import settings

    if settings.configured and hasattr(settings, "BOLT_SYNC_WORKERS"):
        value = settings.BOLT_SYNC_WORKERS
    else:
        value = os.environ.get("BOLT_SYNC_WORKERS")
    if value is None:
        return min(32, (os.cpu_count() or 1) + 4)
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"BOLT_SYNC_WORKERS must be a whole number of threads, 1 or more, not {value!r}"
        )
    return value


def run_sync(func, kwargs: dict[str, Any]) -> asyncio.Future:
    """Run a sync handler in the worker thread pool, off the event loop, with Django's
    connection rules around it (``db.call_in_request``); behind Django middleware, on
    the middleware's thread instead."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=sync_workers(), thread_name_prefix="bolt-sync")
    loop = asyncio.get_running_loop()
    if behind_django_middleware.get():
        from asgiref.sync import AsyncToSync

        # The middleware's thread waits in this executor (asgiref's async_to_sync) and
        # already applies the connection rules around the whole request.
        return loop.run_in_executor(
            AsyncToSync.executors.current, functools.partial(func, **kwargs)
        )
    return loop.run_in_executor(_executor, db.call_in_request, func, kwargs)


async def stream_body(response, send) -> None:
    """Send a StreamingResponse through ``send`` (ASGI messages) as it is produced."""
    status, headers = response.head()
    await send({"type": "http.response.start", "status": status, "headers": headers})
    content = response.content
    try:
        if hasattr(content, "__aiter__"):
            async for chunk in content:
                await _send_chunk(send, chunk)
        else:
            iterator = iter(content)
            done = object()
            while (chunk := await asyncio.to_thread(next, iterator, done)) is not done:
                await _send_chunk(send, chunk)
    finally:
        await _close(content)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _send_chunk(send, chunk) -> None:
    body = chunk.encode() if isinstance(chunk, str) else bytes(chunk)
    await send({"type": "http.response.body", "body": body, "more_body": True})


async def _close(content) -> None:
    """Close a generator the client left halfway, so its ``finally`` runs now."""
    if hasattr(content, "aclose"):
        await content.aclose()
    elif hasattr(content, "close"):
        content.close()
