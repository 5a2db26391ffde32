"""Idle keep-alive connections: the memory each one holds, and whether it comes back.

    .venv/bin/python benches/idle.py [--connections N] [--only a,b]

For each server (bare hyper; a BoltAPI route through runbolt; the raw ASGI app through
`django-bolt serve`, Granian and Uvicorn), started pinned to CPU 0 as `run.py` starts it
with a keep-alive timeout longer than the measurement: 200 requests warm it up and its
RSS is sampled; then N connections each send one HTTP/1.1 request, read the answer and
stay open; RSS is sampled again once all are open (`held`), then every connection is
closed and RSS is sampled after 3 s (`after close`). Per connection is
`(held - before) / N`; `returned` is the share of that growth given back after the close.
The figures replace the "Idle connections" section of benches/RESULTS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import socket
import sys
import time
from datetime import UTC, datetime

import run  # benches/run.py: this script's directory is on sys.path

SECTION = "## Idle connections"
SETTLE = 3.0
# Longer than opening every connection takes, so none is closed for idleness meanwhile.
KEEP_ALIVE = "600"
SERVERS = {
    "hyper-bare": (),
    "bolt": ("--keep-alive", KEEP_ALIVE),
    "ours-raw-asgi": ("--keep-alive", KEEP_ALIVE),
    # Granian serves at most --backpressure connections at once (default 1024 a worker).
    "granian-raw-asgi": ("--backpressure", "65536"),
    "uvicorn-raw-asgi": ("--timeout-keep-alive", KEEP_ALIVE),
}


def request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def exchange(sock: socket.socket, payload: bytes) -> None:
    """Send one request and read its whole answer (a small body with Content-Length)."""
    sock.sendall(payload)
    data = b""
    while b"\r\n\r\n" not in data:
        data += recv(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += recv(sock)


def recv(sock: socket.socket) -> bytes:
    chunk = sock.recv(65536)
    if not chunk:
        raise ConnectionError("the server closed the connection")
    return chunk


def measure(scenario: run.Scenario, connections: int) -> dict:
    server = run.Server(scenario, run.free_port(), run.LOG_DIR / f"idle-{scenario.name}.log", {})
    payload = request(scenario.path)
    held: list[socket.socket] = []
    try:
        if reason := server.wait_ready(scenario):
            raise RuntimeError(reason)
        with socket.create_connection(("127.0.0.1", server.port)) as warm:
            for _ in range(200):
                exchange(warm, payload)
        time.sleep(0.5)
        before = server.rss_mib()
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            exchange(sock, payload)
            held.append(sock)
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as probe:
            exchange(probe, payload)  # the server still answers with all of them open
        peak = server.rss_mib()
        for sock in held:
            sock.close()
        held.clear()
        time.sleep(SETTLE)
        after = server.rss_mib()
    finally:
        for sock in held:
            sock.close()
        server.stop()
    growth = peak - before
    return {
        "server": scenario.name,
        "before_mib": before,
        "held_mib": peak,
        "after_mib": after,
        "per_connection_kib": growth * 1024 / connections,
        # RSS may grow a little after the close (nothing returned), not below zero.
        "returned": max(0.0, (peak - after) / growth) if growth > 0 else 1.0,
    }


def write_section(results: list[dict], connections: int) -> None:
    lines = [
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}, `benches/idle.py --connections "
        f"{connections}`: each server (pinned to CPU 0, one worker) holds {connections} "
        "HTTP/1.1 keep-alive connections, each idle after one request. RSS of the "
        "server's process tree.",
        "",
        "| server | RSS before | with the connections | after they close | per connection | "
        "growth returned |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['server']} | {r['before_mib']:.1f} MiB | {r['held_mib']:.1f} MiB | "
            f"{r['after_mib']:.1f} MiB | {r['per_connection_kib']:.1f} KiB | "
            f"{r['returned']:.0%} |"
        )
    run.write_section(SECTION, lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--only", help="comma-separated servers: " + ", ".join(SERVERS))
    parser.add_argument("--no-build", action="store_true", help="skip cargo and maturin builds")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(SERVERS)
    if unknown := set(names) - set(SERVERS):
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < args.connections + 100:
        sys.exit(f"open-file limit {hard} is below {args.connections} connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    by_name = {s.name: s for s in run.SCENARIOS}
    scenarios = [dataclasses.replace(by_name[n], argv=by_name[n].argv + SERVERS[n]) for n in names]
    run.LOG_DIR.mkdir(parents=True, exist_ok=True)
    blocked = run.prepare(scenarios, not args.no_build)
    results = []
    for scenario in scenarios:
        if scenario.name in blocked:
            print(f"{scenario.name}: FAILED before start: {blocked[scenario.name]}")
            continue
        result = measure(scenario, args.connections)
        print(
            f"{scenario.name}: {result['per_connection_kib']:.1f} KiB per idle connection "
            f"({result['before_mib']:.1f} -> {result['held_mib']:.1f} -> "
            f"{result['after_mib']:.1f} MiB, {result['returned']:.0%} returned)",
            flush=True,
        )
        results.append(result)
    write_section(results, args.connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
