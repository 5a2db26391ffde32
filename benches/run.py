"""Benchmark django-bolt against its peers and write benches/RESULTS.md.

Run from anywhere with the project venv: `.venv/bin/python benches/run.py --help`.
Each scenario's server is pinned to CPU 0 and the load generator to CPU 1; rounds
are interleaved (every scenario once per round) and the report gives medians.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benches" / "results"
LOG_DIR = RESULTS_DIR / "logs"
REPORT = ROOT / "benches" / "RESULTS.md"
H2LOAD_LOG = RESULTS_DIR / "h2load.log"
# Self-signed certificate and key, written by the "certs" set-up step (git-ignored).
CERTS = "benches/results/certs"
# The same files as the TLS scenarios name them: they run in a sibling of results/.
CERT, KEY = "../results/certs/cert.pem", "../results/certs/key.pem"
# The API framework scenarios' POST body, and the wrk script that sends another method or
# a body (repo-relative: load generators run in the repo root).
ITEM_BODY = "benches/item.json"
REQUEST_SCRIPT = "benches/request.lua"

#: Sections other scripts keep at the end of the report (benches/soak.py,
#: benches/idle.py, benches/crowd.py); a full run rewrites the rest. A run of some
#: scenarios (`--only`) adds a section of its own instead, below the last full run's
#: report; a full run drops those.
KEPT_SECTIONS = ("## Soak", "## Idle connections", "## Many connections")
FOCUSED_SECTION = "## Focused run"

SERVER_CPU = "0"
LOADGEN_CPU = "1"
CONNECTIONS = 64
STREAMS = 10  # concurrent streams per connection, HTTP/2 and HTTP/3
READY_TIMEOUT = 60.0
# Slack for a load generator beyond its duration: oha waits up to its 30 s idle timeout
# for a server that does not close connections after GOAWAY (Hypercorn).
LOAD_SLACK = 90
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Protocol:
    label: str
    scheme: str  # "http" or "https"
    tool: str  # the load generator: "wrk", "h2load" or "oha"


PROTOCOLS = {
    "h1": Protocol("HTTP/1.1 (wrk)", "http", "wrk"),
    "h2": Protocol("h2c prior knowledge (h2load)", "http", "h2load"),
    "h2tls": Protocol("HTTP/2 over TLS (h2load)", "https", "h2load"),
    "h3": Protocol("HTTP/3 (oha)", "https", "oha"),
}
VERSION_FLAGS = {"wrk": "-v", "h2load": "--version", "oha": "--version"}


@dataclass(frozen=True)
class Endpoint:
    """An API framework scenario's request and what every framework must answer: the
    expected JSON to the measured request, 400 or 422 with a JSON object to each bad one."""

    summary: str
    path: str  # after the framework's prefix
    expected: object
    bad: tuple[tuple[str, bytes | None], ...]  # (path after the prefix, body or None)
    body: str | None = None  # repo-relative JSON file POSTed with every request
    headers: tuple[str, ...] = ()  # sent with the measured request, not the bad ones
    refusals: tuple[int, ...] = (400, 422)  # what a bad request may be answered with


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    cwd: str  # relative to the repo root
    argv: tuple[str, ...]  # "{port}" is replaced; paths are relative to the repo root
    path: str
    needs: tuple[str, ...] = ()
    protocols: tuple[str, ...] = ("h1", "h2")  # all over plain HTTP or all over TLS
    unsupported: dict[str, str] = field(default_factory=dict)  # protocol -> why not
    headers: tuple[str, ...] = ()  # request headers the load generator sends
    endpoint: Endpoint | None = None  # set for the API framework scenarios
    prefix: str = ""  # where the framework mounts the endpoint's path
    # The measured request's method (default: GET, or POST with the endpoint's body) and
    # the status every answer must have: the rejection scenarios measure a 4xx.
    method_override: str | None = None
    status: int = 200
    # A Redis server of its own, started beside the server under test (its URL in the
    # server's BENCH_REDIS_URL).
    redis: bool = False

    @property
    def scheme(self) -> str:
        return PROTOCOLS[self.protocols[0]].scheme

    @property
    def body(self) -> str | None:
        """The repo-relative JSON file POSTed with every request, if any."""
        return self.endpoint.body if self.endpoint else None

    def request_body(self) -> bytes | None:
        return (ROOT / self.body).read_bytes() if self.body else None

    @property
    def method(self) -> str:
        return self.method_override or ("POST" if self.body else "GET")


def _granian(target: str, *extra: str) -> tuple[str, ...]:
    return (
        ".venv/bin/granian",
        *("--interface", "asgi", "--http", "auto", "--log-level", "warning", *extra),
        *("--host", "127.0.0.1", "--port", "{port}", "--workers", "1", target),
    )


_RUNBOLT = (
    ".venv/bin/python",
    *("manage.py", "runbolt", "--host", "127.0.0.1", "--port", "{port}", "--workers", "1"),
)
_SERVE_RAW_ASGI = (".venv/bin/django-bolt", "serve", "raw_asgi:app") + (
    *("--host", "127.0.0.1", "--port", "{port}", "--workers", "1"),
)
_TLS_H3 = ("--cert", CERT, "--key", KEY, "--http3")

ITEM = json.loads((ROOT / ITEM_BODY).read_text())


def item_with(**changes: object) -> bytes:
    return json.dumps({**ITEM, **changes}).encode()


GET_ITEM = Endpoint(
    "typed GET, int path parameter and two query parameters",
    "/items/42?q=widget&limit=5",
    {"item_id": 42, "q": "widget", "limit": 5},
    bad=(
        ("/items/42?q=widget&limit=0", None),  # below ge=1
        ("/items/42?q=widget&limit=many", None),
        ("/items/42?limit=5", None),  # q missing
    ),
)
POST_ITEM = Endpoint(
    "POST of a JSON body validated into a typed model with a nested list, echoed",
    "/items",
    ITEM,
    bad=(
        ("/items", b'{"name": "Widget",'),  # not JSON
        ("/items", item_with(price="cheap")),
        ("/items", item_with(quantity=-1)),
        ("/items", item_with(variants=[{"sku": "W-1"}])),  # nested stock missing
    ),
    body=ITEM_BODY,
)


ITEM_ENDPOINTS = (("get-item", GET_ITEM), ("post-item", POST_ITEM))


def _api_scenarios(
    framework: str,
    description: str,
    cwd: str,
    argv: tuple[str, ...],
    endpoints: tuple[tuple[str, Endpoint], ...] = ITEM_ENDPOINTS,
    **options,
) -> tuple[Scenario, ...]:
    """The framework's scenarios, one per endpoint; `options` are further Scenario
    fields."""
    return tuple(
        Scenario(
            f"{framework}-{name}",
            f"{description}: {endpoint.summary}",
            cwd,
            argv,
            options.get("prefix", "") + endpoint.path,
            endpoint=endpoint,
            headers=endpoint.headers,
            **options,
        )
        for name, endpoint in endpoints
    )


# A token for "bench-user", valid until 2100, signed (HS256) with the secret both
# benches/project/benchproj/api.py and benches/apps/fastapi_app.py verify it with.
BENCH_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJiZW5jaC11c2VyIiwiZXhwIjo0MTAyNDQ0ODAwfQ"
    ".ZC2UqBTXltZvwTvulT9HlcBl9PUaCedbIu76a_nLPn4"
)
JWT_ME = Endpoint(
    "GET behind a JWT bearer token (HS256, checked and decoded), its subject echoed",
    "/me",
    {"user": "bench-user"},
    bad=(("/me", None),),  # no token
    headers=(f"Authorization: Bearer {BENCH_TOKEN}",),
    refusals=(401, 403),
)
JWT_ENDPOINTS = (("jwt-me", JWT_ME),)

# A token for the same subject whose signature was altered: every server must refuse it.
BAD_TOKEN = BENCH_TOKEN[:-4] + ("AAAA" if not BENCH_TOKEN.endswith("AAAA") else "BBBB")


def _rejection(name: str, description: str, path: str, status: int, **options) -> Scenario:
    """A request the bench project's runbolt refuses (or, for a CORS preflight, answers)
    in Rust before any Python runs; every answer must have `status`."""
    return Scenario(
        f"bolt-{name}",
        f"django-bolt answering {status} in Rust: {description}",
        "benches/project",
        _RUNBOLT,
        path,
        needs=("extension", "migrate"),
        status=status,
        **options,
    )


REJECTIONS = (
    _rejection("404", "an unmatched path under the owned prefix /shared", "/shared/nope", 404),
    _rejection("405", "POST to a GET-only route", "/", 405, method_override="POST"),
    _rejection("401-missing", "a JWT route without a token", "/me", 401),
    _rejection(
        "401-invalid",
        "a JWT route with a token whose signature is wrong",
        "/me",
        401,
        headers=(f"Authorization: Bearer {BAD_TOKEN}",),
    ),
    _rejection(
        "403",
        "a JWT route whose IsStaff guard the token's claims fail",
        "/staff",
        403,
        headers=(f"Authorization: Bearer {BENCH_TOKEN}",),
    ),
    _rejection("422-path", "an int path parameter given 'abc'", "/items/abc?q=widget", 422),
    _rejection("422-query", "a query value below ge=1", "/items/42?q=widget&limit=0", 422),
    _rejection("429", "a rate-limited route whose one token is spent", "/limited", 429),
    _rejection(
        "cors-preflight",
        "a CORS preflight of a route with @cors",
        "/cors",
        204,
        method_override="OPTIONS",
        headers=("Origin: https://app.example", "Access-Control-Request-Method: GET"),
    ),
)

_UVICORN_FASTAPI = (
    (".venv/bin/uvicorn", "fastapi_app:app", "--host", "127.0.0.1", "--port", "{port}")
    + ("--workers", "1", "--no-access-log", "--log-level", "warning")
    + ("--loop", "uvloop", "--http", "httptools")
)
_GRANIAN_WSGI_PROJECT = _granian("benchproj.wsgi:application", "--interface", "wsgi")

SCENARIOS = (
    Scenario(
        "hyper-bare",
        "bare hyper 1.x, fixed JSON body: the limit",
        ".",
        ("benches/hyper-bare/target/release/hyper-bare", "--port", "{port}"),
        "/",
        needs=("hyper-bare",),
    ),
    Scenario(
        "bolt",
        "django-bolt fast path: BoltAPI route served in Rust",
        "benches/project",
        _RUNBOLT,
        "/",
        needs=("extension", "migrate"),
    ),
    Scenario(
        "bolt-rows",
        "django-bolt fast path: a 10 KB JSON list, client asks for no compression",
        "benches/project",
        _RUNBOLT,
        "/rows",
        needs=("extension", "migrate"),
    ),
    Scenario(
        "bolt-gzip",
        "django-bolt fast path: the same list gzip-compressed in Rust",
        "benches/project",
        _RUNBOLT,
        "/rows",
        needs=("extension", "migrate"),
        headers=("Accept-Encoding: gzip",),
    ),
    Scenario(
        "bolt-django-mw",
        "django-bolt route behind the project's default Django MIDDLEWARE (django_middleware=True)",
        "benches/project",
        _RUNBOLT,
        "/mw",
        needs=("extension", "migrate"),
    ),
    Scenario(
        "bolt-static",
        "django-bolt static file: a 1.5 KB CSS file of STATIC_ROOT sent from Rust",
        "benches/project",
        _RUNBOLT,
        "/static/bench.css",
        needs=("extension", "migrate"),
    ),
    Scenario(
        "bolt-processes-2",
        "django-bolt fast path with --processes 2, both on the server's one pinned CPU",
        "benches/project",
        (*_RUNBOLT, "--processes", "2"),
        "/",
        needs=("extension", "migrate"),
    ),
    Scenario(
        "bolt-access-log",
        "django-bolt fast path with the access log on (text lines, to the server's log file)",
        "benches/project",
        (*_RUNBOLT, "--access-log"),
        "/",
        needs=("extension", "migrate"),
    ),
    Scenario(
        "ours-raw-asgi",
        "raw ASGI app through django-bolt",
        "benches/apps",
        _SERVE_RAW_ASGI,
        "/",
        needs=("extension",),
    ),
    Scenario(
        "granian-raw-asgi",
        "raw ASGI app through Granian",
        "benches/apps",
        _granian("raw_asgi:app"),
        "/",
    ),
    Scenario(
        "uvicorn-raw-asgi",
        "raw ASGI app through Uvicorn",
        "benches/apps",
        (".venv/bin/uvicorn", "raw_asgi:app", "--host", "127.0.0.1", "--port", "{port}")
        + ("--workers", "1", "--no-access-log", "--log-level", "warning"),
        "/",
        protocols=("h1",),
        unsupported={"h2": "no h2c prior-knowledge support"},
    ),
    Scenario(
        "ours-django",
        "Django view through runbolt (Django's handling on a worker thread)",
        "benches/project",
        _RUNBOLT,
        "/django",
        needs=("extension", "migrate"),
    ),
    Scenario(
        "granian-django",
        "Django view through Granian",
        "benches/project",
        _granian("benchproj.asgi:application"),
        "/django",
        needs=("migrate",),
    ),
    Scenario(
        "granian-django-wsgi",
        "Django view through Granian's WSGI interface (Django on its threads)",
        "benches/project",
        _GRANIAN_WSGI_PROJECT,
        "/django",
        needs=("migrate",),
    ),
    Scenario(
        "ours-django-row",
        "Django view reading one row (SQLite) through runbolt",
        "benches/project",
        _RUNBOLT,
        "/django/row",
        needs=("extension", "migrate"),
        protocols=("h1",),
    ),
    Scenario(
        "granian-django-wsgi-row",
        "Django view reading one row (SQLite) through Granian's WSGI interface",
        "benches/project",
        _GRANIAN_WSGI_PROJECT,
        "/django/row",
        needs=("migrate",),
        protocols=("h1",),
    ),
    Scenario(
        "bolt-tls",
        "django-bolt fast path over TLS and HTTP/3",
        "benches/project",
        _RUNBOLT + _TLS_H3,
        "/",
        needs=("extension", "migrate", "certs"),
        protocols=("h2tls", "h3"),
    ),
    Scenario(
        "ours-raw-asgi-tls",
        "raw ASGI app through django-bolt over TLS and HTTP/3",
        "benches/apps",
        _SERVE_RAW_ASGI + _TLS_H3,
        "/",
        needs=("extension", "certs"),
        protocols=("h2tls", "h3"),
    ),
    Scenario(
        "granian-raw-asgi-tls",
        "raw ASGI app through Granian over TLS",
        "benches/apps",
        _granian("raw_asgi:app", "--ssl-certificate", CERT, "--ssl-keyfile", KEY),
        "/",
        needs=("certs",),
        protocols=("h2tls",),
    ),
    Scenario(
        "hypercorn-raw-asgi-h3",
        "raw ASGI app through Hypercorn (aioquic) over HTTP/3",
        "benches/apps",
        (".venv/bin/hypercorn", "--quic-bind", "127.0.0.1:{port}", "--bind", "127.0.0.1:{port}")
        + ("--certfile", CERT, "--keyfile", KEY, "--workers", "1", "raw_asgi:app"),
        "/",
        needs=("certs",),
        protocols=("h3",),
    ),
    *_api_scenarios(
        "bolt",
        "django-bolt BoltAPI routes in benchproj/api.py through runbolt",
        "benches/project",
        _RUNBOLT,
        needs=("extension", "migrate"),
    ),
    *_api_scenarios(
        "fastapi",
        "FastAPI through Uvicorn with uvloop and httptools",
        "benches/apps",
        _UVICORN_FASTAPI,
        protocols=("h1",),
        unsupported={"h2": "no h2c prior-knowledge support"},
    ),
    *_api_scenarios(
        "fastapi-granian",
        "FastAPI through Granian",
        "benches/apps",
        _granian("fastapi_app:app"),
    ),
    *_api_scenarios(
        "bolt",
        "django-bolt, JWTAuthentication and IsAuthenticated checked in Rust",
        "benches/project",
        _RUNBOLT,
        JWT_ENDPOINTS,
        needs=("extension", "migrate"),
    ),
    *_api_scenarios(
        "fastapi",
        "FastAPI through Uvicorn, HTTPBearer and a PyJWT dependency",
        "benches/apps",
        _UVICORN_FASTAPI,
        JWT_ENDPOINTS,
        protocols=("h1",),
        unsupported={"h2": "no h2c prior-knowledge support"},
    ),
    *_api_scenarios(
        "fastapi-granian",
        "FastAPI through Granian, HTTPBearer and a PyJWT dependency",
        "benches/apps",
        _granian("fastapi_app:app"),
        JWT_ENDPOINTS,
    ),
    *REJECTIONS,
    Scenario(
        "bolt-rate-limit",
        "django-bolt, a @rate_limit route never refused, buckets in the process",
        "benches/project",
        _RUNBOLT,
        "/counted",
        needs=("extension", "migrate"),
    ),
    Scenario(
        "bolt-rate-limit-redis",
        "the same route with its buckets in Redis (one round trip a request, local"
        " redis-server on the server's CPU)",
        "benches/project",
        _RUNBOLT,
        "/shared/counted",
        needs=("extension", "migrate"),
        redis=True,
    ),
    *_api_scenarios(
        "ninja",
        "Django Ninja, sync views, through Granian's WSGI interface",
        "benches/project",
        _GRANIAN_WSGI_PROJECT,
        needs=("migrate",),
        prefix="/ninja",
    ),
    *_api_scenarios(
        "drf",
        "DRF APIViews and Serializers through Granian's WSGI interface",
        "benches/project",
        _GRANIAN_WSGI_PROJECT,
        needs=("migrate",),
        prefix="/drf",
    ),
)

# Set-up steps in the order they run: name -> (cwd, argv, is a build step).
SETUP_STEPS = {
    "hyper-bare": (
        ".",
        ("cargo", "build", "--release", "--manifest-path", "benches/hyper-bare/Cargo.toml"),
        True,
    ),
    "extension": (".", (".venv/bin/maturin", "develop", "--release"), True),
    "migrate": (
        "benches/project",
        (".venv/bin/python", "manage.py", "migrate", "--noinput"),
        False,
    ),
    "certs": (
        ".",
        (
            ".venv/bin/python",
            "-c",
            "import pathlib; from django_bolt import _core; "
            f'd = pathlib.Path("{CERTS}"); d.mkdir(parents=True, exist_ok=True); '
            "cert, key = _core.development_certificate(); "
            'd.joinpath("cert.pem").write_text(cert); d.joinpath("key.pem").write_text(key)',
        ),
        False,
    ),
}

# (numerator, denominator, target or None); each side is (scenario, protocol).
RATIOS = (
    (("bolt", "h1"), ("hyper-bare", "h1"), 0.9),
    (("bolt", "h2"), ("hyper-bare", "h2"), 0.6),
    (("bolt", "h1"), ("granian-raw-asgi", "h1"), 1.6),
    (("bolt-gzip", "h1"), ("bolt-rows", "h1"), None),
    (("bolt-static", "h1"), ("hyper-bare", "h1"), None),
    (("bolt-django-mw", "h1"), ("bolt", "h1"), None),
    (("bolt-access-log", "h1"), ("bolt", "h1"), None),
    (("bolt-processes-2", "h1"), ("bolt", "h1"), None),
    (("ours-raw-asgi", "h1"), ("granian-raw-asgi", "h1"), 1.3),
    (("ours-raw-asgi", "h2"), ("granian-raw-asgi", "h2"), 1.3),
    (("ours-raw-asgi", "h1"), ("uvicorn-raw-asgi", "h1"), None),
    (("ours-django", "h1"), ("granian-django", "h1"), 1.0),
    (("ours-django", "h2"), ("granian-django", "h2"), None),
    (("ours-django", "h1"), ("granian-django-wsgi", "h1"), 1.2),
    (("ours-django-row", "h1"), ("granian-django-wsgi-row", "h1"), 1.2),
    (("ours-raw-asgi-tls", "h3"), ("hypercorn-raw-asgi-h3", "h3"), 10.0),
    (("ours-raw-asgi-tls", "h3"), ("ours-raw-asgi-tls", "h2tls"), 0.5),
    (("bolt-tls", "h3"), ("bolt-tls", "h2tls"), 0.6),
    (("ours-raw-asgi-tls", "h2tls"), ("granian-raw-asgi-tls", "h2tls"), 1.3),
    *(
        ((f"bolt-{verb}-item", "h1"), (f"{peer}-{verb}-item", "h1"), None)
        for verb in ("get", "post")
        for peer in ("fastapi", "fastapi-granian", "ninja", "drf")
    ),
    (("bolt-jwt-me", "h1"), ("bolt", "h1"), None),
    (("bolt-rate-limit", "h1"), ("bolt", "h1"), None),
    (("bolt-rate-limit-redis", "h1"), ("bolt-rate-limit", "h1"), None),
    (("bolt-jwt-me", "h1"), ("hyper-bare", "h1"), 0.7),
    (("bolt-jwt-me", "h1"), ("fastapi-jwt-me", "h1"), None),
    (("bolt-jwt-me", "h1"), ("fastapi-granian-jwt-me", "h1"), None),
    *(((s.name, "h1"), ("hyper-bare", "h1"), 0.8) for s in REJECTIONS),
)


@dataclass
class Run:
    scenario: str
    round: int
    protocol: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    rss_mib: float | None = None
    errors: int = 0
    failure: str | None = None
    # wrk only: its slowest request, and `errors` by kind (socket errors, refused answers).
    max_ms: float | None = None
    error_kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class Options:
    duration: int
    warmup: int
    rounds: int
    build: bool
    scenarios: list[Scenario]
    oha: str  # the oha executable, for HTTP/3
    unavailable: dict[str, str] = field(default_factory=dict)  # protocol -> why skipped
    focused: bool = False  # some scenarios only (--only): the report gets a section
    connections: int = CONNECTIONS  # the load generator's


# --- commands ---------------------------------------------------------------


def resolve(argv: tuple[str, ...], port: int | str) -> list[str]:
    """Make repo-relative executables absolute and fill in the port."""
    exe = argv[0]
    if "/" in exe:
        exe = str(ROOT / exe)
    return [exe, *(a.replace("{port}", str(port)) for a in argv[1:])]


def display(cwd: str, argv: tuple[str, ...], cpu: str | None = None) -> str:
    """The command as typed from the repo root, with no machine paths in it."""
    exe = argv[0]
    if "/" in exe and cwd != ".":
        exe = os.path.relpath(exe, cwd)
    words = [exe, *(quoted(a.replace("{port}", "$PORT")) for a in argv[1:])]
    line = " ".join(pinned(cpu, words) if cpu else words)
    return line if cwd == "." else f"cd {cwd} && {line}"


def quoted(word: str) -> str:
    """Shell-quote a word with spaces in it (`$PORT` and `$PATH` stay bare)."""
    return shlex.quote(word) if " " in word else word


def pinned(cpu: str, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *argv]


def load_command(
    protocol: str,
    url: str,
    seconds: int,
    oha: str,
    log: str | None = None,
    headers: tuple[str, ...] = (),
    body: str | None = None,
    method: str | None = None,
    connections: int = CONNECTIONS,
) -> list[str]:
    """The load generator's command; with `body` (a repo-relative file) it POSTs that JSON,
    with `method` it sends that method instead of GET or POST."""
    tool = PROTOCOLS[protocol].tool
    method = method or ("POST" if body else "GET")
    sent = [word for header in headers for word in ("-H", header)]
    if tool == "wrk":
        script = [] if method == "GET" else ["-s", REQUEST_SCRIPT]
        arguments = [] if method == "GET" else [method, *([body] if body else [])]
        return [
            *("wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"),
            *(*script, *sent, url, *arguments),
        ]
    if tool == "h2load":
        logging = ["--log-file", log] if log else []
        posted = ["-d", body, "-H", "Content-Type: application/json"] if body else []
        # h2load sends GET, or POST with -d; any other request overrides the pseudo-header.
        if method != ("POST" if body else "GET"):
            posted += ["-H", f":method: {method}"]
        return [
            *("h2load", f"-c{connections}", f"-m{STREAMS}", "-D", str(seconds)),
            *(*logging, *posted, *sent, url),
        ]
    methods = [] if method == "GET" else ["-m", method]
    return [
        *(oha, "--http-version", "3", "-c", str(connections), "-p", str(STREAMS)),
        *("-z", f"{seconds}s", "-w", "--worker-threads", "1", "--insecure", "--no-tui"),
        *("--output-format", "json", "--stats-success-breakdown", *methods, *sent, url),
    ]


# --- set-up -----------------------------------------------------------------


def tail(path: Path, lines: int = 4) -> str:
    """The last lines of a log, without this machine's paths (they go into the report)."""
    text = path.read_text(errors="replace") if path.exists() else ""
    text = text.replace(f"{ROOT}/", "").replace(str(Path.home()), "~")
    kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[-400:] or "(no output)"


