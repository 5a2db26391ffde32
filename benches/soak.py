"""Soak test: the example project served over TLS with HTTP/3, driven for a while at
modest rates by every kind of client at once, while the server's memory and open file
descriptors are sampled; they must stay flat. Loopback only, bounded; not run in CI.

    .venv/bin/python benches/soak.py [--duration SECONDS] [--rate N]

A copy of ``example/`` (migrated, in a temporary folder) is served by ``manage.py
runbolt --https --http3``. At the same time, one client per protocol (httpx over
HTTP/1.1 and HTTP/2, aioquic over HTTP/3) cycles through Bolt routes (``/health``,
``/items/``), a Django view (``/hello/``), a multipart upload (``/upload``) and
Server-Sent Events (``/events``), and a ``websockets`` client echoes messages on
``/ws/echo``; every client opens a new connection now and then, so connection set-up
and tear-down are soaked too. Every 10 s the server's RSS (``/proc/PID/status``) and
open descriptors (``/proc/PID/fd``) are sampled. At the end a summary is printed and
the "Soak" section of benches/RESULTS.md is written (the rest of the file is left as
it is). Exits 1 when a response was not the intended one or memory or descriptors grew.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import websockets
from aioquic.asyncio.client import connect as quic_connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ConnectionTerminated, StreamReset

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import support  # noqa: E402  (the tests' way of starting servers)

REPORT = ROOT / "benches" / "RESULTS.md"
SECTION = "## Soak"
SAMPLE_EVERY = 10.0
# A client opens a new connection after this many requests (WebSocket: messages).
REQUESTS_PER_CONNECTION = 100
MESSAGES_PER_WEBSOCKET = 20
SSE_EVENTS = 3
# Flat: the last third of the samples averages within this of the first third.
FLAT_TOLERANCE = 0.10
FD_SLACK = 2  # descriptors: a couple more connections open at the moment is not a leak
UPLOAD = os.urandom(32 * 1024)
HOST = support.HOST


@dataclass
class Tally:
    """Responses by (protocol, kind, outcome): a status code, or an error's name."""

    counts: Counter = field(default_factory=Counter)

    def add(self, protocol: str, kind: str, outcome: int | str) -> None:
        self.counts[(protocol, kind, outcome)] += 1

    def unintended(self) -> int:
        return sum(n for (_, _, outcome), n in self.counts.items() if not is_ok(outcome))

    def total(self) -> int:
        return sum(self.counts.values())


def is_ok(outcome: int | str) -> bool:
    return isinstance(outcome, int) and 200 <= outcome < 300


@dataclass
class Sample:
    at: float
    rss_kib: int
    fds: int


def sample(pid: int, started: float) -> Sample:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return Sample(time.monotonic() - started, rss, len(os.listdir(f"/proc/{pid}/fd")))


def no_verify() -> ssl.SSLContext:
    """The development certificate is self-signed; this is loopback only."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# ---- what each request is ---------------------------------------------------------------

MULTIPART_BOUNDARY = "soak-boundary"
MULTIPART_BODY = (
    (
        f"--{MULTIPART_BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="soak.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    + UPLOAD
    + f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()
)
MULTIPART_TYPE = f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"

# (kind, method, path, body): the cycle every HTTP client goes through.
REQUESTS = [
    ("bolt", "GET", "/health", b""),
    ("bolt", "GET", "/items/?limit=5", b""),
    ("django", "GET", "/hello/", b""),
    ("upload", "POST", "/upload", MULTIPART_BODY),
    ("sse", "GET", f"/events?count={SSE_EVENTS}", b""),
]


def outcome(kind: str, status: int, body: bytes) -> int | str:
    """The status, or what was wrong with a 2xx whose body is not the expected one."""
    if not 200 <= status < 300:
        return status
    if kind == "sse" and body.count(b"data:") != SSE_EVENTS:
        return "incomplete-sse"
    if kind == "upload" and f'"size":{len(UPLOAD)}'.encode() not in body.replace(b" ", b""):
        return "upload-size-mismatch"
    return status


# ---- clients ----------------------------------------------------------------------------


class Pacer:
    """Spaces a client's requests `1 / rate` seconds apart until the deadline."""

    def __init__(self, rate: float, deadline: float) -> None:
        self.interval = 1.0 / rate
        self.deadline = deadline
        self.next = time.monotonic()

    async def tick(self) -> bool:
        self.next += self.interval
        delay = self.next - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            self.next = time.monotonic()  # behind: do not burst to catch up
        return time.monotonic() < self.deadline


