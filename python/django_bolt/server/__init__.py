"""Running the Rust server: one or more processes, each with its event loop, lifespan
and graceful shutdown; ``runbolt`` and ``django-bolt serve`` are thin commands over it.

- ``_options``: ``ServerOptions`` and the command-line flags that fill it
  (``_flag_types``: the range each numeric flag takes);
- ``_supervision``: serving from several processes: the parent that binds their
  sockets, restarts, recycles and reloads them (``_worker``: a process's side of it);
- ``_run``: one process serving until it is told to stop.
"""

from ._errors import StartupError
from ._flag_types import whole_number
from ._options import (
    DEV_SLOW_CALLBACK_WARNING,
    ServerOptions,
    add_server_arguments,
    configure_logging,
    options_from,
)
from ._run import load_app
from ._supervision import check_port_free, serve

__all__ = [
    "DEV_SLOW_CALLBACK_WARNING",
    "ServerOptions",
    "StartupError",
    "add_server_arguments",
    "check_port_free",
    "configure_logging",
    "load_app",
    "options_from",
    "serve",
    "whole_number",
]