def run_step(name: str, build: bool) -> str | None:
    """Run one set-up step; return the reason it failed, or None."""
    cwd, argv, is_build = SETUP_STEPS[name]
    if is_build and not build:
        return None
    log = LOG_DIR / f"setup-{name}.log"
    print(f"set-up {name}: {display(cwd, argv)}", flush=True)
    env = {**os.environ, "VIRTUAL_ENV": str(ROOT / ".venv")}
    with log.open("wb") as out:
        try:
            code = subprocess.call(
                resolve(argv, ""), cwd=ROOT / cwd, stdout=out, stderr=subprocess.STDOUT, env=env
            )
        except OSError as exc:
            return f"set-up {name} could not start: {argv[0]}: {exc.strerror}"
    return None if code == 0 else f"set-up {name} failed (exit {code}): {tail(log)}"


def prepare(scenarios: list[Scenario], build: bool) -> dict[str, str]:
    """Run the set-up steps the selected scenarios need; map blocked scenario -> reason."""
    needed = {need for s in scenarios for need in s.needs}
    failed = {n: run_step(n, build) for n in SETUP_STEPS if n in needed}
    blocked = {}
    for s in scenarios:
        reasons = [failed[n] for n in s.needs if failed[n]]
        if reasons:
            blocked[s.name] = reasons[0]
    return blocked


