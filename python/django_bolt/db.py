"""Django's rules for database connections, on the threads that run Bolt routes.

Django recycles a thread's connections at ``request_started`` and ``request_finished``
(``close_old_connections``): a connection past ``CONN_MAX_AGE`` is closed, one that
failed is closed unless it still works, and ``CONN_HEALTH_CHECKS`` gets its ping before
the next query. Bolt routes send neither signal, so the server applies the same rules
itself, on the threads that own connections:

- a sync handler's worker thread (``_loop.run_sync``), before and after the handler;
- the thread that runs ``sync_to_async`` work of async handlers (``await
  Model.objects.aget()``, paging, loading ``request.user``): the server's loop gets a
  thread of its own for it (:class:`ConnectionThread`), which applies the rules before
  the first job of each request and once the request is over.

A thread pays for this only once it has opened a connection (``connection_created``),
so routes that never touch the database pay a thread-local read. A connection inside a
``transaction.atomic`` block (a test's, under ``TestCase``) is never closed here.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class _Opened(threading.local):
    """Whether this thread opened a database connection it may still hold."""

    value = False


_opened = _Opened()

#: The request the current context belongs to, once it ran work on the ORM thread.
_request: contextvars.ContextVar[_RequestMark] = contextvars.ContextVar("bolt_orm_request")


def _note_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created``: this thread now has connections to look after."""
    _opened.value = True


def recycle_connections() -> None:
    """Django's ``close_old_connections`` for this thread's connections, except those
    inside an atomic block; costs a thread-local read on a thread that opened none."""
    if not _opened.value:
        return
    from django.db import connections

    still_open = False
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
        still_open |= connection.connection is not None
    _opened.value = still_open


def call_in_request(func: Any, kwargs: dict[str, Any]) -> Any:
    """``func(**kwargs)`` as one request on this (worker) thread: its connections are
    recycled before and after, as Django does around a view."""
    if _opened.value:  # tested here too: this runs before every sync handler
        recycle_connections()
    try:
        return func(**kwargs)
    finally:
        if _opened.value:
            recycle_connections()


def _recycled_first(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    recycle_connections()
    return fn(*args, **kwargs)


class _RequestMark:
    """Lives in a request's context from its first job on the ORM thread; when the
    request is over (its context freed), the thread recycles its connections."""

    __slots__ = ("__weakref__",)


class ConnectionThread(ThreadPoolExecutor):
    """The one thread that runs the event loop's ``sync_to_async`` work (asgiref's
    thread-sensitive mode), recycling its connections once per request."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="bolt-orm")

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        if _request.get(None) is None:
            mark = _RequestMark()
            _request.set(mark)
            # The request's context (and the mark in it) is freed when it is over.
            weakref.finalize(mark, self._after_request)
            return super().submit(_recycled_first, fn, *args, **kwargs)
        return super().submit(fn, *args, **kwargs)

    def _after_request(self) -> None:
        try:
            super().submit(recycle_connections)
        except RuntimeError:  # shut down already: its connections went with the thread
            pass

    def close(self) -> None:
        """Close the thread's connections once its queued work is done, and stop it."""
        from django.db import connections

        super().submit(connections.close_all)
        self.shutdown(wait=False)


def attach(loop: asyncio.AbstractEventLoop) -> ConnectionThread | None:
    """Apply Django's connection rules to the threads ``loop``'s routes use; None (and
    nothing changed) when Django is not set up."""
    from django.apps import apps

    if not apps.ready:
        return None
    from asgiref.sync import AsyncToSync
    from django.db.backends.signals import connection_created

    connection_created.connect(_note_connection, dispatch_uid="django_bolt.db")
    thread = ConnectionThread()
    AsyncToSync.loop_thread_executors[loop] = thread
    return thread


def detach(loop: asyncio.AbstractEventLoop, thread: ConnectionThread | None) -> None:
    """Undo :func:`attach`: closes the ORM thread's connections and stops it."""
    if thread is None:
        return
    from asgiref.sync import AsyncToSync
    from django.db.backends.signals import connection_created

    AsyncToSync.loop_thread_executors.pop(loop, None)
    connection_created.disconnect(dispatch_uid="django_bolt.db")
    thread.close()