async def httpx_client(protocol: str, base_url: str, pacer: Pacer, tally: Tally) -> None:
    """HTTP/1.1 or HTTP/2 (ALPN) over TLS."""
    sent = 0
    while True:
        async with httpx.AsyncClient(
            base_url=base_url,
            http1=protocol == "http1",
            http2=protocol == "http2",
            verify=no_verify(),
            timeout=30,
        ) as client:
            for _ in range(REQUESTS_PER_CONNECTION):
                if not await pacer.tick():
                    return
                kind, method, path, body = REQUESTS[sent % len(REQUESTS)]
                sent += 1
                headers = {"content-type": MULTIPART_TYPE} if body else {}
                try:
                    response = await client.request(method, path, content=body, headers=headers)
                    tally.add(protocol, kind, outcome(kind, response.status_code, response.content))
                except httpx.HTTPError as exc:
                    tally.add(protocol, kind, type(exc).__name__)


class H3Protocol(QuicConnectionProtocol):
    """A minimal HTTP/3 client: each request's status and whole body."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.http = H3Connection(self._quic)
        self.pending: dict[int, tuple[asyncio.Future, list]] = {}

    def quic_event_received(self, event) -> None:
        if isinstance(event, ConnectionTerminated | StreamReset):
            failed = [event.stream_id] if isinstance(event, StreamReset) else list(self.pending)
            for stream_id in failed:
                future, _ = self.pending.pop(stream_id, (None, None))
                if future and not future.done():
                    future.set_exception(ConnectionError(repr(event)))
        for h3_event in self.http.handle_event(event):
            stream_id = getattr(h3_event, "stream_id", None)
            if stream_id not in self.pending:
                continue
            future, response = self.pending[stream_id]
            if isinstance(h3_event, HeadersReceived) and not response[0]:
                response[0] = int(dict(h3_event.headers)[b":status"])
            elif isinstance(h3_event, DataReceived):
                response[1] += h3_event.data
            if getattr(h3_event, "stream_ended", False):
                del self.pending[stream_id]
                future.set_result((response[0], bytes(response[1])))

    async def request(self, method: str, path: str, body: bytes, authority: str):
        stream_id = self._quic.get_next_available_stream_id()
        fields = [
            (b":method", method.encode()),
            (b":scheme", b"https"),
            (b":authority", authority.encode()),
            (b":path", path.encode()),
        ]
        if body:
            fields += [
                (b"content-type", MULTIPART_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ]
        future = asyncio.get_running_loop().create_future()
        self.pending[stream_id] = (future, [0, bytearray()])
        self.http.send_headers(stream_id, fields, end_stream=not body)
        if body:
            self.http.send_data(stream_id, body, end_stream=True)
        self.transmit()
        return await asyncio.wait_for(future, 30)


async def h3_client(port: int, pacer: Pacer, tally: Tally) -> None:
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
    config.verify_mode = ssl.CERT_NONE
    authority = f"{HOST}:{port}"
    sent = 0
    while True:
        try:
            async with quic_connect(
                HOST, port, configuration=config, create_protocol=H3Protocol
            ) as connection:
                for _ in range(REQUESTS_PER_CONNECTION):
                    if not await pacer.tick():
                        return
                    kind, method, path, body = REQUESTS[sent % len(REQUESTS)]
                    sent += 1
                    try:
                        status, content = await connection.request(method, path, body, authority)
                        tally.add("http3", kind, outcome(kind, status, content))
                    except (ConnectionError, TimeoutError) as exc:
                        tally.add("http3", kind, type(exc).__name__)
                        break
        except (ConnectionError, OSError) as exc:
            tally.add("http3", "connect", type(exc).__name__)
            if not await pacer.tick():
                return


async def websocket_client(port: int, pacer: Pacer, tally: Tally) -> None:
    """Echoes over wss://, a new connection every few messages."""
    sent = 0
    while True:
        try:
            async with websockets.connect(
                f"wss://{HOST}:{port}/ws/echo", ssl=no_verify(), open_timeout=30
            ) as socket:
                for _ in range(MESSAGES_PER_WEBSOCKET):
                    if not await pacer.tick():
                        return
                    message = f"soak {sent}"
                    sent += 1
                    await socket.send(message)
                    reply = await asyncio.wait_for(socket.recv(), 30)
                    tally.add("websocket", "echo", 200 if reply == message else "wrong-echo")
        except (websockets.WebSocketException, OSError, TimeoutError) as exc:
            tally.add("websocket", "echo", type(exc).__name__)
            if not await pacer.tick():
                return


