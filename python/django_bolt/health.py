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

Checks of the project's own (Redis, a queue, ...) are added with
``add_health_check(check)``: each is a sync or async callable returning
``(healthy, message)`` (or a bool), and ``/ready`` runs them with the databases,
answering 503 when one fails. ``register_health_checks(api)`` serves ``health_handler``
and ``ready_handler`` as routes of ``api`` instead (as the original django-bolt did).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
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


#: What a check says: ``(healthy, message)``, or a bare bool.
CheckResult = tuple[bool, str] | bool


class HealthCheck:
    """A set of checks run together, each within ``timeout`` seconds."""

    def __init__(self) -> None:
        self._checks: list[Callable[[], Any]] = []

    def add_check(self, check: Callable[[], Any]) -> None:
        """Add ``check``: a sync or async callable without arguments returning
        ``(healthy, message)`` or a bool; raising is unhealthy."""
        if not callable(check):
            raise TypeError(f"a health check must be callable, not {check!r}")
        self._checks.append(check)

    @property
    def checks(self) -> list[Callable[[], Any]]:
        return list(self._checks)

    async def run_checks(self, timeout: float | None = None) -> dict[str, Any]:
        """``{"status": "healthy" | "unhealthy", "checks": {name: {"healthy": ...,
        "message": ...}}}``, the checks run concurrently."""
        outcomes = await asyncio.gather(*(_run(check, timeout) for check in self._checks))
        results = {
            _name(check): outcome for check, outcome in zip(self._checks, outcomes, strict=True)
        }
        healthy = all(outcome["healthy"] for outcome in results.values())
        return {"status": "healthy" if healthy else "unhealthy", "checks": results}


async def _run(check: Callable[[], Any], timeout: float | None) -> dict[str, Any]:
    from asgiref.sync import sync_to_async

    try:
        if inspect.iscoroutinefunction(check):
            pending = check()
        else:
            pending = sync_to_async(check, thread_sensitive=False)()
        result = await asyncio.wait_for(pending, timeout)
    except TimeoutError:
        return {"healthy": False, "message": f"Check timed out after {timeout} s"}
    except Exception as exc:  # a check that raises is a failing check, not a 500
        logger.warning("health check %s failed", _name(check), exc_info=exc)
        return {"healthy": False, "message": f"Check failed: {exc}"}
    if isinstance(result, tuple):
        healthy, message = result
        return {"healthy": bool(healthy), "message": str(message)}
    return {"healthy": bool(result), "message": "OK" if result else "Failed"}


def _name(check: Callable[[], Any]) -> str:
    return getattr(check, "__name__", type(check).__name__)


#: The project's checks, run by ``/ready`` and ``ready_handler``.
_health_check = HealthCheck()


def add_health_check(check: Callable[[], Any]) -> None:
    """Run ``check`` on every readiness probe (see the module's docstring)."""
    _health_check.add_check(check)


async def check_database() -> tuple[bool, str]:
    """Every database of ``DATABASES`` reachable: ``(True, "Database connection OK")``,
    or ``(False, ...)`` naming those that are not."""
    from asgiref.sync import sync_to_async

    progress: dict[str, str] = {}
    await sync_to_async(check_databases)(progress)
    failing = {alias: outcome for alias, outcome in progress.items() if outcome != "ok"}
    if failing:
        return False, "Database error: " + ", ".join(f"{a} ({o})" for a, o in failing.items())
    return True, "Database connection OK"


async def health_handler() -> dict[str, str]:
    """Liveness as a Bolt route: the process answers."""
    return {"status": "ok"}


async def ready_handler() -> Response:
    """Readiness as a Bolt route: ``check_database`` and the project's checks, 200
    when all pass, 503 otherwise."""
    checks = HealthCheck()
    for check in [check_database, *_health_check.checks]:
        checks.add_check(check)
    results = await checks.run_checks(setting("BOLT_READY_TIMEOUT", DEFAULT_READY_TIMEOUT))
    healthy = results["status"] == "healthy"
    return Response(
        results, status_code=200 if healthy else 503, headers={"cache-control": "no-store"}
    )


def register_health_checks(api: Any) -> None:
    """Serve ``health_handler`` at ``/health`` and ``ready_handler`` at ``/ready`` as
    routes of ``api`` (under its prefix). Without a prefix, they take the place of
    the built-in ones, which leave the paths to the project's routes."""
    api.get("/health")(health_handler)
    api.get("/ready")(ready_handler)


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
        body: dict[str, Any] = {"databases": databases}
        if _health_check.checks:
            results = await _health_check.run_checks(self.timeout)
            body["checks"] = results["checks"]
            ok = ok and results["status"] == "healthy"
        return Response(
            {"status": "ok" if ok else "unavailable", **body},
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
