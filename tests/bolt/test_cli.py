"""The command line over real processes: a busy port, numbers a flag cannot take,
``django-bolt --version``, and the light set-up path of the README's first command."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import support
from django.core.management.base import CommandError

from django_bolt import cli
from django_bolt.management.commands.runbolt import Command as Runbolt

PROJECT = support.BOLT_PROJECT_DIR


def run(argv: list[str], cwd: Path, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """Run ``argv`` to its end in a session of its own; a process (or a reloader's child)
    still running at ``timeout`` is killed with its group and fails the test."""
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        env=support.subprocess_env(()),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f"{argv} still ran after {timeout} s\n{stderr}") from None
    finally:
        with_group_gone(process.pid)
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def with_group_gone(pgid: int) -> None:
    """Kill what is left of the process group (a reloader's child)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def runbolt(*args: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", "runbolt", *args], PROJECT)


def serve(*args: str) -> subprocess.CompletedProcess:
    return run(
        [sys.executable, "-m", "django_bolt.cli", "serve", "apps:main", *args],
        support.CONFORMANCE_APPS_DIR,
    )


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    return lines[0]


@contextmanager
def busy_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind((support.HOST, 0))
        holder.listen()
        yield holder.getsockname()[1]


# ---- a port in use ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode", [(), ("--dev",), ("--processes", "2")], ids=["plain", "dev", "processes"]
)
def test_runbolt_on_a_busy_port_says_so_in_one_line_and_exits_1(mode):
    with busy_port() as port:
        result = runbolt(*mode, "--host", support.HOST, "--port", str(port))
    assert result.returncode == 1, result.stderr
    assert one_line(result.stderr) == f"CommandError: 127.0.0.1:{port} is already in use"


@pytest.mark.parametrize("mode", [(), ("--processes", "2")], ids=["plain", "processes"])
def test_serve_on_a_busy_port_says_so_in_one_line_and_exits_1(mode):
    with busy_port() as port:
        result = serve(*mode, "--host", support.HOST, "--port", str(port))
    assert result.returncode == 1, result.stderr
    assert one_line(result.stderr) == f"django-bolt: error: 127.0.0.1:{port} is already in use"


def test_runbolt_dev_whose_server_cannot_start_ends_the_reloader_with_1():
    """The reloader's child fails after the parent's port check passed: one line, and
    the parent exits with the child's 1 instead of watching files."""
    result = runbolt("--dev", "--asgi", "nowhere.module:app", "--port", str(support.free_port()))
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if "Watching for file" not in line]
    assert lines == ["CommandError: cannot import 'nowhere.module': no module named 'nowhere'"]


@pytest.mark.parametrize("flag", [("--processes", "2"), ("--max-requests", "100")])
def test_runbolt_dev_with_supervision_flags_says_why_not_in_one_line(flag):
    result = runbolt("--dev", *flag, "--port", str(support.free_port()))
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if "Watching for file" not in line]
    assert lines == [
        "CommandError: --processes, --max-requests and --max-rss need a supervisor, which "
        "--dev's reloader leaves no room for: leave them out under --dev"
    ]


# ---- numbers a flag cannot take --------------------------------------------------------

BAD_NUMBERS = [
    ("--port", "-1", "must be from 0 to 65535, not -1"),
    ("--port", "70000", "must be from 0 to 65535, not 70000"),
    ("--workers", "0", "must be from 1 to 1024, not 0"),
    ("--processes", "0", "must be from 1 to 1024, not 0"),
    ("--max-requests", "-1", "must be at least 0, not -1"),
    ("--max-rss", "lots", "'lots' is not a whole number"),
    ("--start-timeout", "0", "must be more than 0, not 0"),
    ("--backlog", "3000000000", "must be from 1 to 2147483647, not 3000000000"),
    ("--max-body-size", "-5", "must be at least 0, not -5"),
    ("--keep-alive", "0", "must be more than 0, not 0"),
    ("--shutdown-grace", "-1", "must be from 0 to 604800, not -1"),
    ("--body-timeout", "nan", "'nan' is not a number of seconds"),
]


@pytest.mark.parametrize(("flag", "value", "message"), BAD_NUMBERS)
def test_serve_refuses_a_number_out_of_range_in_one_line(flag, value, message):
    result = serve(flag, value)
    assert result.returncode == 2, result.stderr
    assert one_line(result.stderr) == f"django-bolt serve: error: argument {flag}: {message}"


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        *BAD_NUMBERS[:4],
        ("--django-threads", "0", "must be from 1 to 1024, not 0"),
        ("--static-max-age", "-1", "must be from 0 to 2147483647, not -1"),
        ("--gc-threshold", "-1", "must be from 0 to 2147483647, not -1"),
    ],
)
def test_runbolt_refuses_a_number_out_of_range_in_one_line(flag, value, message):
    result = runbolt(flag, value)
    assert result.returncode == 2, result.stderr
    assert one_line(result.stderr) == f"manage.py runbolt: error: argument {flag}: {message}"


@pytest.mark.parametrize(("value", "shown"), [("0", "0"), ("-3", "-3"), ("many", "'many'")])
def test_runbolt_refuses_a_bad_bolt_sync_workers_in_one_line(monkeypatch, value, shown):
    monkeypatch.setenv("BOLT_SYNC_WORKERS", value)
    result = runbolt("--port", str(support.free_port()))
    assert result.returncode == 1, result.stderr
    assert one_line(result.stderr) == (
        f"CommandError: BOLT_SYNC_WORKERS must be a whole number of threads, 1 or more, not {shown}"
    )


def _serve_parser() -> argparse.ArgumentParser:
    (commands,) = [a for a in cli.build_parser()._actions if a.choices and "serve" in a.choices]
    return commands.choices["serve"]


