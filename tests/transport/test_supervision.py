"""Supervised server processes (``--processes``, ``--max-requests``, SIGHUP) over real
sockets, with clients on several threads opening a new connection per request: a
process killed with SIGKILL, recycled or replaced on SIGHUP costs no refused or reset
connection, requests on the other processes go on, and WebSockets on a process that
drains are closed with 1012. The app, ``supervised_app.py``, names the process and the
version of the "code" in every answer."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import h3client
import httpx
import pytest
import support
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from django_bolt.server import ServerOptions
from django_bolt.server._worker import request_limit

HERE = Path(__file__).resolve().parent
APP = "supervised_app:app"


@contextmanager
def supervised(*options: str, env: dict[str, str] | None = None):
    with support.serve_asgi(APP, "--processes", "2", *options, app_dirs=[HERE], env=env) as s:
        yield s


def fresh(server, path: str = "/pid", **kwargs) -> dict:
    """One request on a new connection: the kernel picks the process."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        response = client.get(path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()


def serving_pids(server, count: int = 2, timeout: float = 20.0) -> set[int]:
    """The pids answering new connections, once ``count`` of them did."""
    pids: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(pids) < count and time.monotonic() < deadline:
        pids.add(fresh(server)["pid"])
    assert len(pids) == count, pids
    return pids


