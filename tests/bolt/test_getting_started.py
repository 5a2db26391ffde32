"""docs/getting-started.md, followed as a new user would, in a temporary folder.

The page marks each block with an HTML comment (``<!-- guide: KIND [PATH] -->``) that
says what the block is: ``run`` (shell commands, run as written), ``file`` / ``append``
(a file to write, or to add to, relative to the folder the commands are in), ``serve``
(the command that starts the server), ``request`` (``$ curl URL`` lines, each followed
by the answer it prints, if any) and ``install``. The blocks are read from the page, so
the page and this test cannot drift apart.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import support

GUIDE = support.REPO_ROOT / "docs" / "getting-started.md"
BLOCK = re.compile(r"<!-- guide: (\w+)(?: (\S+))? -->\n```\w*\n(.*?)```", re.DOTALL)


@dataclass
class Block:
    kind: str
    path: str | None
    text: str


def guide_blocks() -> list[Block]:
    return [Block(kind, path, text) for kind, path, text in BLOCK.findall(GUIDE.read_text())]


def guide_env() -> dict[str, str]:
    """The environment of the guide's commands: this Python's ``python`` and
    ``django-admin`` first on PATH, and no settings module of the test suite's."""
    env = support.subprocess_env(())
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def run_block(block: Block, cwd: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """Run a ``run`` block with bash as written; return its result and the folder it
    ended in (a ``cd`` of the guide carries over to the next blocks)."""
    ended = cwd / ".guide-pwd"
    result = subprocess.run(
        ["bash", "-c", f"set -e\n{block.text}\npwd > {shlex.quote(str(ended))}\n"],
        cwd=cwd,
        env=guide_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{block.text}\n--- stderr ---\n{result.stderr}"
    folder = Path(ended.read_text().strip())
    ended.unlink()
    return result, folder


@dataclass
class FollowedGuide:
    project: Path
    outputs: dict[str, subprocess.CompletedProcess]
    serve: Block
    requests: list[tuple[str, str]]


@pytest.fixture(scope="module")
def followed(tmp_path_factory) -> FollowedGuide:
    """The guide's project, made by its commands and files in a new folder."""
    cwd = tmp_path_factory.mktemp("guide")
    outputs, serve, requests = {}, None, []
    for block in guide_blocks():
        if block.kind == "run":
            outputs[block.text.strip()], cwd = run_block(block, cwd)
        elif block.kind == "file":
            (cwd / block.path).write_text(block.text)
        elif block.kind == "append":
            with (cwd / block.path).open("a") as existing:
                existing.write("\n" + block.text)
        elif block.kind == "serve":
            serve = block
        elif block.kind == "request":
            requests += parse_requests(block.text)
        else:
            assert block.kind == "install", f"unknown kind of block: {block.kind}"
    assert serve is not None and requests
    return FollowedGuide(cwd, outputs, serve, requests)


def parse_requests(text: str) -> list[tuple[str, str]]:
    """``$ curl URL`` lines and the output under each."""
    requests = []
    for chunk in text.split("$ ")[1:]:
        command, _, output = chunk.partition("\n")
        argv = shlex.split(command)
        assert argv[0] == "curl" and len(argv) == 2, command
        requests.append((argv[1], output.strip()))
    return requests


def test_the_guide_has_every_step():
    kinds = [block.kind for block in guide_blocks()]
    for kind in ("install", "run", "append", "file", "serve", "request"):
        assert kind in kinds, f"no {kind} block found: are the markers still there?"


def test_the_install_step_resolves_to_this_package_and_what_the_guide_uses(tmp_path):
    """The guide's pip command, on this source folder, as a dry run: building the
    extension is the packaging tests' part; this checks the command and what it
    installs (the guide's other steps import nothing else)."""
    (block,) = [block for block in guide_blocks() if block.kind == "install"]
    (install,) = [line for line in block.text.splitlines() if "pip install" in line]
    argv = shlex.split(install.replace("path/to/django-bolt", str(support.REPO_ROOT)))
    assert argv[:4] == ["python", "-m", "pip", "install"]
    result = subprocess.run(
        [sys.executable, *argv[1:], "--dry-run", "--no-index", "--no-build-isolation"],
        cwd=tmp_path,
        env=guide_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Would install django-bolt-" in result.stdout


def test_the_guides_project_passes_check_and_its_tests(followed):
    assert "no issues" in followed.outputs["python manage.py check"].stdout
    tests = followed.outputs["python manage.py test"]
    assert "Ran 2 tests" in tests.stderr
    assert tests.stderr.rstrip().endswith("OK")


def test_the_guides_server_answers_as_the_guide_says(followed):
    assert shlex.split(followed.serve.text) == ["python", "manage.py", "runbolt", "--dev"]
    with support.serve_django_dev(followed.project, env=guide_env()) as base:
        for url, output in followed.requests:
            assert url.startswith("http://127.0.0.1:8000/")
            response = httpx.get(base + url.removeprefix("http://127.0.0.1:8000"))
            assert response.status_code == 200, (url, response.text)
            if output:
                assert response.json() == json.loads(output)
        document = httpx.get(f"{base}/docs/openapi.json").json()
        assert list(document["paths"]) == ["/hello/{name}"]
        page = httpx.get(f"{base}/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