def _numeric_flags(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Options that take a number: typed (not text), or with a number as default."""
    return [
        action
        for action in parser._actions
        if action.option_strings
        and action.nargs != 0
        and not action.choices  # Django's --verbosity
        and (
            action.type not in (None, str)
            or isinstance(action.default, int | float)
            and not isinstance(action.default, bool)
        )
    ]


@pytest.mark.parametrize("command", ["serve", "runbolt"])
def test_every_numeric_flag_has_a_range(command):
    """A numeric flag added without a bounded type takes numbers Rust cannot hold."""
    if command == "serve":
        parser = _serve_parser()
        base = ["apps:main"]
    else:
        parser = Runbolt().create_parser("manage.py", "runbolt")
        base = []
    flags = _numeric_flags(parser)
    assert len(flags) >= 15
    for action in flags:
        flag = action.option_strings[-1]
        for value in (str(10**30), str(-(10**30)), "inf", "nan"):
            with pytest.raises((SystemExit, CommandError)):
                parser.parse_args([*base, flag, value])


# ---- django-bolt --version -------------------------------------------------------------


def test_version_prints_the_package_version():
    project = tomllib.loads((support.REPO_ROOT / "pyproject.toml").read_text())["project"]
    result = run([sys.executable, "-m", "django_bolt.cli", "--version"], support.REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"django-bolt {project['version']}\n"


# ---- the README's first command: the example's light set-up ----------------------------


def _stub(path: Path, body: str) -> None:
    path.write_text(f"#!/usr/bin/env bash\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def stubbed_checkout(tmp_path) -> Path:
    """The scripts in a folder of their own, with a ``.venv`` whose python and maturin
    only write down how they were called, and an ``apt-get`` and ``cargo`` that do the
    same: what the scripts would install, without installing it."""
    root = tmp_path / "checkout"
    shutil.copytree(support.REPO_ROOT / "scripts", root / "scripts")
    (root / "example").mkdir()
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    calls = tmp_path / "calls"
    record = f'echo "$(basename "$0") $*" >> {calls}'
    _stub(bin_dir / "python", f'{record}\ncase "$*" in *--version*) echo "Python 3.12.0";; esac')
    _stub(bin_dir / "maturin", f"{record}\necho maturin 1.7")
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("apt-get", "cargo", "wrk", "h2load", "curl", "openssl", "chromium"):
        _stub(tools / tool, record)
    return root


def _run_script(root: Path, script: str, *args: str) -> list[str]:
    tools = root.parent / "tools"
    env = {"PATH": f"{tools}:/usr/bin:/bin", "HOME": str(root.parent)}
    result = subprocess.run(
        ["bash", str(root / "scripts" / script), *args],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return (root.parent / "calls").read_text().splitlines()


def _installs(calls: list[str]) -> list[str]:
    return [call.split(" -e ", 1)[1] for call in calls if "pip install" in call and " -e " in call]


def test_the_example_script_installs_the_package_alone_and_serves_it(stubbed_checkout):
    calls = _run_script(stubbed_checkout, "example.sh")
    assert _installs(calls) == ["."]
    assert not [call for call in calls if call.startswith("apt-get")]
    assert calls[-1] == "python manage.py runbolt --dev --port 8000 --host 127.0.0.1"


def test_full_setup_still_installs_the_test_and_bench_extras(stubbed_checkout):
    calls = _run_script(stubbed_checkout, "setup.sh")
    assert _installs(calls) == [".[test,bench]"]


def _modules_pip_install_leaves_out() -> set[str]:
    """Top-level modules of the installed distributions that ``pip install .`` (no
    extras) would not bring: the test and bench extras and what they pulled in."""
    from importlib.metadata import packages_distributions, requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    needed, todo = set(), ["django-bolt"]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in needed:
            continue
        needed.add(name)
        for line in requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return {
        module
        for module, distributions in packages_distributions().items()
        if not any(canonicalize_name(d) in needed for d in distributions)
    }


BLOCKER = """
import sys

BLOCKED = {blocked!r}


class LeftOutByPipInstall:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (an extra)", name=name)
        return None


sys.meta_path.insert(0, LeftOutByPipInstall())
"""


def test_the_example_runs_on_what_pip_install_dot_installs(example_project, tmp_path):
    """The light set-up (``pip install -e .``) is enough for the example: served with
    every module of the extras unimportable, each of its features answers."""
    from websockets.sync.client import connect

    blocked = _modules_pip_install_leaves_out()
    assert {"granian", "fastapi", "rest_framework", "httpx", "pytest", "uvloop"} <= blocked
    (tmp_path / "sitecustomize.py").write_text(BLOCKER.format(blocked=sorted(blocked)))
    port = support.free_port()
    server = support.start_server(
        [sys.executable, "manage.py", "runbolt", "--host", support.HOST, "--port", str(port)],
        port=port,
        cwd=example_project,
        env=support.subprocess_env([tmp_path]),
    )
    with support.running(server), httpx.Client(base_url=server.base_url, timeout=10) as client:
        assert client.get("/items/").status_code == 200
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/docs").status_code == 200
        assert client.get("/hello/").status_code == 200
        assert client.get("/admin/login/").status_code == 200
        assert client.get("/events", params={"count": 1}).text.count("data:") == 1
        upload = client.post("/upload", files={"file": ("a.txt", b"hello")})
        assert upload.json() == {"filename": "a.txt", "size": 5}
        with connect(server.base_url.replace("http://", "ws://") + "/ws/echo") as websocket:
            websocket.send("ping")
            assert websocket.recv(timeout=5) == "ping"
    assert "an extra" not in server.stderr()
