"""The server's options: one ``ServerOptions`` field per command-line flag, shared by
``runbolt`` and ``django-bolt serve``, with the type and range each flag takes."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from .. import logs
from ._errors import StartupError
from ._flag_types import MAX_SIZE, seconds, whole_number


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    processes: int = 1
    max_requests: int = 0
    max_requests_jitter: int = 0
    max_rss: int = 0
    start_timeout: float = 60.0
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
    (
        "processes",
        "server processes on the port, under a parent that binds their sockets, restarts "
        "one that dies and on SIGHUP replaces them one at a time (new code)",
    ),
    (
        "max_requests",
        "replace a process after it answered this many requests (0: never); its "
        "replacement starts first",
    ),
    (
        "max_requests_jitter",
        "each process's --max-requests is drawn from N to N + this, so they are not "
        "replaced all at once",
    ),
    ("max_rss", "replace a process whose resident memory passes this many MiB (0: never)"),
    (
        "start_timeout",
        "seconds a new server process gets to load the project and accept before it is "
        "killed and counts as failed at start (with a supervising parent)",
    ),
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
    (
        "shutdown_grace",
        "seconds in-flight requests get on SIGTERM, or when their process is replaced",
    ),
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
    "max_requests": whole_number(0, MAX_SIZE),
    "max_requests_jitter": whole_number(0, MAX_SIZE),
    "max_rss": whole_number(0, MAX_SIZE),
    "start_timeout": seconds(positive=True),
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


def configure_logging(options: ServerOptions) -> None:
    """``--log-config`` and ``--log-level``; a stderr handler for the ``django_bolt``
    logger unless the project set one. StartupError for a config that cannot apply."""
    try:
        logs.configure(options.log_level, options.log_config)
    except logs.LogConfigError as exc:
        raise StartupError(str(exc)) from None