# --- the server under test ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_request(
    scheme: str,
    port: int,
    path: str,
    body: bytes | None = None,
    headers: tuple[str, ...] = (),
    method: str | None = None,
) -> tuple[int, bytes]:
    """Status and body of `GET path`, or of a JSON POST with `body`, or of `method`, with
    `headers` ("Name: value"); over TLS the certificate is checked against the bench one."""
    if scheme == "https":
        trusted = ssl.create_default_context(cafile=ROOT / CERTS / "cert.pem")
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=trusted)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    sent = dict(header.split(": ", 1) for header in headers)
    try:
        if body is None:
            conn.request(method or "GET", path, headers=sent)
        else:
            json_type = {"Content-Type": "application/json"}
            conn.request(method or "POST", path, body, {**json_type, **sent})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def json_or_none(data: bytes) -> object:
    try:
        return json.loads(data)
    except ValueError:
        return None


# A request to the server under test: (path, JSON body or None for a GET[, headers])
# -> (status, body).
Send = Callable[..., tuple[int, bytes]]


def check_endpoint(send: Send, scenario: Scenario) -> str | None:
    """Whether an API framework scenario's server answers as every framework must (see
    Endpoint); return the first difference, or None."""
    endpoint = scenario.endpoint
    if endpoint is None:
        return None
    try:
        status, answer = send(scenario.path, scenario.request_body(), endpoint.headers)
        if status != 200 or json_or_none(answer) != endpoint.expected:
            return f"{scenario.path} answered {status} {answer[:300]!r}, not the expected JSON"
        for path, bad in endpoint.bad:
            status, answer = send(scenario.prefix + path, bad)
            if status not in endpoint.refusals or not isinstance(json_or_none(answer), dict):
                sent = f" with {bad[:100]!r}" if bad else ""
                return (
                    f"bad input {scenario.prefix}{path}{sent} answered {status} "
                    f"{answer[:300]!r}, not one of {endpoint.refusals} with a JSON object"
                )
    except (OSError, http.client.HTTPException) as exc:
        return f"checking the answers failed: {exc!r}"
    return None


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_mib(pid: int) -> float:
    total_kib = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        total_kib += int(match.group(1)) if match else 0
    return total_kib / 1024


