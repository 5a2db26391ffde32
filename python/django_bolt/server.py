"""Running the Rust server: one or more processes, each with its event loop, lifespan
and graceful shutdown."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

from . import _core, _loop, db, logs
from .flag_types import MAX_SIZE, seconds, whole_number
from .hosts import allowed_hosts
from .lifespan import Lifespan, LifespanFailure

logger = logging.getLogger("django_bolt")


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    processes: int = 1
    backlog: int = 1024
    keep_alive: float = 5.0
    header_timeout: float = 30.0
    max_header_size: int = 64 * 1024
    max_body_size: int = 10 * 1024 * 1024
    max_pending: int = 4096
    max_pending_per_client: int = 1024
    body_timeout: float = 30.0
    min_body_rate: int = 1024
    max_concurrent_streams: int = 200
    shutdown_grace: float = 30.0
    root_path: str = ""
    cert: str = ""
    key: str = ""
    key_password: str = ""
    client_ca: str = ""
    http3: bool = False
    forwarded_allow_ips: str = ""
    proxy_headers: str = "x-forwarded"
    forwarded_host: bool = False
    response_timeout: float = 0.0
    gc_threshold: int = 10_000
    slow_callback_warning: float = 1.0
    #: Folders answered from Rust (``_core.StaticFiles``); runbolt sets it from Django's
    #: settings (``static_files.py``). Not a flag.
    static_files: Any = None
    health_path: str = ""
    #: None: on under ``runbolt --dev``, off otherwise.
    access_log: bool | None = None
    access_log_format: str = "text"
    no_request_id: bool = False
    log_level: str = "info"
    log_config: str = ""


#: ``--slow-callback-warning`` under ``runbolt --dev`` unless the flag is given.
DEV_SLOW_CALLBACK_WARNING = 0.1

#: Command-line flags shared by ``runbolt`` and ``django-bolt serve``: (field, help).
_FLAGS: list[tuple[str, str]] = [
    ("host", "address to listen on"),
    ("port", "TCP port"),
    ("workers", "tokio threads per process"),
    ("processes", "server processes sharing the port (SO_REUSEPORT)"),
    ("backlog", "listen backlog"),
    ("keep_alive", "seconds an idle kept-alive connection stays open"),
    (
        "header_timeout",
        "seconds allowed to send a request head, from accept for the first (the shorter "
        "of this and --keep-alive applies)",
    ),
    ("max_header_size", "bytes of request head before 431"),
    ("max_body_size", "bytes of request body before 413"),
    ("max_pending", "requests waiting for Python before 503"),
    (
        "max_pending_per_client",
        "requests one client (address, or IPv6 /64) may have waiting for Python before 429 "
        "(0: no cap)",
    ),
    (
        "body_timeout",
        "seconds a request body may stall before 408; also its grace time before "
        "--min-body-rate applies",
    ),
    (
        "min_body_rate",
        "bytes per second a request body must average after its grace time (0: none)",
    ),
    ("response_timeout", "seconds an ASGI app gets to start its response before 504 (0: none)"),
    ("max_concurrent_streams", "streams per HTTP/2 or HTTP/3 connection"),
    (
        "gc_threshold",
        "allocations between Python's youngest garbage collections while serving "
        "(0: Python's own settings)",
    ),
    ("shutdown_grace", "seconds in-flight requests get on SIGTERM"),
    (
        "slow_callback_warning",
        "log a handler that holds the event loop this many seconds (0: never; "
        f"{DEV_SLOW_CALLBACK_WARNING} under runbolt --dev)",
    ),
    (
        "health_path",
        'path the server answers 200 {"status":"ok"} on, without Python, when no Bolt route '
        "takes it: a liveness probe (empty: off; runbolt: BOLT_HEALTH_PATH, else /health)",
    ),
    ("root_path", "ASGI root_path (the prefix the app is mounted under)"),
    ("cert", "TLS certificate chain (PEM); serves HTTPS with HTTP/1.1 and HTTP/2"),
    ("key", "TLS private key (PEM: PKCS#8, PKCS#1 or SEC1)"),
    ("key_password", "password of an encrypted PKCS#8 key (or set BOLT_KEY_PASSWORD)"),
    ("client_ca", "CA certificates (PEM) that client certificates must chain to"),
    ("http3", "also serve HTTP/3 over QUIC on the same port number (UDP); needs TLS"),
    (
        "forwarded_allow_ips",
        "proxies (IPs or networks, comma-separated, or *) whose X-Forwarded-*/Forwarded "
        "headers are trusted",
    ),
    (
        "proxy_headers",
        "which headers the trusted proxy sets: x-forwarded (X-Forwarded-For/Proto/Host) "
        "or forwarded (RFC 7239 Forwarded); the other family is ignored",
    ),
    (
        "forwarded_host",
        "take the host from the trusted proxy's X-Forwarded-Host or Forwarded host= "
        "instead of the request's Host",
    ),
    (
        "access_log",
        "one line per request on stderr (or the django_bolt.access logger when it has "
        "handlers) (default: on under runbolt --dev, off otherwise)",
    ),
    ("access_log_format", "access log lines as text or json"),
    (
        "no_request_id",
        "neither keep nor make X-Request-ID (kept from the request when sane, else made; "
        "returned, logged and put in the server's error bodies)",
    ),
    ("log_level", "level of the django_bolt loggers; above info also silences the access log"),
    (
        "log_config",
        "logging configuration file: dictConfig as .json or .yaml, else fileConfig (.ini)",
    ),
]

#: Flags that take one of a few values.
_CHOICES: dict[str, list[str]] = {
    "access_log_format": logs.ACCESS_LOG_FORMATS,
    "log_level": logs.LOG_LEVELS,
}


#: The type of each numeric flag: its range is what the setting can mean and the Rust
#: side can hold (ports are 16 bits, the backlog an i32, HTTP/2 sizes 32 bits).
_NUMBER_TYPES: dict[str, Any] = {
    "port": whole_number(0, 65535),
    "workers": whole_number(1, 1024),
    "processes": whole_number(1, 1024),
    "backlog": whole_number(1, 2**31 - 1),
    "keep_alive": seconds(positive=True),
    "header_timeout": seconds(positive=True),
    "max_header_size": whole_number(1, 2**32 - 1),
    "max_body_size": whole_number(0, MAX_SIZE),
    "max_pending": whole_number(1, MAX_SIZE),
    "max_pending_per_client": whole_number(0, MAX_SIZE),
    "body_timeout": seconds(positive=True),
    "min_body_rate": whole_number(0, MAX_SIZE),
    "response_timeout": seconds(),
    "max_concurrent_streams": whole_number(1, 2**32 - 1),
    "gc_threshold": whole_number(0, 2**31 - 1),
    "shutdown_grace": seconds(),
    "slow_callback_warning": seconds(),
}


def add_server_arguments(parser: Any) -> None:
    """Add a flag for every ServerOptions field to an argparse parser."""
    # A usage error is one line naming the flag: the usage of this many flags would
    # fill the screen above it (``--help`` still prints everything).
    parser.print_usage = lambda file=None: None
    defaults = ServerOptions()
    for name, help_text in _FLAGS:
        default = getattr(defaults, name)
        if default is None:  # on, off, or left to the command
            parser.add_argument(
                "--" + name.replace("_", "-"),
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
            continue
        if isinstance(default, bool):
            parser.add_argument("--" + name.replace("_", "-"), action="store_true", help=help_text)
            continue
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=_NUMBER_TYPES[name] if isinstance(default, int | float) else type(default),
            default=default,
            choices=_CHOICES.get(name),
            help=f"{help_text} (default: {default!r})",
        )


def options_from(arguments: dict[str, Any]) -> ServerOptions:
    """ServerOptions from parsed arguments (argparse's dest names)."""
    return ServerOptions(**{name: arguments[name] for name, _ in _FLAGS})


class StartupError(RuntimeError):
    """The server could not start; the message is one line for the user."""


def serve(routes: Any, asgi_app: Any, options: ServerOptions) -> None:
    """Serve until SIGINT/SIGTERM; forks ``options.processes`` servers on one port."""
    if options.gc_threshold < 0:
        raise StartupError("--gc-threshold must be 0 or more")
    if not options.slow_callback_warning >= 0:
        raise StartupError("--slow-callback-warning must be 0 or more")
    if options.processes <= 1:
        _run_process(routes, asgi_app, options, reuse_port=False)
        return
    check_port_free(options)
    children = []
    for _ in range(options.processes):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _run_process(routes, asgi_app, options, reuse_port=True)
            except BaseException as exc:  # the child must never return into the parent's code
                print(f"django-bolt: {exc}", file=sys.stderr)
                code = 1
            os._exit(code)
        children.append(pid)
    _supervise(children, reload_tls=bool(options.cert))


def check_port_free(options: ServerOptions) -> None:
    """StartupError in one line when the TCP port of ``options`` cannot be bound, for a
    parent process to find out before it starts the processes that serve."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    address = f"[{options.host}]" if family == socket.AF_INET6 else options.host
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((options.host, options.port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:  # as the server itself says it
                raise StartupError(f"{address}:{options.port} is already in use") from None
            raise StartupError(
                f"cannot listen on {address}:{options.port}: {exc.strerror}"
            ) from None


def _supervise(children: list[int], reload_tls: bool) -> None:
    """Forward SIGINT/SIGTERM (and SIGHUP, the certificate reload, when serving TLS) to
    the children and wait for all of them."""

    def forward(signum: int, _frame: Any) -> None:
        for pid in children:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    if reload_tls:  # else SIGHUP's default, ending the process, is kept
        signal.signal(signal.SIGHUP, forward)
    failed = False
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed |= os.waitstatus_to_exitcode(status) != 0
    if failed:
        raise StartupError("a server process exited with an error")


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _run_process(routes: Any, asgi_app: Any, options: ServerOptions, reuse_port: bool) -> None:
    _core.configure_runtime(options.workers)
    with asyncio.Runner(loop_factory=_new_loop) as runner:
        runner.run(_serve_until_stopped(routes, asgi_app, options, reuse_port))


async def _serve_until_stopped(
    routes: Any, asgi_app: Any, options: ServerOptions, reuse_port: bool
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
    server = _new_server(app, options, reuse_port)
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
    if threading.current_thread() is threading.main_thread():
        # Under --dev, Django's reloader serves from a thread and owns the signals.
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if options.cert:
            loop.add_signal_handler(signal.SIGHUP, _reload_certificate, server, options)
    _announce(server, options)
    await stop.wait()
    logger.info("shutting down: finishing in-flight requests (up to %ss)", options.shutdown_grace)
    await server.shutdown(options.shutdown_grace)
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


def _new_server(app: Any, options: ServerOptions, reuse_port: bool) -> Any:
    """The Rust server for ``app``; a bad TLS file is a one-line StartupError."""
    try:
        return _core.Server(
            app,
            options.host,
            options.port,
            backlog=options.backlog,
            reuse_port=reuse_port,
            keep_alive=options.keep_alive,
            header_timeout=options.header_timeout,
            max_header_size=options.max_header_size,
            max_concurrent_streams=options.max_concurrent_streams,
            cert=options.cert or None,
            key=options.key or None,
            key_password=options.key_password or os.environ.get("BOLT_KEY_PASSWORD") or None,
            client_ca=options.client_ca or None,
            http3=options.http3,
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


def configure_logging(options: ServerOptions) -> None:
    """``--log-config`` and ``--log-level``; a stderr handler for the ``django_bolt``
    logger unless the project set one. StartupError for a config that cannot apply."""
    try:
        logs.configure(options.log_level, options.log_config)
    except logs.LogConfigError as exc:
        raise StartupError(str(exc)) from None


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
