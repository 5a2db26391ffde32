"""What the tests of the shared-state project (``groups_project``) share: starting its
``runbolt`` processes (standing in for machines) and talking to its routes."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import support
from websockets.sync.client import ClientConnection, connect

PROJECT = Path(__file__).resolve().parent / "groups_project"


@contextlib.contextmanager
def serve(*options: str, **env: str) -> Iterator[support.ServerProcess]:
    """``manage.py runbolt`` of the project with ``env`` (``BOLT_TEST_REDIS``, ...)."""
    port = support.free_port()
    argv = [sys.executable, "manage.py", "runbolt", "--host", support.HOST, "--port", str(port)]
    server = support.start_server(
        [*argv, *options], port=port, cwd=PROJECT, env=support.subprocess_env((), **env)
    )
    with support.running(server):
        yield server


@contextlib.contextmanager
def member(server: support.ServerProcess, *groups: str, **options) -> Iterator[ClientConnection]:
    """A WebSocket of ``/ws/member`` on ``server`` that joined ``groups``."""
    with connect(f"ws://{support.HOST}:{server.port}/ws/member", **options) as ws:
        for group in groups:
            command(ws, f"join {group}")
        yield ws


def command(ws: ClientConnection, text: str) -> str:
    """Send a member command and return its acknowledgement (the groups it is in)."""
    ws.send(text)
    answer = ws.recv(timeout=10)
    assert answer.startswith(f"ok {text} "), answer
    return answer


def broadcast(server: support.ServerProcess, group: str, message, binary: bool = False) -> None:
    response = httpx.post(
        f"{server.base_url}/broadcast/{group}",
        json={"message": message, "binary": binary},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def next_message(ws: ClientConnection, timeout: float = 10):
    return ws.recv(timeout=timeout)


def next_json(ws: ClientConnection, timeout: float = 10):
    return json.loads(next_message(ws, timeout))


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