class Server:
    def __init__(self, scenario: Scenario, port: int, log: Path, env: dict[str, str]):
        self.scheme = scenario.scheme
        self.port = port
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                pinned(SERVER_CPU, resolve(scenario.argv, port)),
                cwd=ROOT / scenario.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **env},
            )

    def exited(self) -> str | None:
        code = self.proc.poll()
        return None if code is None else f"server exited (code {code}): {tail(self.log)}"

    def wait_ready(self, scenario: Scenario) -> str | None:
        """Wait until the scenario's request gets an answer, then check that the next one
        has the scenario's status (a rate-limited route's first answer is a 200); return
        the reason it did not, or None."""
        deadline = time.monotonic() + READY_TIMEOUT
        body = scenario.request_body()
        send = functools.partial(
            http_request, self.scheme, self.port, scenario.path, body, scenario.headers
        )
        while time.monotonic() < deadline:
            if reason := self.exited():
                return reason
            try:
                send(scenario.method)
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
                continue
            status, answer = send(scenario.method)
            if status == scenario.status:
                return None
            return f"{scenario.method} {scenario.path} answered {status} {answer[:200]!r}"
        return f"no answer on port {self.port} within {READY_TIMEOUT:.0f} s: {tail(self.log)}"

    def rss_mib(self) -> float:
        return rss_mib(self.proc.pid)

    def stop(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(STOP_TIMEOUT)
                return
            except subprocess.TimeoutExpired:
                continue


# --- load generators and their output ----------------------------------------

TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unknown wrk time {text!r}")
    return float(match.group(1)) * TIME_UNITS_MS[match.group(2)]


WRK_SOCKET_ERRORS = ("connect", "read", "write", "timeout")


def parse_wrk(out: str, status: int = 200) -> dict:
    """wrk's figures; wrk counts answers outside 2xx/3xx, so with a 4xx `status` every
    answer must be among them (that it is this 4xx was checked before the load).
    `errors` is the sum of `error_kinds`: wrk's socket errors by kind, and as "status"
    the answers without the expected status; `max_ms` is wrk's slowest request."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"^\s+(\d+) requests in ", out, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    # The thread stats line: "Latency  avg  stdev  max  +/- stdev".
    slowest = re.search(r"^ +Latency +\S+ +\S+ +(\S+)", out, re.M)
    if not (rps and p50 and p99 and total):
        raise ValueError("unexpected wrk output")
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    counts = map(int, socket_errors.groups()) if socket_errors else ()
    kinds = dict(zip(WRK_SOCKET_ERRORS, counts, strict=False))
    refused = int(non_2xx.group(1)) if non_2xx else 0
    kinds["status"] = refused if status < 400 else int(total.group(1)) - refused
    return {
        "rps": float(rps.group(1)),
        "p50_ms": wrk_ms(p50.group(1)),
        "p99_ms": wrk_ms(p99.group(1)),
        "max_ms": wrk_ms(slowest.group(1)) if slowest else None,
        "errors": sum(kinds.values()),
        "error_kinds": {kind: n for kind, n in kinds.items() if n},
    }


def percentile(ordered: list[int], q: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def h2load_latencies(log: Path, status: int) -> list[int]:
    """Per-request times in microseconds for the answers of an h2load --log-file that have
    `status` (any 2xx when it is 200)."""
    times = []
    with log.open() as rows:
        for row in rows:
            _, answered, micros = row.split("\t")[:3]
            if answered == str(status) or (status == 200 and answered.startswith("2")):
                times.append(int(micros))
    return sorted(times)


def parse_h2load(out: str, log: Path, alpn: str, status: int = 200) -> dict:
    finished = re.search(r"finished in [\d.]+s, ([\d.]+) req/s", out)
    # Errors are h2load's failed requests (non-2xx/3xx answers, stream errors, timeouts), not
    # done minus 2xx: status codes count when headers arrive, so the requests cut off at
    # the -D deadline can make 2xx exceed done.
    requests = re.search(r"^requests: \d+ total, .*, (\d+) failed.*$", out, re.M)
    codes = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx$", out, re.M)
    if not (finished and requests and codes):
        raise ValueError("unexpected h2load output")
    if f"Application protocol: {alpn}\n" not in out:
        raise ValueError(f"{alpn} was not negotiated")
    times = h2load_latencies(log, status)
    if not times:
        raise ValueError(f"no {status} answer; h2load {requests.group(0)}; {codes.group(0)}")
    # h2load counts 4xx and 5xx answers as failed: the expected ones are not errors.
    expected = int(codes.group(1 + status // 100 - 2)) if status >= 400 else 0
    return {
        "rps": float(finished.group(1)),
        "p50_ms": percentile(times, 0.50) / 1000,
        "p99_ms": percentile(times, 0.99) / 1000,
        "errors": max(0, int(requests.group(1)) - expected),
    }


def parse_oha(out: str, seconds: int, status: int = 200) -> dict:
    """Figures of the 2xx answers (of `status`, when it is not 200) from oha's JSON summary,
    RPS over the `-z` duration (oha's
    total run time also holds its wait for the server to close the connections);
    latencies oha has no value for (JSON null) stay None."""
    try:
        summary = json.loads(out)
        codes = summary["statusCodeDistribution"]
        failures = summary["errorDistribution"]
        latencies = summary["latencyPercentilesSuccessful"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("unexpected oha output") from None
    expected = (lambda code: code.startswith("2")) if status == 200 else str(status).__eq__
    ok = sum(n for code, n in codes.items() if expected(code))
    if not ok:
        raise ValueError(f"no {status} answer; oha status codes {codes}, errors {failures}")
    errors = sum(n for code, n in codes.items() if not expected(code))
    errors += sum(failures.values())
    p50, p99 = latencies.get("p50"), latencies.get("p99")
    return {
        "rps": ok / seconds,
        "p50_ms": None if p50 is None else p50 * 1000,
        "p99_ms": None if p99 is None else p99 * 1000,
        "errors": errors,
    }


def run_load(argv: list[str], seconds: int) -> str:
    try:
        done = subprocess.run(
            pinned(LOADGEN_CPU, argv),
            cwd=ROOT,  # POST bodies and the wrk script are repo-relative
            capture_output=True,
            text=True,
            timeout=seconds + LOAD_SLACK,
        )
    except subprocess.TimeoutExpired:
        raise ValueError(f"{argv[0]} did not finish within {seconds + LOAD_SLACK} s") from None
    if done.returncode != 0:
        raise ValueError(f"{argv[0]} exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return done.stdout


def load(protocol: str, url: str, opts: Options, scenario: Scenario) -> dict:
    """One recorded measurement with the protocol's load generator."""
    spec, secs = PROTOCOLS[protocol], opts.duration
    argv = load_command(
        protocol,
        url,
        secs,
        opts.oha,
        str(H2LOAD_LOG),
        scenario.headers,
        scenario.body,
        scenario.method,
        opts.connections,
    )
    if spec.tool == "wrk":
        return parse_wrk(run_load(argv, secs), scenario.status)
    if spec.tool == "oha":
        return parse_oha(run_load(argv, secs), secs, scenario.status)
    try:
        alpn = "h2" if spec.scheme == "https" else "h2c"
        return parse_h2load(run_load(argv, secs), H2LOAD_LOG, alpn, scenario.status)
    finally:
        H2LOAD_LOG.unlink(missing_ok=True)


def measure(server: Server, scenario: Scenario, protocol: str, opts: Options) -> dict:
    url = f"{PROTOCOLS[protocol].scheme}://127.0.0.1:{server.port}{scenario.path}"
    warmup = load_command(
        protocol,
        url,
        opts.warmup,
        opts.oha,
        headers=scenario.headers,
        body=scenario.body,
        method=scenario.method,
        connections=opts.connections,
    )
    run_load(warmup, opts.warmup)
    figures = load(protocol, url, opts, scenario)
    if reason := server.exited():
        raise ValueError(reason)
    return {**figures, "rss_mib": server.rss_mib()}


def protocols_of(scenario: Scenario, opts: Options) -> list[str]:
    """The scenario's protocols that this run can measure."""
    return [p for p in scenario.protocols if p not in opts.unavailable]


def run_scenario(scenario: Scenario, round_no: int, opts: Options) -> list[Run]:
    log = LOG_DIR / f"{scenario.name}-round{round_no}.log"
    protocols = protocols_of(scenario, opts)
    with contextlib.ExitStack() as stack:
        env = {}
        if scenario.redis:
            try:
                redis = redis_server(LOG_DIR / f"{scenario.name}-redis.log")
                env["BENCH_REDIS_URL"] = stack.enter_context(redis)
            except RuntimeError as exc:
                return [Run(scenario.name, round_no, p, failure=str(exc)) for p in protocols]
        server = Server(scenario, free_port(), log, env)
        stack.callback(server.stop)
        ready = server.wait_ready(scenario)
        send = functools.partial(http_request, server.scheme, server.port)
        if reason := ready or check_endpoint(send, scenario):
            return [Run(scenario.name, round_no, p, failure=reason) for p in protocols]
        return [measure_run(server, scenario, p, round_no, opts) for p in protocols]


@contextlib.contextmanager
def redis_server(log: Path) -> Iterator[str]:
    """A throwaway redis-server (Debian's) on a free port, pinned to the server's CPU,
    without persistence; yields its URL. RuntimeError says why it did not start."""
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--logfile", str(log), "--dir", str(LOG_DIR)]
    try:
        proc = subprocess.Popen(
            pinned(SERVER_CPU, argv), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
    except OSError as exc:
        raise RuntimeError(f"redis-server could not start: {exc.strerror}") from None
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not listen: {tail(log)}") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(STOP_TIMEOUT)


def measure_run(
    server: Server, scenario: Scenario, protocol: str, round_no: int, opts: Options
) -> Run:
    try:
        figures = measure(server, scenario, protocol, opts)
    except (ValueError, OSError) as exc:
        return Run(scenario.name, round_no, protocol, failure=server.exited() or str(exc))
    return Run(scenario.name, round_no, protocol, **figures)


def ms_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def report_progress(run: Run, rounds: int) -> None:
    head = f"[round {run.round}/{rounds}] {run.scenario} {PROTOCOLS[run.protocol].label}:"
    if run.failure:
        print(f"{head} FAILED: {run.failure}", flush=True)
    else:
        print(
            f"{head} {run.rps:,.0f} req/s, p50 {ms_text(run.p50_ms)} ms, "
            f"p99 {ms_text(run.p99_ms)} ms, RSS {run.rss_mib:.1f} MiB, errors {run.errors}",
            flush=True,
        )


# --- summary and report -------------------------------------------------------


def median_known(values: list[float | None]) -> float | None:
    """Median of the values the load generator gave (None: it had none)."""
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def summarize(runs: list[Run], name: str, protocol: str) -> dict | None:
    """Medians of the successful runs of one scenario and protocol."""
    ok = [r for r in runs if r.scenario == name and r.protocol == protocol and not r.failure]
    if not ok:
        return None
    return {
        "rps": statistics.median(r.rps for r in ok),
        "p50_ms": median_known([r.p50_ms for r in ok]),
        "p99_ms": median_known([r.p99_ms for r in ok]),
        "rss_mib": statistics.median(r.rss_mib for r in ok),
        "errors": sum(r.errors for r in ok),
        "per_run": [r.rps for r in ok],
    }


def failure_of(runs: list[Run], blocked: dict[str, str], name: str, protocol: str) -> str:
    if name in blocked:
        return blocked[name]
    failed = [r for r in runs if r.scenario == name and r.protocol == protocol and r.failure]
    return failed[0].failure if failed else "not run"


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def scenario_row(
    runs: list[Run], blocked: dict[str, str], opts: Options, s: Scenario, protocol: str
) -> str:
    if skipped := s.unsupported.get(protocol) or opts.unavailable.get(protocol):
        return row(s.name, f"skipped: {skipped}", "", "", "", "", "")
    summary = summarize(runs, s.name, protocol)
    if summary is None:
        reason = failure_of(runs, blocked, s.name, protocol)
        return row(s.name, f"FAILED: {reason}", "", "", "", "", "")
    attempts = sum(1 for r in runs if r.scenario == s.name and r.protocol == protocol)
    per_run = ", ".join(f"{rps:,.0f}" for rps in summary["per_run"])
    if len(summary["per_run"]) < attempts:
        per_run += f" ({attempts - len(summary['per_run'])} failed)"
    return row(
        s.name,
        f"{summary['rps']:,.0f}",
        ms_text(summary["p50_ms"]),
        ms_text(summary["p99_ms"]),
        f"{summary['rss_mib']:.1f}",
        summary["errors"],
        per_run,
    )


def protocol_table(
    runs: list[Run], blocked: dict[str, str], opts: Options, protocol: str, frameworks: bool
) -> list[str]:
    """The protocol's table, over the selected scenarios that serve it or say why not: the
    API framework ones or the others."""
    shown = [
        s
        for s in opts.scenarios
        if (protocol in s.protocols or protocol in s.unsupported)
        and (s.endpoint is not None) == frameworks
    ]
    if not shown:
        return []
    label = PROTOCOLS[protocol].label
    title = f"API frameworks: {label}" if frameworks else label
    lines = [
        f"## {title}",
        "",
        row("scenario", "RPS", "p50 ms", "p99 ms", "RSS MiB", "errors", "RPS per run"),
        row("---", "---:", "---:", "---:", "---:", "---:", "---"),
    ]
    lines += [scenario_row(runs, blocked, opts, s, protocol) for s in shown]
    return lines + [""]


def ratio_row(
    runs: list[Run], num: tuple[str, str], den: tuple[str, str], target: float | None
) -> str:
    (num_name, num_protocol), (den_name, den_protocol) = num, den
    name = f"{num_name} / {den_name}"
    protocol = PROTOCOLS[num_protocol].label
    if den_protocol != num_protocol:
        protocol += f" / {PROTOCOLS[den_protocol].label}"
    top, bottom = summarize(runs, *num), summarize(runs, *den)
    target_text = f">= {target:.1f}x" if target else "-"
    if not (top and bottom):
        return row(name, protocol, "n/a", target_text, "not measured")
    value = top["rps"] / bottom["rps"]
    status = ("met" if value >= target else "not met") if target else "-"
    return row(name, protocol, f"{value:.2f}x", target_text, status)


def ratio_table(runs: list[Run]) -> list[str]:
    lines = [
        "## Ratios (median RPS, same run)",
        "",
        row("ratio", "protocol", "value", "target", "status"),
        row("---", "---", "---:", "---:", "---"),
    ]
    lines += [ratio_row(runs, *ratio) for ratio in RATIOS]
    return lines + [""]


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model.group(1).strip() if model else platform.processor() or "unknown",
        "kernel": platform.release(),
    }


def versions() -> str:
    """Versions of the Python servers as installed in the venv."""
    probe = (
        "import importlib.metadata as m\n"
        "for p in ('django', 'granian', 'uvicorn', 'uvloop', 'httptools', 'hypercorn',"
        " 'aioquic', 'fastapi', 'pydantic', 'django-ninja', 'djangorestframework'):\n"
        "    try:\n"
        "        print(p, m.version(p))\n"
        "    except m.PackageNotFoundError:\n"
        "        print(p, 'not installed')"
    )
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", probe], capture_output=True, text=True
    )
    return ", ".join(done.stdout.split("\n")[:-1]) or "unknown"