class Load:
    """Clients on ``threads`` threads, each sending requests on new connections until
    stopped; every outcome is kept: (time, pid and version, or the error)."""

    def __init__(self, server, threads: int = 4) -> None:
        self.server = server
        self.answers: list[tuple[float, int, str]] = []
        self.errors: list[tuple[float, Exception]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                answer = fresh(self.server)
            except (httpx.HTTPError, AssertionError) as exc:
                self.errors.append((time.monotonic(), exc))
            else:
                self.answers.append((time.monotonic(), answer["pid"], answer["version"]))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def pids_since(self, moment: float) -> set[int]:
        return {pid for when, pid, _ in list(self.answers) if when > moment}


def kept_alive_on(server, pid: int, timeout: float = 20.0) -> httpx.Client:
    """A client whose kept-alive connection is served by process ``pid``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client = httpx.Client(base_url=server.base_url, timeout=10)
        if client.get("/pid").json()["pid"] == pid:
            return client
        client.close()
    raise AssertionError(f"no connection reached {pid}")


def test_a_killed_process_is_replaced_and_no_new_connection_fails():
    with supervised() as server:
        victim, survivor = sorted(serving_pids(server))
        on_survivor = kept_alive_on(server, survivor)
        in_flight = {}

        def slow_on_survivor():
            in_flight["answer"] = on_survivor.get("/slow", params={"seconds": 2}).json()

        slow = threading.Thread(target=slow_on_survivor)
        with Load(server) as load:
            time.sleep(0.5)
            slow.start()
            time.sleep(0.2)
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            assert support.wait_for(
                lambda: load.pids_since(killed_at) - {victim, survivor}, timeout=20
            ), server.stderr()
            time.sleep(0.5)
        slow.join(10)
        on_survivor.close()
        # The request in flight on the other process finished undisturbed.
        assert in_flight["answer"]["pid"] == survivor
        # No connection refused; at most the requests the killed process had taken
        # (one per client thread) were cut, and none after it was gone.
        assert not [e for _, e in load.errors if isinstance(e, httpx.ConnectError)]
        assert len(load.errors) <= 4, load.errors
        assert all(when < killed_at + 0.2 for when, _ in load.errors), load.errors
        assert len(load.answers) > 10
        stderr = server.stderr()
    assert f"server process {victim} killed by SIGKILL" in stderr
    assert re.search(r"restarting it in [\d.]+ s", stderr)


def test_max_requests_recycles_the_processes_without_a_failed_request():
    with supervised("--max-requests", "40", "--max-requests-jitter", "10") as server:
        first = serving_pids(server)
        with Load(server, threads=3) as load:
            assert support.wait_for(
                lambda: len({pid for _, pid, _ in list(load.answers)} - first) >= 3, timeout=30
            ), server.stderr()
        assert load.errors == []
        stderr = server.stderr()
    retired = re.findall(r"served (\d+) requests \(--max-requests (\d+)\)", stderr)
    assert retired, stderr
    for served, limit in retired:
        assert 40 <= int(limit) <= 50
        assert int(served) >= int(limit)
    assert "replaced: draining it" in stderr


def test_each_process_draws_its_own_request_limit():
    options = ServerOptions(max_requests=1000, max_requests_jitter=500)
    limits = {request_limit(options) for _ in range(50)}
    assert all(1000 <= limit <= 1500 for limit in limits)
    assert len(limits) > 1
    assert request_limit(ServerOptions()) == 0


def test_sighup_replaces_the_processes_one_at_a_time_with_the_new_code(tmp_path):
    version = tmp_path / "version"
    version.write_text("1")
    with supervised(env={"SUPERVISED_VERSION_FILE": str(version)}) as server:
        old = serving_pids(server)
        kept = kept_alive_on(server, min(old))
        in_flight = {}
        slow = threading.Thread(
            target=lambda: in_flight.update(kept.get("/slow", params={"seconds": 3}).json())
        )
        with Load(server) as load:
            time.sleep(0.5)
            slow.start()
            time.sleep(0.2)
            version.write_text("2")
            hup_at = time.monotonic()
            server.send_signal(signal.SIGHUP)
            server.signalled = False  # SIGHUP does not stop it: SIGTERM at the end

            def only_new_code():
                recent = [a for a in list(load.answers) if a[0] > time.monotonic() - 0.5]
                return len(recent) > 10 and all(v == "2" for _, _, v in recent)

            assert support.wait_for(only_new_code, timeout=30), server.stderr()
        new = {pid for when, pid, v in load.answers if when > hup_at and v == "2"}
        assert not new & old and len(new) == 2
        assert load.errors == []
        # The request in flight on an old process was finished by it while it drained.
        slow.join(10)
        kept.close()
        assert in_flight == {"pid": min(old), "version": "1"}
        stderr = server.stderr()
    # Each old process drained once its replacement accepted, and only then was the
    # next replacement started.
    events = re.findall(
        r"started server process \d+ to replace (\d+)|server process (\d+) replaced", stderr
    )
    order = [("start", int(a)) if a else ("drain", int(b)) for a, b in events]
    first, second = (pid for kind, pid in order if kind == "start")
    assert order == [("start", first), ("drain", first), ("start", second), ("drain", second)]
    assert {first, second} == old


def test_websockets_on_a_draining_process_are_closed_with_1012():
    with supervised() as server:
        url = f"ws://{support.HOST}:{server.port}/ws"
        with connect(url) as ws:
            ws.send("hello")
            pid = int(ws.recv(timeout=10).split(":")[0])
            server.send_signal(signal.SIGHUP)  # every process is replaced
            server.signalled = False
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=20)
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1012, "service restart")
        # The client reconnects, to a process that is not draining.
        with connect(url) as ws:
            ws.send("again")
            assert int(ws.recv(timeout=10).split(":")[0]) != pid


def test_processes_failing_at_start_are_retried_with_pauses_then_given_up(tmp_path):
    fail = tmp_path / "fail"
    fail.touch()
    port = str(support.free_port())
    started = time.monotonic()
    result = support.run_cli(
        ["serve", APP, "--port", port, "--processes", "2"],
        app_dirs=[HERE],
        timeout=60,
        env={"SUPERVISED_FAIL_FILE": str(fail)},
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().endswith(
        "django-bolt: error: server processes keep failing at start (5 in a row, the last "
        "exited with code 1); stopping"
    ), result.stderr
    starts = result.stderr.count("started server process")
    assert 5 <= starts <= 6, result.stderr
    pauses = [float(p) for p in re.findall(r"restarting it in ([\d.]+) s", result.stderr)]
    assert pauses[:4] == [0.1, 0.2, 0.4, 0.8], result.stderr
    assert elapsed > 1.5


def test_a_reload_whose_new_processes_fail_at_start_keeps_the_old_ones(tmp_path):
    fail = tmp_path / "fail"
    with supervised(env={"SUPERVISED_FAIL_FILE": str(fail)}) as server:
        old = serving_pids(server)
        fail.touch()
        server.send_signal(signal.SIGHUP)
        server.signalled = False
        assert support.wait_for(lambda: "keep failing at start" in server.stderr(), timeout=30), (
            server.stderr()
        )
        assert serving_pids(server) == old
        assert server.process.poll() is None


def test_max_rss_replaces_a_process_that_passes_it():
    with supervised("--max-rss", "1") as server:  # every process is over 1 MiB
        first = serving_pids(server)
        with Load(server, threads=2) as load:
            assert support.wait_for(
                lambda: {pid for _, pid, _ in list(load.answers)} - first, timeout=30
            ), server.stderr()
        assert load.errors == []
        assert re.search(r"uses \d+ MiB \(--max-rss 1\): starting its replacement", server.stderr())


def test_http3_is_served_by_every_process_and_after_a_restart(certs):
    options = ("--cert", str(certs.cert), "--key", str(certs.key), "--http3")
    with supervised(*options) as server:

        def h3_pid() -> int:
            [response] = h3client.run(server.port, certs.ca, [("GET", "/pid", b"")])
            assert response.status == 200
            return json.loads(response.body)["pid"]

        pids: set[int] = set()
        deadline = time.monotonic() + 20
        while len(pids) < 2 and time.monotonic() < deadline:
            pids.add(h3_pid())
        assert len(pids) == 2
        victim = min(pids)
        os.kill(victim, signal.SIGKILL)
        after = {h3_pid() for _ in range(12)}
        assert victim not in after
        assert support.wait_for(lambda: h3_pid() not in pids, timeout=20)


def test_a_new_process_that_does_not_accept_in_time_is_killed(tmp_path):
    hang = tmp_path / "hang"
    env = {"SUPERVISED_HANG_FILE": str(hang)}
    with supervised("--start-timeout", "2", env=env) as server:
        old = serving_pids(server)
        hang.touch()
        server.send_signal(signal.SIGHUP)
        server.signalled = False
        assert support.wait_for(
            lambda: "did not accept within 2.0 s: killing it" in server.stderr(), timeout=20
        ), server.stderr()
        assert support.wait_for(lambda: "SIGKILL at start" in server.stderr(), timeout=5)
        assert serving_pids(server) == old  # the old processes serve meanwhile


def _running(pid: int) -> bool:
    """``pid`` is alive and not a zombie (whoever inherited it may not reap it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_server_processes_stop_when_their_supervisor_is_killed():
    with supervised() as server:
        pids = serving_pids(server)
        server.process.kill()
        server.process.wait(10)
        assert support.wait_for(lambda: not any(map(_running, pids)), timeout=10), pids
        assert "supervisor gone: stopping" in server.stderr()