async def sampler(pid: int, started: float, deadline: float, samples: list[Sample]) -> None:
    while time.monotonic() < deadline:
        await asyncio.sleep(min(SAMPLE_EVERY, max(0.0, deadline - time.monotonic())))
        samples.append(sample(pid, started))
        last = samples[-1]
        print(
            f"  {last.at:6.0f} s  RSS {last.rss_kib / 1024:7.1f} MiB  fds {last.fds:4d}",
            flush=True,
        )


async def soak(server: support.ServerProcess, duration: float, rate: float) -> dict:
    tally = Tally()
    started = time.monotonic()
    samples = [sample(server.process.pid, started)]  # before any traffic
    deadline = started + duration
    base_url = f"https://{HOST}:{server.port}"
    await asyncio.gather(
        httpx_client("http1", base_url, Pacer(rate, deadline), tally),
        httpx_client("http2", base_url, Pacer(rate, deadline), tally),
        h3_client(server.port, Pacer(rate, deadline), tally),
        websocket_client(server.port, Pacer(rate, deadline), tally),
        sampler(server.process.pid, started, deadline, samples),
    )
    return {"tally": tally, "samples": samples, "elapsed": time.monotonic() - started}


# ---- the verdict and the report ---------------------------------------------------------


@dataclass
class Trend:
    name: str
    unit: str
    values: list[float]  # the first is before any traffic
    slack: float = 0.0

    def thirds(self) -> tuple[float, float]:
        loaded = self.values[1:] or self.values
        third = max(1, len(loaded) // 3)
        first, last = loaded[:third], loaded[-third:]
        return sum(first) / len(first), sum(last) / len(last)

    def flat(self) -> bool:
        first, last = self.thirds()
        return last <= first * (1 + FLAT_TOLERANCE) + self.slack

    def row(self, digits: int) -> str:
        first, last = self.thirds()
        cells = [self.values[0], self.values[-1], max(self.values), first, last]
        shown = " | ".join(f"{v:,.{digits}f}" for v in cells)
        return f"| {self.name} ({self.unit}) | {shown} | {'yes' if self.flat() else 'NO'} |"


def trends(samples: list[Sample]) -> list[Trend]:
    return [
        Trend("RSS", "MiB", [s.rss_kib / 1024 for s in samples]),
        Trend("open fds", "count", [float(s.fds) for s in samples], slack=FD_SLACK),
    ]


def report_lines(result: dict, duration: float, rate: float, stderr_problems: list[str]) -> list:
    tally: Tally = result["tally"]
    kinds: dict[tuple[str, str], Counter] = {}
    for (protocol, kind, what), n in sorted(tally.counts.items(), key=str):
        kinds.setdefault((protocol, kind), Counter())[what] += n
    lines = [
        SECTION,
        "",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; "
        f"{result['elapsed']:.0f} s (`--duration {duration:g}`), {len(result['samples'])} samples "
        f"every {SAMPLE_EVERY:g} s.",
        "- Server: `manage.py runbolt --https --http3` on a copy of `example/`, loopback.",
        f"- Load, all at once, each about {rate:g} requests/s: httpx over HTTP/1.1 and HTTP/2 "
        "(TLS), aioquic over HTTP/3, each cycling `/health` and `/items/` (Bolt), `/hello/` "
        f"(Django), a {len(UPLOAD) // 1024} KiB multipart upload and SSE (`/events`); a "
        f"`websockets` client echoing on `/ws/echo`. A new connection every "
        f"{REQUESTS_PER_CONNECTION} requests ({MESSAGES_PER_WEBSOCKET} WebSocket messages).",
        f"- Responses: {tally.total():,}; unintended (not 2xx, wrong body, or an error): "
        f"{tally.unintended():,}.",
        f"- Server stderr: {'; '.join(stderr_problems) or 'no tracebacks or panics'}.",
        "",
        "| protocol | kind | 2xx | other outcomes |",
        "| --- | --- | ---: | --- |",
    ]
    for (protocol, kind), outcomes in kinds.items():
        ok = sum(n for what, n in outcomes.items() if is_ok(what))
        other = ", ".join(f"{what}: {n}" for what, n in outcomes.items() if not is_ok(what))
        lines.append(f"| {protocol} | {kind} | {ok:,} | {other or '-'} |")
    lines += [
        "",
        "| measure | start (idle) | end | max | first third | last third | flat |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        *(t.row(1 if t.unit == "MiB" else 0) for t in trends(result["samples"])),
        "",
        f"Flat: the samples under load, last third's average within "
        f"{FLAT_TOLERANCE:.0%} of the first third's (descriptors: plus {FD_SLACK}).",
        "",
    ]
    return lines


def write_section(lines: list[str]) -> None:
    """Replace the Soak section of RESULTS.md (kept last), or add it."""
    text = REPORT.read_text() if REPORT.exists() else "# django-bolt benchmark results\n"
    start = text.find(f"\n{SECTION}\n")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[: start + 1] + (text[end + 1 :] if end >= 0 else "")
    REPORT.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines))