def used_protocols(opts: Options) -> list[str]:
    return [p for p in PROTOCOLS if any(p in s.protocols for s in opts.scenarios)]


def tool_versions(opts: Options) -> str:
    """First line of each load generator's version output, up to any " [" (wrk's)."""
    found = []
    for tool in dict.fromkeys(PROTOCOLS[p].tool for p in used_protocols(opts)):
        exe = opts.oha if tool == "oha" else tool
        try:
            done = subprocess.run([exe, VERSION_FLAGS[tool]], capture_output=True, text=True)
        except OSError:
            found.append(f"{tool} not found")
            continue
        first = (done.stdout or done.stderr).strip().split("\n")[0]
        found.append(first.split(" [")[0] or f"{tool} unknown")
    return ", ".join(found)


def setup_lines(opts: Options) -> list[str]:
    needed = {need for s in opts.scenarios for need in s.needs}
    lines = []
    for name, (cwd, argv, is_build) in SETUP_STEPS.items():
        if name in needed:
            skipped = "  # skipped: --no-build" if is_build and not opts.build else ""
            lines.append(display(cwd, argv) + skipped)
    return ["# set-up", *lines] if lines else []


def commands_section(opts: Options) -> list[str]:
    lines = [
        "## Commands",
        "",
        "Run from the repo root; `$PORT` is a free port picked per run, `$PATH` the "
        "scenario's path.",
        "",
        "```",
        *setup_lines(opts),
    ]
    for s in opts.scenarios:
        sent = "".join(f", header {h!r}" for h in s.headers)
        sent += f", {s.method} of {s.body}" if s.body else ""
        sent += f", {s.method}" if s.method not in ("GET", "POST") else ""
        sent += f", answered {s.status}" if s.status != 200 else ""
        lines += [
            f"# {s.name}: {s.description}, path {s.path}{sent}",
            display(s.cwd, s.argv, SERVER_CPU),
        ]
    lines.append(
        f"# load, after a {opts.warmup} s warm-up with the same tool (not recorded); "
        "oha is built with its http3 feature (`--oha PATH`)"
    )
    log = str(H2LOAD_LOG.relative_to(ROOT))
    for protocol in used_protocols(opts):
        url = f"{PROTOCOLS[protocol].scheme}://127.0.0.1:$PORT$PATH"
        requests = {(s.body, s.method) for s in opts.scenarios if protocol in s.protocols}
        for body, method in sorted(requests, key=lambda r: (r[0] or "", r[1])):  # GET first
            argv = load_command(protocol, url, opts.duration, "oha", log, body=body, method=method)
            lines.append(" ".join(quoted(word) for word in pinned(LOADGEN_CPU, argv)))
    return [*lines, "```", ""]


