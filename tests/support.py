"""Shared helpers for tests that run the real django-bolt server as a subprocess.

Import as ``import support`` (``tests/conftest.py`` puts this directory on ``sys.path``).

- :func:`serve_asgi` runs ``python -m django_bolt.cli serve MODULE:ATTR`` and
  :func:`serve_django` runs ``manage.py runbolt`` in a project directory; both are
  context managers that wait for the port, yield a :class:`ServerProcess`, and on exit
  send SIGTERM and assert the process exits 0 within 10 s; :func:`serve_django_dev`
  runs ``runbolt --dev`` (its reloader's process group).
- :func:`prepare_example_project` copies ``example/`` somewhere else and migrates it,
  so tests never touch the real ``example/db.sqlite3``.
- :func:`raw_exchange`, :class:`Http1Reader`, :class:`H2Connection` (the ``h2`` library)
  and :class:`FrameLevelH2` (hand-made frames) talk to the server over raw sockets;
  :class:`H2WebSocket` is a WebSocket over HTTP/2 extended CONNECT.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import h2.config
import h2.connection
import h2.errors
import h2.events
import httpx

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
EXAMPLE_DIR = REPO_ROOT / "example"
CONFORMANCE_APPS_DIR = TESTS_DIR / "asgi_conformance"
# The Django project of tests/bolt: every Bolt feature's routes, on SQLite.
BOLT_PROJECT_DIR = TESTS_DIR / "bolt" / "project"

HOST = "127.0.0.1"
PROTOCOLS = ["http1", "http2"]
# With HTTP/3, which needs a server run with --cert/--key/--http3.
ALL_PROTOCOLS = [*PROTOCOLS, "http3"]
# The superuser the shared ``example_project`` fixture creates.
EXAMPLE_SUPERUSER = ("admin", "conformance-password-1")
STARTUP_TIMEOUT = 20.0
SHUTDOWN_TIMEOUT = 10.0


def rss_kib(server: ServerProcess) -> int:
    """The resident memory of ``server``'s process, in KiB."""
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def subprocess_env(extra_paths: Sequence[Path] = (), **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(p) for p in extra_paths]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class ServerProcess:
    """A running server: ``process`` (Popen), ``base_url`` and ``port``."""

    process: subprocess.Popen
    base_url: str
    port: int
    host: str = HOST
    signalled: bool = False
    # The CA that signed the server's certificate, for servers run with --cert.
    ca: Path | None = None
    _stdout: object = field(default=None, repr=False)
    _stderr: object = field(default=None, repr=False)

    def __iter__(self):
        # ``process, base_url = server`` also works.
        return iter((self.process, self.base_url))

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """httpx's ``verify=`` for this server: trusting ``ca`` when it has one."""
        return ssl.create_default_context(cafile=str(self.ca)) if self.ca else True

    def _read(self, stream) -> str:
        if isinstance(stream, str):  # the files are closed: what they held
            return stream
        # pread, not seek+read: the server shares this file's offset, and moving it
        # would make the server's next write land in the middle of the file.
        fd = stream.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")

    def stdout(self) -> str:
        return self._read(self._stdout)

    def stderr(self) -> str:
        """Everything the server wrote to stderr so far (also after it stopped)."""
        return self._read(self._stderr)

    def send_signal(self, signum: int = signal.SIGTERM) -> None:
        self.signalled = True
        self.process.send_signal(signum)

    def terminate(self, timeout: float = SHUTDOWN_TIMEOUT) -> int:
        """SIGTERM (unless the test already signalled it: a second SIGTERM during the
        shutdown would kill it), then the exit code; kills it and fails if it does not
        stop in time."""
        if self.process.poll() is None and not self.signalled:
            self.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"the server did not exit within {timeout} s of SIGTERM\n"
                f"--- stderr ---\n{self.stderr()}"
            ) from None

    def assert_stops_cleanly(self, timeout: float = SHUTDOWN_TIMEOUT) -> None:
        code = self.terminate(timeout)
        assert code == 0, (
            f"the server exited with {code} after SIGTERM (expected 0)\n"
            f"--- stderr ---\n{self.stderr()}"
        )

    def close_files(self) -> None:
        """Close the output files, keeping their text for stdout()/stderr()."""
        if not isinstance(self._stdout, str):
            out, err = self.stdout(), self.stderr()
            self._stdout.close()
            self._stderr.close()
            self._stdout, self._stderr = out, err


