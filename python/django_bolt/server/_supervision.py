"""Serving from one process or several: the parent forks the processes that share the
port, forwards the signals that stop them (and SIGHUP, the certificate reload) and
waits for them."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from ._errors import StartupError
from ._options import ServerOptions
from ._run import run_process


def serve(routes: Any, asgi_app: Any, options: ServerOptions) -> None:
    """Serve until SIGINT/SIGTERM; forks ``options.processes`` servers on one port."""
    if options.gc_threshold < 0:
        raise StartupError("--gc-threshold must be 0 or more")
    if not options.slow_callback_warning >= 0:
        raise StartupError("--slow-callback-warning must be 0 or more")
    if options.processes <= 1:
        run_process(routes, asgi_app, options, reuse_port=False)
        return
    check_port_free(options)
    children = []
    for _ in range(options.processes):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run_process(routes, asgi_app, options, reuse_port=True)
            except BaseException as exc:  # the child must never return into the parent's code
                print(f"django-bolt: {exc}", file=sys.stderr)
                code = 1
            os._exit(code)
        children.append(pid)
    _supervise(children, reload_tls=bool(options.cert))


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


def _supervise(children: list[int], reload_tls: bool) -> None:
    """Forward SIGINT/SIGTERM (and SIGHUP, the certificate reload, when serving TLS) to
    the children and wait for all of them."""

    def forward(signum: int, _frame: Any) -> None:
        for pid in children:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    if reload_tls:  # else SIGHUP's default, ending the process, is kept
        signal.signal(signal.SIGHUP, forward)
    failed = False
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed |= os.waitstatus_to_exitcode(status) != 0
    if failed:
        raise StartupError("a server process exited with an error")
