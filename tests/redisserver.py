"""A throwaway Redis server for tests: Debian's ``redis-server`` on a free port of
127.0.0.1, with its working folder in a temporary directory, no persistence and no
password.

Import as ``import redisserver`` (not ``redis``: that is the client library); the
``redis_server`` fixture of ``tests/conftest.py`` starts one per test module, or skips
with the reason when Redis is not installed. ``stop()``/``start()`` on the same port
stand in for an outage.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import support


def unavailable() -> str | None:
    """Why a Redis server cannot be started here, or None when it can."""
    if shutil.which("redis-server") is None:
        return (
            "Redis is not installed (Debian: apt-get install redis-server; "
            "scripts/setup.sh installs it)"
        )
    return None


class RedisServer:
    """One Redis server; ``url`` is how clients reach it (database 0)."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.log = directory / "server.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--dir", str(self.directory), "--save", "", "--appendonly", "no"),
                *("--logfile", str(self.log), "--protected-mode", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{self.server_log()}")
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer within 10 s:\n{self.server_log()}")

    def stop(self) -> None:
        """Kill the server at once (clients see their connections drop)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *args: str) -> str:
        """``redis-cli`` output of one command, for assertions."""
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout.strip()

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def running() -> Iterator[RedisServer]:
    """A started server in a new temporary folder; stopped and removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="bolt-redis-"))
    server = RedisServer(directory, support.free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