def stderr_problems(stderr: str) -> list[str]:
    found = []
    for marker in ("Traceback", "panicked", "Internal Server Error"):
        if n := stderr.count(marker):
            found.append(f"{n} x {marker!r}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds (default 600)")
    parser.add_argument("--rate", type=float, default=20, help="requests/s per client")
    parser.add_argument("--no-report", action="store_true", help="leave RESULTS.md alone")
    args = parser.parse_args()
    if args.duration < 3 * SAMPLE_EVERY or args.rate <= 0:
        parser.error(f"--duration must be at least {3 * SAMPLE_EVERY:g} s, --rate above 0")
    with tempfile.TemporaryDirectory(prefix="bolt-soak-") as tmp:
        print("preparing a copy of the example project", flush=True)
        project = support.prepare_example_project(Path(tmp) / "example")
        port = support.free_port()
        argv = [sys.executable, "manage.py", "runbolt", "--host", HOST, "--port", str(port)]
        server = support.start_server(
            [*argv, "--https", "--http3"], port=port, cwd=project, env=support.subprocess_env()
        )
        print(f"soaking pid {server.process.pid} on :{port} for {args.duration:g} s", flush=True)
        with support.running(server):
            result = asyncio.run(soak(server, args.duration, args.rate))
        problems = stderr_problems(server.stderr())
    lines = report_lines(result, args.duration, args.rate, problems)
    print("\n".join(lines))
    if not args.no_report:
        write_section(lines)
        print(f"wrote the Soak section of {REPORT.relative_to(ROOT)}")
    steady = all(t.flat() for t in trends(result["samples"]))
    return 0 if steady and not result["tally"].unintended() and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
