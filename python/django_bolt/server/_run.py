"""One server process: its event loop, the Rust server and app, the ASGI lifespan, and
the graceful shutdown on SIGINT/SIGTERM (or the drain signal of its supervisor); and
the import of an ASGI app named on the command line."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import threading
from typing import Any

from .. import _core, _loop, db, logs
from ..hosts import allowed_hosts
from ..lifespan import Lifespan, LifespanFailure
from ._errors import StartupError
from ._options import ServerOptions
from ._worker import DRAIN_SIGNAL, Supervised, watch

logger = logging.getLogger("django_bolt")


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_process(
    routes: Any, asgi_app: Any, options: ServerOptions, link: Supervised | None = None
) -> None:
    """Serve until stopped; ``link``: this process was started by a supervisor, whose
    listening socket it accepts from."""
    _core.configure_runtime(options.workers)
    with asyncio.Runner(loop_factory=_new_loop) as runner:
        runner.run(_serve_until_stopped(routes, asgi_app, options, link))


async def _serve_until_stopped(
    routes: Any, asgi_app: Any, options: ServerOptions, link: Supervised | None
) -> None:
    loop = asyncio.get_running_loop()
    bridge = _core.Bridge()
    bridge.attach(loop)
    bridge.warn_slow_steps(options.slow_callback_warning)
    orm_thread = db.attach(loop)
    lifespan = Lifespan(asgi_app)
    try:
        app = _core.App(
            bridge,
            routes,
            asgi_app,
            state=lifespan.state,
            root_path=options.root_path,
            max_body_size=options.max_body_size,
            max_pending=options.max_pending,
            max_pending_per_client=options.max_pending_per_client,
            body_timeout=options.body_timeout,
            min_body_rate=options.min_body_rate,
            forwarded_allow_ips=options.forwarded_allow_ips,
            proxy_headers=options.proxy_headers,
            forwarded_host=options.forwarded_host,
            allowed_hosts=allowed_hosts(),
            response_timeout=options.response_timeout,
            static_files=options.static_files,
            health_path=options.health_path,
            **logs.app_arguments(
                bool(options.access_log),
                options.access_log_format,
                options.log_level,
                request_id=not options.no_request_id,
            ),
        )
    except ValueError as exc:
        raise StartupError(str(exc)) from None
    server = _new_server(app, options, link)
    try:
        await lifespan.startup()
    except LifespanFailure as exc:
        raise StartupError(f"application startup failed: {exc}") from None
    _tune_gc(options.gc_threshold)
    try:
        server.start()
    except OSError as exc:
        await lifespan.shutdown()
        raise StartupError(str(exc)) from None
    stop = asyncio.Event()
    replaced = asyncio.Event()  # set with stop: drain for a replacement
    if threading.current_thread() is threading.main_thread():
        # Under --dev, Django's reloader serves from a thread and owns the signals.
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if options.cert:
            loop.add_signal_handler(signal.SIGHUP, _reload_certificate, server, options)
        if link:
            loop.add_signal_handler(DRAIN_SIGNAL, lambda: (replaced.set(), stop.set()))
    _announce(server, options)
    watcher = None
    if link:
        link.tell("ready")
        watcher = loop.create_task(watch(link, server, options, stop.set))
    await stop.wait()
    if watcher:
        watcher.cancel()
    if replaced.is_set():
        logger.info(
            "replaced: pid %s stops accepting, finishing in-flight requests (up to %ss)",
            os.getpid(),
            options.shutdown_grace,
        )
    else:
        logger.info(
            "shutting down: finishing in-flight requests (up to %ss)", options.shutdown_grace
        )
    await server.shutdown(
        options.shutdown_grace, websocket_close=1012 if replaced.is_set() else 1001
    )
    # Handlers still running are cancelled when the loop closes; say why in their log line.
    _loop.shutdown_grace = options.shutdown_grace
    await lifespan.shutdown()
    db.detach(loop, orm_thread)
    bridge.detach(loop)
    logger.info("stopped")


def _tune_gc(threshold: int) -> None:
    """Keep Python's cyclic garbage collector from taking a large share of the loop.

    Requests are handed to Python in batches, so the objects of hundreds of requests in
    flight are alive at once. At Python's default threshold (700) that set off a young
    collection every few batches and promoted in-flight objects into full collections
    that walked the whole heap: for a raw ASGI app over HTTP/2, nearly a third of the
    loop thread's time in one measurement. What is loaded before serving (modules,
    settings, the app) lives as long as the process, so it is frozen out of
    collections, and the youngest generation is collected every ``threshold``
    allocations. 0 leaves Python's settings alone.
    """
    if threshold == 0:
        return
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(threshold, middle, oldest)


def _new_server(app: Any, options: ServerOptions, link: Supervised | None) -> Any:
    """The Rust server for ``app``; a bad TLS file is a one-line StartupError. Under a
    supervisor it serves from the sockets the supervisor bound (see ``_supervision``)."""
    try:
        return _core.Server(
            app,
            options.host,
            options.port,
            backlog=options.backlog,
            keep_alive=options.keep_alive,
            header_timeout=options.header_timeout,
            max_header_size=options.max_header_size,
            max_concurrent_streams=options.max_concurrent_streams,
            cert=options.cert or None,
            key=options.key or None,
            key_password=options.key_password or os.environ.get("BOLT_KEY_PASSWORD") or None,
            client_ca=options.client_ca or None,
            http3=options.http3,
            fd=link.listen_fd if link else None,
            udp_fd=link.udp_fd if link else None,
        )
    except (ValueError, OSError) as exc:
        raise StartupError(str(exc)) from None


def _reload_certificate(server: Any, options: ServerOptions) -> None:
    try:
        server.reload_tls()
    except ValueError as exc:
        logger.error("certificate reload failed, keeping the current one: %s", exc)
    else:
        logger.info("certificate reloaded from %s", options.cert)


def _announce(server: Any, options: ServerOptions) -> None:
    scheme = "https" if options.cert else "http"
    protocols = "HTTP/1.1, HTTP/2" + (", HTTP/3" if options.http3 else "")
    logger.info(
        "django-bolt serving on %s://%s:%s (%s; pid %s, %s worker thread%s)",
        scheme,
        options.host,
        server.port,
        protocols,
        os.getpid(),
        options.workers,
        "" if options.workers == 1 else "s",
    )


def load_app(target: str) -> Any:
    """Import ``module.path:attribute``; StartupError in one line if that fails."""
    import importlib

    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise StartupError(f"{target!r} is not of the form 'module.path:attribute'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise StartupError(
                f"cannot import {module_name!r}: no module named {exc.name!r}"
            ) from None
        raise
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise StartupError(f"module {module_name!r} has no attribute {attr!r}") from None
    if not callable(obj):
        raise StartupError(f"{target!r} is not callable, so it is not an ASGI application")
    return obj
