"""A throwaway PostgreSQL server for tests: its own data directory in a temporary
folder, on a free port of 127.0.0.1, with trust authentication for the ``postgres``
user. Debian's binaries (``/usr/lib/postgresql/<version>/bin``) or ones on PATH.

PostgreSQL refuses to run as root, so under root (as in CI containers) every server
command runs as the ``postgres`` user, in a folder it owns.

Import as ``import postgres``; the ``postgres_server`` fixture of ``tests/conftest.py``
starts one per test module, or skips with the reason when PostgreSQL is not installed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import support

#: The user the server runs as when the tests run as root.
SERVER_USER = "postgres"


def binaries() -> Path | None:
    """The folder of PostgreSQL's server binaries (the newest installed), if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _version(initdb: str) -> int:
    version = Path(initdb).parent.parent.name
    return int(version) if version.isdigit() else 0


def unavailable() -> str | None:
    """Why a PostgreSQL server cannot be started here, or None when it can."""
    if binaries() is None:
        return (
            "PostgreSQL is not installed (Debian: apt-get install postgresql; "
            "scripts/setup.sh installs it)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL as"
    return None


class PostgresServer:
    """One PostgreSQL server; ``port`` is where it listens (127.0.0.1)."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "server.log"
        self.port = port
        self.bin = binaries()

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({result.returncode}):\n{result.stdout}{result.stderr}\n"
                f"--- server log ---\n{self.server_log()}"
            )

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options)

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")

    def restart(self) -> None:
        """Stop (disconnecting every client) and start again."""
        self.stop()
        self.start()

    def query(self, sql: str, *params: object) -> list[tuple]:
        """Rows of ``sql``, on a connection of its own."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            return connection.execute(sql, params).fetchall()

    def backends(self, application_name: str) -> list[int]:
        """The pids of the backends serving clients that gave ``application_name``."""
        rows = self.query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", application_name
        )
        return sorted(pid for (pid,) in rows)


@contextlib.contextmanager
def running() -> Iterator[PostgresServer]:
    """A started server in a new temporary folder; stopped and removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="bolt-postgres-"))
    try:
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(directory, user.pw_uid, user.pw_gid)
        server = PostgresServer(directory, support.free_port())
        server.init()
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(RuntimeError):
                server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