def write_report(runs: list[Run], blocked: dict[str, str], opts: Options, meta: dict) -> None:
    m = meta["machine"]
    lines = [
        "# django-bolt benchmark results",
        "",
        f"- Date: {meta['date']}",
        f"- Machine: {m['nproc']} CPUs (nproc), {m['cpu']}, Linux {m['kernel']}",
        f"- Python packages: {meta['versions']}",
        f"- Load generators: {meta['tools']}",
        f"- Rounds: {opts.rounds}, interleaved; {opts.duration} s per measurement after a "
        f"{opts.warmup} s warm-up, {CONNECTIONS} connections "
        f"(HTTP/2 and HTTP/3: {STREAMS} concurrent streams per connection, one load-generator "
        "thread); figures are medians of the successful runs, RSS is the server's process "
        "tree at the end of the measurement.",
        "- Latency: wrk's `--latency` percentiles for HTTP/1.1; for HTTP/2 (h2c and TLS), "
        "nearest-rank percentiles of the per-request times in h2load's `--log-file` (2xx "
        "answers only); for HTTP/3, oha's percentiles of the 2xx answers "
        "(`--stats-success-breakdown`; the sorted time at index floor(q·n)), n/a where oha "
        "gives none.",
        "- HTTP/3 RPS: 2xx answers over the `-z` duration. With `-w` the requests open when "
        f"it ends (at most {CONNECTIONS}×{STREAMS}) finish and count, which favours slower "
        "servers; oha would otherwise reset them, and Hypercorn's HTTP/3 stops serving after "
        "reset streams. oha's total time is not used: it includes waiting up to oha's 30 s "
        "idle timeout for a server that keeps connections open after GOAWAY (Hypercorn).",
        "- TLS: self-signed certificate for 127.0.0.1 from `_core.development_certificate()`; "
        "h2load negotiates h2 by ALPN, oha skips verification (`--insecure`); HTTP/3 is "
        "served on the TCP port's number over UDP.",
        "",
    ]
    tables = []
    for frameworks in (False, True):
        for protocol in PROTOCOLS:
            tables += protocol_table(runs, blocked, opts, protocol, frameworks)
    kept = report_sections(KEPT_SECTIONS)
    if opts.focused:
        focused = focused_section(runs, tables, opts, meta)
        REPORT.write_text(REPORT.read_text().rstrip("\n") + "\n\n" + focused + "\n")
        return
    lines += tables + ratio_table(runs) + commands_section(opts)
    REPORT.write_text("\n".join(lines) + ("\n" + kept if kept else ""))