def start_server(
    argv: Sequence[str],
    *,
    port: int,
    cwd: Path,
    env: dict[str, str],
    timeout: float = STARTUP_TIMEOUT,
) -> ServerProcess:
    """Start ``argv`` and wait until ``port`` accepts connections.

    Raises AssertionError with the process's stderr if it exits first or never listens.
    """
    stdout = tempfile.TemporaryFile()
    stderr = tempfile.TemporaryFile()
    process = subprocess.Popen(
        list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
    )
    server = ServerProcess(
        process, f"http://{HOST}:{port}", port, HOST, _stdout=stdout, _stderr=stderr
    )
    deadline = time.monotonic() + timeout
    while True:
        code = process.poll()
        if code is not None:
            message = (
                f"the server exited with {code} before listening on {port}\n"
                f"command: {' '.join(argv)}\n--- stderr ---\n{server.stderr()}"
            )
            server.close_files()
            raise AssertionError(message)
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            message = (
                f"the server did not listen on {port} within {timeout} s\n"
                f"--- stderr ---\n{server.stderr()}"
            )
            server.close_files()
            raise AssertionError(message)
        time.sleep(0.05)


@contextlib.contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    """Yield ``server``; afterwards SIGTERM it and assert it exits 0 (unless already
    stopped by the test)."""
    try:
        yield server
    finally:
        try:
            if server.process.returncode is None:
                server.assert_stops_cleanly()
        finally:
            server.close_files()


def asgi_command(target: str, *options: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "django_bolt.cli",
        "serve",
        target,
        "--host",
        HOST,
        "--port",
        str(port),
        *options,
    ]


@contextlib.contextmanager
def serve_asgi(
    target: str,
    *options: str,
    app_dirs: Sequence[Path] = (CONFORMANCE_APPS_DIR,),
    env: dict[str, str] | None = None,
) -> Iterator[ServerProcess]:
    """``django-bolt serve target`` with ``app_dirs`` importable; see :func:`running`."""
    port = free_port()
    server = start_server(
        asgi_command(target, *options, port=port),
        port=port,
        cwd=REPO_ROOT,
        env=subprocess_env(app_dirs, **(env or {})),
    )
    with running(server):
        yield server


