"""Health checks for load balancers and Kubernetes probes.

- Liveness (``BOLT_HEALTH_PATH``, ``/health``): answered by the Rust server itself,
  without Python (``--health-path``).
- Readiness (``BOLT_READY_PATH``, ``/ready``): a Bolt route that checks every database
  in ``DATABASES`` on the thread that runs the ORM work of async routes, within
  ``BOLT_READY_TIMEOUT`` seconds: 200 ``{"status": "ok", ...}`` or 503 naming the
  database that failed.

Either is off when its setting is None. A Bolt route or Django view of the project at
the same path wins (the built-in one is left out, and start-up says so). Neither is in
the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .responses import Response
from .routing import Route, analyse

logger = logging.getLogger("django_bolt")

DEFAULT_HEALTH_PATH = "/health"
DEFAULT_READY_PATH = "/ready"
DEFAULT_READY_TIMEOUT = 2.0

#: What the response says of a database the check could not reach in time.
TIMED_OUT = "timeout"


def setting(name: str, default: Any) -> Any:
    from django.conf import settings

    return getattr(settings, name, default)


def check_databases(progress: dict[str, str]) -> None:
    """Connect to (or ping the open connection of) each database, on this thread;
    ``progress`` gets each one's outcome as soon as it is known."""
    from django.db import connections

    for alias in connections:
        connection = connections[alias]
        try:
            if connection.connection is not None and not connection.is_usable():
                connection.close()
            connection.ensure_connection()
        except Exception as exc:  # any driver's failure to connect is "unavailable"
            progress[alias] = f"error: {type(exc).__name__}"
            _report(alias, exc)
        else:
            progress[alias] = "ok"
            _report(alias, None)


_failing: set[str] = set()


def _report(alias: str, error: BaseException | None) -> None:
    """Log a database going down or coming back, once per change."""
    if error is not None and alias not in _failing:
        _failing.add(alias)
        logger.warning("readiness: database %r is unavailable: %s", alias, error)
    elif error is None and alias in _failing:
        _failing.discard(alias)
        logger.info("readiness: database %r is available again", alias)


class ReadinessCheck:
    """The readiness route's handler: one check at a time, shared by the probes that
    come while it runs (a database that hangs does not pile up checks)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._running: asyncio.Future | None = None
        self._progress: dict[str, str] = {}

    async def respond(self) -> Response:
        from asgiref.sync import sync_to_async
        from django.db import connections

        if self._running is None or self._running.done():
            self._progress = progress = {}
            self._running = asyncio.ensure_future(sync_to_async(check_databases)(progress))
        progress = self._progress
        try:
            await asyncio.wait_for(asyncio.shield(self._running), self.timeout)
        except TimeoutError:
            pass
        databases = {alias: progress.get(alias, TIMED_OUT) for alias in connections}
        ok = all(outcome == "ok" for outcome in databases.values())
        return Response(
            {"status": "ok" if ok else "unavailable", "databases": databases},
            status_code=200 if ok else 503,
            headers={"cache-control": "no-store"},
        )


def readiness_route(path: str, timeout: float) -> Route:
    """The readiness route at ``path``."""
    if not path.startswith("/"):
        raise ValueError(f"BOLT_READY_PATH {path!r} must start with '/'")
    if not timeout > 0:
        raise ValueError(f"BOLT_READY_TIMEOUT must be a number of seconds > 0, not {timeout!r}")
    return analyse(Route(method="GET", path=path, handler=ReadinessCheck(timeout).respond))


def answered_by(path: str, routes: list[Route], django_urls: bool) -> str | None:
    """The handler of the project that answers ``path``, if any: one of its Bolt
    ``routes``, else (``django_urls``: Django serves what they do not) a URLconf view."""
    route = next((r for r in routes if r.path == path and not r.websocket), None)
    if route is not None:
        return route.name
    if not django_urls:
        return None
    from django.urls import Resolver404, resolve

    try:
        return resolve(path)._func_path
    except Resolver404:
        return None