def focused_section(runs: list[Run], tables: list[str], opts: Options, meta: dict) -> str:
    """A run of some scenarios (`--only`), kept below the last full run's report."""
    ratios = [line for line in ratio_table(runs) if "not measured" not in line]
    names = ", ".join(s.name for s in opts.scenarios)
    head = [
        f"{FOCUSED_SECTION}, {meta['date']}",
        "",
        f"{names}; {opts.rounds} interleaved rounds of {opts.duration} s "
        f"after a {opts.warmup} s warm-up, as above (same machine, pinning and load "
        "generators). Ratios are between servers of this run only.",
        "",
    ]
    return "\n".join(head + [demote(line) for line in tables + ratios])


def demote(line: str) -> str:
    """A heading of the full report as a subheading of a focused run's section."""
    return "#" + line if line.startswith("## ") else line


def report_sections(headings: tuple[str, ...]) -> str:
    """The sections of the current report with these headings (written by other
    tools), in their order, as text."""
    text = REPORT.read_text() if REPORT.exists() else ""
    blocks = re.split(r"\n(?=## )", text)
    return "\n".join(b.rstrip("\n") + "\n" for b in blocks if b.startswith(headings))


def write_section(heading: str, lines: list[str]) -> None:
    """Put the section `heading` with `lines` under it at the end of the report, in place
    of the one there was; the rest of the file stays as it is (benches/idle.py,
    benches/crowd.py: sections of KEPT_SECTIONS)."""
    text = REPORT.read_text() if REPORT.exists() else ""
    start = text.find(heading)
    if start >= 0:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + (text[end + 1 :] if end >= 0 else "")
    REPORT.write_text(text.rstrip("\n") + "\n\n" + "\n".join([heading, *lines]) + "\n")