def run_cli(
    argv: Sequence[str],
    *,
    app_dirs: Sequence[Path] = (CONFORMANCE_APPS_DIR,),
    timeout: float = 20.0,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run ``python -m django_bolt.cli ARGV`` to completion (for startup failures)."""
    return subprocess.run(
        [sys.executable, "-m", "django_bolt.cli", *argv],
        cwd=REPO_ROOT,
        env=subprocess_env(app_dirs, **(env or {})),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def make_client(base_url: str, protocol: str, **kwargs) -> httpx.Client:
    """An httpx client speaking only ``protocol``: "http1", or "http2" with prior
    knowledge (h2c) on an ``http://`` URL."""
    return httpx.Client(
        base_url=base_url,
        http1=protocol == "http1",
        http2=protocol == "http2",
        timeout=kwargs.pop("timeout", 10.0),
        **kwargs,
    )


#: What a test runs through: the in-process ``TestClient`` and each protocol of a socket.
CLIENTS = ["testclient", *PROTOCOLS]


def open_client(request, api) -> httpx.Client:
    """The client of a fixture parametrized over :data:`CLIENTS`: ``api``'s TestClient
    (a handler's exception answered as the 500 a server gives), or an httpx client of the
    module's ``server`` fixture speaking that protocol."""
    if request.param == "testclient":
        from django_bolt.testing import TestClient

        return TestClient(api, raise_server_exceptions=False)
    return make_client(request.getfixturevalue("server").base_url, request.param)


# ---- the Django example project -------------------------------------------------------


def prepare_example_project(dest: Path, *, superuser: tuple[str, str] | None = None) -> Path:
    """Copy ``example/`` to ``dest`` (without its database) and migrate the copy.

    The settings put the SQLite file next to ``manage.py``, so the copy gets its own.
    """
    shutil.copytree(
        EXAMPLE_DIR,
        dest,
        ignore=shutil.ignore_patterns("db.sqlite3*", "__pycache__", ".bolt"),
    )
    manage(dest, "migrate", "--noinput")
    if superuser:
        username, password = superuser
        manage(
            dest,
            "createsuperuser",
            "--noinput",
            "--username",
            username,
            "--email",
            f"{username}@example.com",
            env={"DJANGO_SUPERUSER_PASSWORD": password},
        )
    return dest


def manage(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=project,
        env=subprocess_env((), **(env or {})),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def migrated_database(directory: Path, *commands: str) -> Path:
    """A new SQLite file for ``BOLT_PROJECT_DIR``, migrated, then set up by more
    ``manage.py`` commands; a server or Django in this process uses it through the
    ``BOLT_TEST_DATABASE`` environment variable."""
    path = directory / "db.sqlite3"
    for command in ("migrate", *commands):
        manage(BOLT_PROJECT_DIR, command, "-v", "0", env={"BOLT_TEST_DATABASE": str(path)})
    return path


@contextlib.contextmanager
def serve_django(project: Path, *options: str) -> Iterator[ServerProcess]:
    """``manage.py runbolt`` in ``project``; see :func:`running`."""
    port = free_port()
    server = start_server(
        [sys.executable, "manage.py", "runbolt", "--host", HOST, "--port", str(port), *options],
        port=port,
        cwd=project,
        env=subprocess_env(()),
    )
    with running(server):
        yield server


@contextlib.contextmanager
def serve_django_dev(
    project: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``manage.py runbolt --dev`` in ``project``, yielding its base URL once it answers.

    Django's reloader runs the server in a child process, so the whole process group is
    stopped afterwards. ``env``: the whole environment (default: this one's)."""
    port = free_port()
    argv = [sys.executable, "manage.py", "runbolt", "--dev", "--host", HOST, "--port", str(port)]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [*argv, *options],
            cwd=project,
            env=env if env is not None else subprocess_env(()),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:
                try:
                    with socket.create_connection((HOST, port), timeout=0.5):
                        break
                except OSError:
                    stderr.seek(0)
                    assert process.poll() is None, stderr.read().decode(errors="replace")
                    assert time.monotonic() < deadline, "runbolt --dev did not listen"
                    time.sleep(0.05)
            yield f"http://{HOST}:{port}"
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# ---- raw sockets -----------------------------------------------------------------------


def connect(address: tuple[str, int], timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(address, timeout=timeout)


def read_until_closed(sock: socket.socket, limit: int = 1 << 20) -> bytes:
    """Everything the peer sends until it closes (or resets) the connection."""
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def raw_exchange(address: tuple[str, int], payload: bytes, timeout: float = 5.0) -> bytes:
    """Send ``payload`` on a new connection; return all bytes until the server closes."""
    with connect(address, timeout) as sock:
        sock.sendall(payload)
        return read_until_closed(sock)


class Http1Reader:
    """Reads HTTP/1.1 responses (Content-Length bodies) one after another from one
    connection, keeping bytes that belong to the next response (pipelining)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self, what: str) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed {what}: {self.buffer[:200]!r}")
        self.buffer += chunk

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill("mid-head")
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill("mid-body")
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body


def websocket_handshake(path: str, host: str = "127.0.0.1") -> bytes:
    """A WebSocket opening handshake over HTTP/1.1, as raw bytes to send."""
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    ).encode()


def read_http1_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body (the only one in flight)."""
    return Http1Reader(sock).response()


class H2Connection:
    """A minimal HTTP/2 prior-knowledge client over a raw socket, built on ``h2``."""

    def __init__(
        self, address: tuple[str, int], timeout: float = 5.0, tls: ssl.SSLContext | None = None
    ) -> None:
        """Prior knowledge over TCP, or with ``tls`` HTTP/2 negotiated by ALPN."""
        self.sock = connect(address, timeout)
        self.scheme = "http"
        if tls is not None:
            tls.set_alpn_protocols(["h2"])
            self.sock = tls.wrap_socket(self.sock, server_hostname=address[0])
            assert self.sock.selected_alpn_protocol() == "h2"
            self.scheme = "https"
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        self.conn.initiate_connection()
        self.flush()
        self.authority = f"{address[0]}:{address[1]}"
        self.events: list[h2.events.Event] = []
        self.closed = False

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def start_request(
        self, method: str, path: str, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
    ) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        self.conn.send_headers(
            stream_id,
            [
                (":method", method),
                (":scheme", self.scheme),
                (":authority", self.authority),
                (":path", path),
                *headers,
            ],
            end_stream=not body,
        )
        if body:
            self.conn.send_data(stream_id, body, end_stream=True)
        self.flush()
        return stream_id

    def reset(self, stream_id: int) -> None:
        self.conn.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
        self.flush()

    def pump(self) -> list[h2.events.Event]:
        """Read once from the socket; the events it produced (empty when closed)."""
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed = True
            return []
        events = self.conn.receive_data(data)
        for event in events:
            if isinstance(event, h2.events.DataReceived):
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        self.flush()
        self.events.extend(events)
        return events

    def response(self, stream_id: int) -> tuple[int, list[tuple[str, str]], bytes]:
        """Wait for the whole response on ``stream_id``: (status, headers, body)."""
        status = None
        headers: list[tuple[str, str]] = []
        body = b""
        done = False
        seen = 0
        while not done:
            while seen >= len(self.events):
                if self.closed:
                    raise ConnectionError(f"connection closed before stream {stream_id} ended")
                self.pump()
            event = self.events[seen]
            seen += 1
            if getattr(event, "stream_id", None) != stream_id:
                continue
            if isinstance(event, h2.events.ResponseReceived):
                for name, value in event.headers:
                    if name == ":status":
                        status = int(value)
                    else:
                        headers.append((name, value))
            elif isinstance(event, h2.events.DataReceived):
                body += event.data
            elif isinstance(event, h2.events.StreamReset):
                raise ConnectionError(f"stream {stream_id} reset: {event.error_code!r}")
            if isinstance(event, h2.events.StreamEnded):
                done = True
        return status, headers, body

    def request(self, method: str, path: str, **kwargs):
        return self.response(self.start_request(method, path, **kwargs))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> H2Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll ``predicate`` until it returns something truthy; that value, or the last
    falsy one after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class FrameLevelH2:
    """HTTP/2 at the frame level, for what the ``h2`` state machine refuses.

    ``h2`` treats the first GOAWAY as the end of the connection and then raises on the
    PING a server sends with a graceful-shutdown GOAWAY (python-hyper/h2 issue #1199),
    although RFC 9113 lets the streams below the GOAWAY's last stream id finish. This
    client answers PINGs and SETTINGS and reads one response while ignoring GOAWAY.
    """

    def __init__(self, address: tuple[str, int], timeout: float = 10.0) -> None:
        import hpack

        self.sock = connect(address, timeout)
        self.authority = f"{address[0]}:{address[1]}"
        self.decoder = hpack.Decoder()
        self.encoder = hpack.Encoder()
        self.buffer = b""
        self.goaways: list[tuple[int, int]] = []  # (last stream id, error code)
        self.sock.sendall(
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + self._frame(0x4, 0, 0, b"")  # SETTINGS
        )

    @staticmethod
    def _frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
        return (
            len(payload).to_bytes(3, "big")
            + bytes([kind, flags])
            + stream.to_bytes(4, "big")
            + payload
        )

    def send_request(self, method: str, path: str, stream_id: int = 1) -> int:
        block = self.encoder.encode(
            [
                (":method", method),
                (":scheme", "http"),
                (":authority", self.authority),
                (":path", path),
            ]
        )
        self.sock.sendall(self._frame(0x1, 0x4 | 0x1, stream_id, block))  # END_HEADERS|END_STREAM
        return stream_id

    def _next_frame(self) -> tuple[int, int, int, bytes] | None:
        while True:
            if len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) >= 9 + length:
                    frame = self.buffer[: 9 + length]
                    self.buffer = self.buffer[9 + length :]
                    stream = int.from_bytes(frame[5:9], "big") & 0x7FFFFFFF
                    return frame[3], frame[4], stream, frame[9:]
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                return None
            self.buffer += data

    def read_response(self, stream_id: int) -> tuple[int | None, list, bytes]:
        """(status, headers, body) of ``stream_id``; raises ConnectionError if the
        connection closes or the stream is reset first."""
        status, headers, body = None, [], b""
        while True:
            frame = self._next_frame()
            if frame is None:
                raise ConnectionError(f"connection closed; GOAWAYs: {self.goaways}")
            kind, flags, stream, payload = frame
            if kind == 0x4 and not flags & 0x1:  # SETTINGS: acknowledge
                self.sock.sendall(self._frame(0x4, 0x1, 0, b""))
            elif kind == 0x6 and not flags & 0x1:  # PING: answer
                self.sock.sendall(self._frame(0x6, 0x1, 0, payload))
            elif kind == 0x7:  # GOAWAY
                self.goaways.append(
                    (
                        int.from_bytes(payload[:4], "big") & 0x7FFFFFFF,
                        int.from_bytes(payload[4:8], "big"),
                    )
                )
            elif stream == stream_id and kind == 0x3:  # RST_STREAM
                raise ConnectionError(f"stream reset: {int.from_bytes(payload, 'big')}")
            elif stream == stream_id and kind == 0x1:  # HEADERS (no padding/priority)
                for name, value in self.decoder.decode(payload):
                    if name == ":status":
                        status = int(value)
                    else:
                        headers.append((name, value))
                if flags & 0x1:
                    return status, headers, body
            elif stream == stream_id and kind == 0x0:  # DATA
                body += payload
                if payload and not flags & 0x1:  # give the window back; long bodies go on
                    increment = len(payload).to_bytes(4, "big")
                    self.sock.sendall(
                        self._frame(0x8, 0, 0, increment) + self._frame(0x8, 0, stream, increment)
                    )
                if flags & 0x1:
                    return status, headers, body

    def read_streams(self, until=None, streams: dict | None = None) -> dict[int, dict]:
        """Read frames, answering SETTINGS and PING and noting GOAWAYs, into ``streams``
        {stream id: {"status", "headers", "body", "ended", "reset"}} until
        ``until(streams)`` is true or the connection closes; returns ``streams``."""
        streams = {} if streams is None else streams
        while not (until and until(streams)):
            frame = self._next_frame()
            if frame is None:
                return streams
            kind, flags, stream, payload = frame
            if kind == 0x4 and not flags & 0x1:
                self.sock.sendall(self._frame(0x4, 0x1, 0, b""))
            elif kind == 0x6 and not flags & 0x1:
                self.sock.sendall(self._frame(0x6, 0x1, 0, payload))
            elif kind == 0x7:
                self.goaways.append(
                    (
                        int.from_bytes(payload[:4], "big") & 0x7FFFFFFF,
                        int.from_bytes(payload[4:8], "big"),
                    )
                )
            elif stream and kind in (0x0, 0x1, 0x3):
                entry = streams.setdefault(
                    stream,
                    {"status": None, "headers": [], "body": b"", "ended": False, "reset": None},
                )
                if kind == 0x3:
                    entry["reset"] = int.from_bytes(payload, "big")
                elif kind == 0x1:
                    for name, value in self.decoder.decode(payload):
                        if name == ":status":
                            entry["status"] = int(value)
                        else:
                            entry["headers"].append((name, value))
                else:
                    entry["body"] += payload
                    if payload and not flags & 0x1:
                        increment = len(payload).to_bytes(4, "big")
                        self.sock.sendall(
                            self._frame(0x8, 0, 0, increment)
                            + self._frame(0x8, 0, stream, increment)
                        )
                entry["ended"] = entry["ended"] or bool(kind != 0x3 and flags & 0x1)
        return streams

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


# ---- WebSockets over HTTP/2 ------------------------------------------------------------


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked, unfragmented client frame (payload < 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def server_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each unmasked server frame in ``data``."""
    frames = []
    while data:
        opcode, length = data[0] & 0x0F, data[1] & 0x7F
        start = 2
        if length == 126:
            length, start = int.from_bytes(data[2:4], "big"), 4
        frames.append((opcode, data[start : start + length]))
        data = data[start + length :]
    return frames


class H2WebSocket:
    """One WebSocket over HTTP/2 extended CONNECT (RFC 8441), frames made by hand."""

    def __init__(self, server, path: str, subprotocols: str | None = None) -> None:
        self.sock = connect(server.address)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        self.settings = self.wait_for(h2.events.RemoteSettingsChanged)
        self.stream_id = self.conn.get_next_available_stream_id()
        headers = [
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "http"),
            (":path", path),
            (":authority", f"127.0.0.1:{server.port}"),
            ("sec-websocket-version", "13"),
        ]
        if subprotocols:
            headers.append(("sec-websocket-protocol", subprotocols))
        self.conn.send_headers(self.stream_id, headers)
        self.sock.sendall(self.conn.data_to_send())
        self.response = self.wait_for(h2.events.ResponseReceived)
        self.buffer = b""

    def wait_for(self, kind):
        while True:
            for event in self.conn.receive_data(self.sock.recv(65536)):
                if isinstance(event, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(
                        event.flow_controlled_length, event.stream_id
                    )
                    self.buffer += event.data
                if isinstance(event, kind):
                    self.sock.sendall(self.conn.data_to_send())
                    return event
            self.sock.sendall(self.conn.data_to_send())

    def send(self, opcode: int, payload: bytes) -> None:
        self.conn.send_data(self.stream_id, client_frame(opcode, payload))
        self.sock.sendall(self.conn.data_to_send())

    def receive(self) -> tuple[int, bytes]:
        while not self.buffer:
            self.wait_for(h2.events.DataReceived)
        [frame] = server_frames(self.buffer)
        self.buffer = b""
        return frame

    def close(self) -> None:
        self.sock.close()
