"""The deployment guide's systemd unit, run as far as it runs without systemd.

Its ``ExecStart`` (read from docs/deployment.md, with only the port, host, number of
processes and certificate paths changed) serves the example project over TLS; its
``ExecReload`` (SIGHUP to the main pid) replaces every server process while the port
keeps answering; the stop systemd does under ``KillMode=mixed`` (SIGTERM to the main pid
only) ends every process with status 0 well within ``TimeoutStopSec``, which must be
longer than the ``--shutdown-grace`` the unit gives. ``systemd-analyze verify`` checks
the unit's syntax where it is installed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import certs
import httpx
import pytest
import support

GUIDE = support.REPO_ROOT / "docs" / "deployment.md"


def unit_text() -> str:
    section = GUIDE.read_text().split("\n## systemd\n", 1)[1].split("\n## ", 1)[0]
    [unit] = re.findall(r"```ini\n(.*?)```", section, re.S)
    return unit


def service_settings() -> dict[str, str]:
    service = unit_text().split("[Service]\n", 1)[1].split("\n[", 1)[0]
    pairs = (line.split("=", 1) for line in service.splitlines() if "=" in line)
    return {key: value for key, value in pairs}


def option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def serving(parent: int, instead_of: set[int] = frozenset()) -> set[int] | None:
    """The two server processes of ``parent`` once both are others than ``instead_of``."""
    pids = children(parent)
    return pids if len(pids) == 2 and not pids & instead_of else None


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def test_the_unit_keeps_its_promises():
    settings = service_settings()
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert settings["KillMode"] == "mixed"
    exec_start = shlex.split(settings["ExecStart"])
    assert exec_start[1:3] == ["manage.py", "runbolt"]
    grace = float(option(exec_start, "--shutdown-grace"))
    assert float(settings["TimeoutStopSec"]) > grace, "systemd would kill in-flight requests"
    for flag in ("--processes", "--cert", "--key", "--http3"):
        assert flag in exec_start


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_accepts_the_unit(tmp_path):
    unit = tmp_path / "bolt.service"
    unit.write_text(unit_text().split("\n", 1)[1])  # without the path comment
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    # Paths of the example (the venv, the certificates) do not exist here; syntax must.
    syntax = [line for line in result.stderr.splitlines() if "Unknown" in line]
    assert not syntax, result.stderr


def test_exec_start_reload_and_stop_as_systemd_drives_them(tmp_path):
    project = support.prepare_example_project(tmp_path / "site")
    tls = certs.make(tmp_path / "certs")
    words = shlex.split(service_settings()["ExecStart"])
    changes = {
        "--host": support.HOST,
        "--port": str(support.free_port()),
        "--processes": "2",
        "--cert": str(tls.cert),
        "--key": str(tls.key),
    }
    for name, value in changes.items():
        words[words.index(name) + 1] = value
    argv = [sys.executable, *words[1:]]
    port = int(changes["--port"])
    env = support.subprocess_env(())
    server = support.start_server(argv, port=port, cwd=project, env=env)
    main_pid = server.process.pid
    url = f"https://{support.HOST}:{port}/health"
    try:
        with httpx.Client(verify=str(tls.ca), timeout=10) as client:
            assert client.get(url).status_code == 200
            first = wait_until(lambda: serving(main_pid), 60, "two server processes")
            # ExecReload.
            os.kill(main_pid, signal.SIGHUP)
            replaced = wait_until(
                lambda: serving(main_pid, instead_of=first),
                120,
                "both server processes replaced after SIGHUP",
            )
            assert client.get(url).status_code == 200
        # The stop under KillMode=mixed: SIGTERM to the main pid only.
        os.kill(main_pid, signal.SIGTERM)
        grace = float(option(words, "--shutdown-grace"))
        code = server.process.wait(timeout=grace + 5)
        assert code == 0, server.stderr()
        wait_until(lambda: not any(alive(pid) for pid in replaced), 10, "every process ended")
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
        server.close_files()