def write_json(runs: list[Run], blocked: dict[str, str], meta: dict) -> None:
    data = {**meta, "blocked": blocked, "runs": [asdict(r) for r in runs]}
    (RESULTS_DIR / "latest.json").write_text(json.dumps(data, indent=2) + "\n")


# --- command line ----------------------------------------------------------------


def parse_args() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument("--quick", action="store_true", help="3 s measurements, 1 s warm-up")
    parser.add_argument("--no-build", action="store_true", help="skip cargo and maturin builds")
    parser.add_argument("--oha", default="oha", help="oha built with http3, for HTTP/3")
    args = parser.parse_args()
    by_name = {s.name: s for s in SCENARIOS}
    names = args.only.split(",") if args.only else list(by_name)
    unknown = [n for n in names if n not in by_name]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(by_name)}")
    if args.rounds < 1 or args.duration < 1:
        parser.error("--rounds and --duration must be at least 1")
    return Options(
        duration=3 if args.quick else args.duration,
        warmup=1 if args.quick else 2,
        rounds=args.rounds,
        build=not args.no_build,
        scenarios=[s for s in SCENARIOS if s.name in names],
        oha=args.oha,
        focused=bool(args.only),
    )


def has_http3(oha: str) -> bool:
    """Whether `oha` runs and takes `--http-version 3`: a build without the http3
    feature refuses it before doing anything else. `-n 0` sends no request."""
    probe = [oha, "--http-version", "3", "-n", "0", "--output-format", "quiet"]
    try:
        done = subprocess.run(
            [*probe, "https://127.0.0.1:9/"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def check_environment(opts: Options) -> None:
    """Exit when a required tool is missing; mark HTTP/3 unavailable without oha."""
    tools = {PROTOCOLS[p].tool for p in used_protocols(opts)}
    required = ["taskset", *(t for t in ("wrk", "h2load") if t in tools)]
    missing = [tool for tool in required if not shutil.which(tool)]
    if missing:
        sys.exit(f"missing tools: {', '.join(missing)}")
    if not (ROOT / ".venv/bin/python").exists():
        sys.exit("no .venv in the repo root: create it and install the project's bench extra")
    if not {int(SERVER_CPU), int(LOADGEN_CPU)} <= os.sched_getaffinity(0):
        sys.exit(f"need CPUs {SERVER_CPU} and {LOADGEN_CPU} to pin server and load generator")
    if "oha" in tools and not has_http3(opts.oha):
        opts.unavailable["h3"] = "oha with http3 not found"


def main() -> None:
    opts = parse_args()
    check_environment(opts)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": versions(),
        "tools": tool_versions(opts),
        "settings": {"duration": opts.duration, "warmup": opts.warmup, "rounds": opts.rounds},
    }
    blocked = prepare(opts.scenarios, opts.build)
    for name, reason in blocked.items():
        print(f"{name}: FAILED before start: {reason}", flush=True)
    for protocol, reason in opts.unavailable.items():
        print(f"{PROTOCOLS[protocol].label}: skipped: {reason}", flush=True)
    runs: list[Run] = []
    for round_no in range(1, opts.rounds + 1):
        for scenario in opts.scenarios:
            if scenario.name in blocked or not protocols_of(scenario, opts):
                continue
            for run in run_scenario(scenario, round_no, opts):
                report_progress(run, opts.rounds)
                runs.append(run)
    write_json(runs, blocked, meta)
    write_report(runs, blocked, opts, meta)
    print(f"wrote {REPORT.relative_to(ROOT)} and {(RESULTS_DIR / 'latest.json').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
