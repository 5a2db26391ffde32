"""Serving from one process or several.

With ``--processes 1`` and no recycling limit, this process serves. Otherwise it
supervises: it binds the listening socket, starts the server processes, restarts one
that dies (at once; with a doubling pause while processes die at start, and giving up
after :data:`MAX_START_FAILURES` in a row), replaces one that reaches
``--max-requests`` or ``--max-rss`` (the replacement first), and on SIGHUP replaces
them all, one at a time.

Why the sockets are bound here, one per process place: a listening socket's accept
queue belongs to the socket, and the kernel drops what is queued there when its last
descriptor closes. When each server process bound its own socket, connections waiting
on the socket of a process that died were reset with it, and clients sent there while
its replacement started were refused. The supervisor binds one SO_REUSEPORT socket per
place (``--processes``) before starting anything and keeps them all open: the kernel
spreads new connections over them as before (one socket shared by every process would
leave the spread to whichever process wakes first), and a connection queued on the
socket of a process that dies waits there until its replacement, handed the same
socket, accepts it (up to ``--backlog``). A replacement for recycling or SIGHUP shares
the socket with the process it replaces until that one stops accepting, so nothing
queued is lost either. TLS is negotiated after accept, so it changes nothing here.
HTTP/3 needs the same thought for a different reason: a QUIC connection lives in one
process, and SO_REUSEPORT keeps a client's datagrams on one socket only while the group
of sockets does not change. Bound once per place and handed on, the group never
changes, so restarting one process leaves the QUIC connections of the others alone
(those of the process that stopped end with it; clients reconnect).

Why the same command again rather than ``fork()``: a process forked from this one
would run the code this one imported at start, and SIGHUP is meant to load new code.
Each server process is started by running this process's own command line
(``sys.orig_argv``), with the socket and a pipe back to this process handed over
(``_worker``); it sets Django up and imports the project afresh.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .. import _core
from ._errors import StartupError
from ._options import ServerOptions
from ._run import run_process
from ._worker import DRAIN_SIGNAL, HANDOFF_ENV, Supervised, handoff

logger = logging.getLogger("django_bolt")

#: Processes in a row that stop at start (before accepting, or within
#: :data:`MIN_UPTIME` of it) before the supervisor gives up.
MAX_START_FAILURES = 5
#: Pause before restarting a process that failed at start, doubled for each failure in
#: a row, up to :data:`MAX_PAUSE`; a process that served a while is restarted at once.
FIRST_PAUSE = 0.1
MAX_PAUSE = 5.0
#: Seconds a process must have accepted for before it stops, not to count as failed.
MIN_UPTIME = 1.0


def serve(routes: Any, asgi_app: Any, options: ServerOptions) -> None:
    """Serve until SIGINT/SIGTERM: in this process, or from ``options.processes``
    supervised processes (this process then supervises them); in a process started by
    a supervisor, from the sockets it was handed."""
    if options.gc_threshold < 0:
        raise StartupError("--gc-threshold must be 0 or more")
    if not options.slow_callback_warning >= 0:
        raise StartupError("--slow-callback-warning must be 0 or more")
    link = Supervised.take()
    if link is not None:  # started by a supervisor: serve from its socket
        run_process(routes, asgi_app, options, link)
        return
    if options.processes <= 1 and not (options.max_requests or options.max_rss):
        run_process(routes, asgi_app, options)
        return
    if threading.current_thread() is not threading.main_thread():
        raise StartupError(
            "--processes, --max-requests and --max-rss need a supervisor, which --dev's "
            "reloader leaves no room for: leave them out under --dev"
        )
    Supervisor(options).run()


def check_port_free(options: ServerOptions) -> None:
    """StartupError in one line when the TCP port of ``options`` cannot be bound, for a
    parent process to find out before it starts the processes that serve."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    address = f"[{options.host}]" if family == socket.AF_INET6 else options.host
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((options.host, options.port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:  # as the server itself says it
                raise StartupError(f"{address}:{options.port} is already in use") from None
            raise StartupError(
                f"cannot listen on {address}:{options.port}: {exc.strerror}"
            ) from None


@dataclass(eq=False)
class _Process:
    """One server process: its place (whose sockets it serves from), its pipe, and
    where it stands."""

    popen: subprocess.Popen
    slot: int
    control: int
    #: The process this one is started to replace, until this one accepts.
    replaces: _Process | None = None
    started: float = field(default_factory=time.monotonic)
    ready_at: float | None = None
    #: Killed for not accepting within ``--start-timeout``.
    overdue: bool = False
    #: Sent the drain signal: its end is expected.
    draining: bool = False
    unread: bytes = b""

    @property
    def pid(self) -> int:
        return self.popen.pid


@dataclass(eq=False)
class _Start:
    """A process to start at ``due`` in place ``slot``, to replace ``replaces`` or to
    fill the place."""

    due: float
    slot: int
    replaces: _Process | None = None


class Supervisor:
    """The parent of the server processes (see the module's doc); :meth:`run` returns
    once they all stopped, or raises StartupError when it gave up on them."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.command = [sys.executable, *sys.orig_argv[1:]]
        #: Per place: the listening socket and HTTP/3's UDP socket.
        self.sockets = _bind(options)
        self.processes: list[_Process] = []
        self.starts: list[_Start] = []
        #: SIGHUP: processes still to replace, one at a time.
        self.rolling: list[_Process] = []
        self.failures = 0
        self.stopping = False
        self.stop_failed = False
        self.gave_up = ""
        self.selector = selectors.DefaultSelector()

    def run(self) -> None:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        # Signals are read from this pipe, in this loop: the handlers do nothing.
        signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
        for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda *_: None)
        self.selector.register(wake_read, selectors.EVENT_READ)
        try:
            for slot in range(self.options.processes):
                self._start(slot)
            while self.processes or (self.starts and not self.stopping):
                self._step(wake_read)
        finally:
            signal.set_wakeup_fd(-1)
            for tcp, udp in self.sockets:
                os.close(tcp)
                if udp is not None:
                    os.close(udp)
        if self.gave_up:
            raise StartupError(self.gave_up)
        if self.stop_failed:
            raise StartupError("a server process exited with an error")

    def _step(self, wake_read: int) -> None:
        deadlines = [start.due for start in self.starts] + [
            process.started + self.options.start_timeout
            for process in self.processes
            if process.ready_at is None and not process.overdue
        ]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        for key, _ in self.selector.select(timeout):
            if key.fd == wake_read:
                for signum in _read_all(wake_read):
                    self._signalled(signum)
            else:
                self._read(key.data)
        self._reap()
        now = time.monotonic()
        for process in self.processes:
            late = process.ready_at is None and not process.overdue and not self.stopping
            if late and now - process.started >= self.options.start_timeout:
                logger.warning(
                    "server process %s did not accept within %s s: killing it",
                    process.pid,
                    self.options.start_timeout,
                )
                process.overdue = True
                _kill(process, signal.SIGKILL)
        for start in [start for start in self.starts if start.due <= now]:
            self.starts.remove(start)
            self._start(start.slot, start.replaces)

    # ---- processes ---------------------------------------------------------------------

    def _start(self, slot: int, replaces: _Process | None = None) -> None:
        tcp, udp = self.sockets[slot]
        control_read, control_write = os.pipe()
        env = {**os.environ, HANDOFF_ENV: handoff(tcp, control_write, udp)}
        fds = (tcp, control_write) if udp is None else (tcp, control_write, udp)
        try:
            popen = subprocess.Popen(self.command, env=env, pass_fds=fds)
        finally:
            os.close(control_write)
        os.set_blocking(control_read, False)
        process = _Process(popen, slot, control_read, replaces)
        self.processes.append(process)
        self.selector.register(control_read, selectors.EVENT_READ, process)
        if replaces:
            logger.info("started server process %s to replace %s", popen.pid, replaces.pid)
        else:
            logger.info("started server process %s", popen.pid)

    def _read(self, process: _Process) -> None:
        """Act on the lines ``process`` sent; at the end of its pipe, stop watching it."""
        try:
            data = os.read(process.control, 4096)
        except BlockingIOError:
            return
        if not data:
            self._close_pipe(process)
            return
        *lines, process.unread = (process.unread + data).split(b"\n")
        for line in lines:
            word, _, rest = line.decode(errors="replace").partition(" ")
            if word == "ready":
                self._ready(process)
            elif word == "retire":
                self._retire(process, rest)

    def _ready(self, process: _Process) -> None:
        process.ready_at = time.monotonic()
        old, process.replaces = process.replaces, None
        if old is None:
            return
        if old in self.processes and not old.draining:
            self._drain(old)
        self._roll_next()

    def _retire(self, process: _Process, reason: str) -> None:
        if self.stopping or process.draining or self._replacement_of(process):
            return
        logger.info("server process %s %s: starting its replacement", process.pid, reason)
        self._start(process.slot, process)

    def _drain(self, process: _Process) -> None:
        process.draining = True
        logger.info("server process %s replaced: draining it", process.pid)
        _kill(process, DRAIN_SIGNAL)

    def _reap(self) -> None:
        for process in list(self.processes):
            code = process.popen.poll()
            if code is None:
                continue
            if process.control != -1:  # what it wrote just before it ended: a line or two
                self._read(process)
            if process.control != -1:
                self._close_pipe(process)
            self.processes.remove(process)
            self._ended(process, code)

    def _close_pipe(self, process: _Process) -> None:
        self.selector.unregister(process.control)
        os.close(process.control)
        process.control = -1

    def _ended(self, process: _Process, code: int) -> None:
        how = _how(code)
        if self.stopping or process.draining:
            logger.info("server process %s stopped (%s)", process.pid, how)
            # Stopped before its handlers were set, a process ends by the signal itself.
            clean = code in (0, -signal.SIGTERM, -signal.SIGINT)
            self.stop_failed |= self.stopping and not process.draining and not clean
            return
        now = time.monotonic()
        failed = process.ready_at is None or now - process.ready_at < MIN_UPTIME
        self.failures = self.failures + 1 if failed else 0
        replaces = process.replaces if process.replaces in self.processes else None
        logger.warning(
            "server process %s %s%s",
            process.pid,
            how,
            " at start" if process.ready_at is None else "",
        )
        if self.failures >= MAX_START_FAILURES:
            self.failures = 0
            if replaces is not None:  # the processes serving keep serving
                self.rolling.clear()
                logger.error(
                    "new server processes keep failing at start (%s in a row, the last "
                    "%s): keeping %s and the others serving",
                    MAX_START_FAILURES,
                    how,
                    replaces.pid,
                )
                return
            self._give_up(
                f"server processes keep failing at start ({MAX_START_FAILURES} in a row, "
                f"the last {how}); stopping"
            )
            return
        replacement = self._replacement_of(process)
        if replacement is not None:  # already starting: it takes this one's place
            replacement.replaces = None
            return
        pause = min(FIRST_PAUSE * 2 ** (self.failures - 1), MAX_PAUSE) if failed else 0.0
        logger.info("restarting it in %.1f s", pause)
        self.starts.append(_Start(now + pause, process.slot, replaces))

    def _replacement_of(self, process: _Process) -> _Process | _Start | None:
        """The process (or pending start) replacing ``process``, if one is."""
        for other in (*self.processes, *self.starts):
            if other.replaces is process:
                return other
        return None

    # ---- signals -----------------------------------------------------------------------

    def _signalled(self, signum: int) -> None:
        if signum in (signal.SIGINT, signal.SIGTERM):
            self._stop()
        elif signum == signal.SIGHUP and not self.stopping:
            if self.options.cert:  # the certificate at once, the code process by process
                # Only to processes that serve: one still loading has no handler for
                # SIGHUP yet (it would die of it) and reads the certificate when it binds.
                for process in self.processes:
                    if process.ready_at is not None:
                        _kill(process, signal.SIGHUP)
            self.rolling = [process for process in self.processes if not process.draining]
            logger.info(
                "SIGHUP: replacing the %s server processes one at a time", len(self.rolling)
            )
            self._roll_next()

    def _roll_next(self) -> None:
        while self.rolling:
            old = self.rolling.pop(0)
            if old in self.processes and not old.draining and not self._replacement_of(old):
                self._start(old.slot, old)
                return

    def _stop(self) -> None:
        self.stopping = True
        self.starts.clear()
        self.rolling.clear()
        for process in self.processes:
            _kill(process, signal.SIGTERM)

    def _give_up(self, message: str) -> None:
        logger.error("%s", message)
        self.gave_up = message
        self._stop()


def _bind(options: ServerOptions) -> list[tuple[int, int | None]]:
    """One listening socket per place, and a UDP socket with ``--http3``, all on one port
    (the first one bound decides it when the port is 0)."""
    check_port_free(options)  # SO_REUSEPORT would join another server's sockets
    sockets: list[tuple[int, int | None]] = []
    port = options.port
    try:
        for _ in range(options.processes):
            tcp, port = _core.listen(options.host, port, options.backlog)
            udp = _core.listen(options.host, port, udp=True)[0] if options.http3 else None
            sockets.append((tcp, udp))
    except (ValueError, OSError) as exc:
        for tcp, udp in sockets:
            os.close(tcp)
            if udp is not None:
                os.close(udp)
        raise StartupError(str(exc)) from None
    return sockets


def _read_all(fd: int) -> bytes:
    """Everything in the non-blocking pipe ``fd``: here, signal numbers."""
    data = b""
    while True:
        try:
            chunk = os.read(fd, 512)
        except BlockingIOError:
            return data
        if not chunk:
            return data
        data += chunk


def _kill(process: _Process, signum: int) -> None:
    try:
        os.kill(process.pid, signum)
    except ProcessLookupError:  # ended; reaped on the next step
        pass


def _how(code: int) -> str:
    """How a process ended, from Popen's return code."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"
