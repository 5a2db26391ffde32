"""A server process's side of supervision: the sockets and the control pipe its
supervisor handed it, the messages it sends back (``ready`` once it accepts,
``retire`` when a recycling limit is reached), and the watch on those limits.

The supervisor starts each process by running the same command again (see
``_supervision``), so the handoff travels in one environment variable, taken out of
the environment at once so nothing the project starts inherits it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
from dataclasses import dataclass
from typing import Any

from ._options import ServerOptions

logger = logging.getLogger("django_bolt")

#: ``listen=FD,control=FD[,udp=FD]``: the listening socket of this process's place, the
#: pipe to the parent, and the UDP socket of HTTP/3.
HANDOFF_ENV = "DJANGO_BOLT_SUPERVISED"
#: Sent by the supervisor once a replacement accepts: drain and stop, closing open
#: WebSockets with 1012 (service restart) so their clients reconnect to another process.
DRAIN_SIGNAL = signal.SIGUSR1
#: Seconds between two looks at the recycling limits and at the parent.
CHECK_INTERVAL = 0.5
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def handoff(listen_fd: int, control_fd: int, udp_fd: int | None) -> str:
    """The value of :data:`HANDOFF_ENV` for a process started by a supervisor."""
    udp = f",udp={udp_fd}" if udp_fd is not None else ""
    return f"listen={listen_fd},control={control_fd}{udp}"


@dataclass
class Supervised:
    """This process's link to the supervisor that started it."""

    listen_fd: int
    control_fd: int
    udp_fd: int | None
    parent: int

    @classmethod
    def take(cls) -> Supervised | None:
        """The handoff from the environment (removed from it), or None when this
        process was not started by a supervisor."""
        value = os.environ.pop(HANDOFF_ENV, None)
        if value is None:
            return None
        fds = dict(part.split("=", 1) for part in value.split(","))
        udp = int(fds["udp"]) if "udp" in fds else None
        link = cls(int(fds["listen"]), int(fds["control"]), udp, os.getppid())
        for fd in (link.listen_fd, link.control_fd, udp):
            if fd is not None:
                os.set_inheritable(fd, False)
        return link

    def tell(self, message: str) -> None:
        """One line to the supervisor; a parent already gone is not this one's error."""
        try:
            os.write(self.control_fd, message.encode() + b"\n")
        except OSError:
            pass

    def parent_gone(self) -> bool:
        return os.getppid() != self.parent


def request_limit(options: ServerOptions) -> int:
    """This process's ``--max-requests``, drawn from [N, N + jitter] so processes
    started together are not all recycled at once (0: no limit)."""
    if not options.max_requests:
        return 0
    return options.max_requests + random.randint(0, options.max_requests_jitter)


def rss_mib() -> float:
    """This process's resident memory in MiB."""
    with open("/proc/self/statm", "rb") as statm:
        resident = int(statm.read().split()[1])
    return resident * _PAGE_SIZE / (1024 * 1024)


async def watch(link: Supervised, server: Any, options: ServerOptions, stop: Any) -> None:
    """Ask to be replaced once a recycling limit is reached (once: the supervisor
    answers with the drain signal when the replacement accepts), and stop when the
    supervisor is gone (killed with SIGKILL, it could not tell)."""
    limit = request_limit(options)
    retiring = False
    while True:
        await asyncio.sleep(CHECK_INTERVAL)
        if link.parent_gone():
            logger.warning("supervisor gone: stopping pid %s", os.getpid())
            stop()
            return
        if retiring:
            continue
        reason = None
        if limit and server.requests >= limit:
            reason = f"served {server.requests} requests (--max-requests {limit})"
        elif options.max_rss and (rss := rss_mib()) > options.max_rss:
            reason = f"uses {rss:.0f} MiB (--max-rss {options.max_rss})"
        if reason:
            retiring = True
            link.tell(f"retire {reason}")
