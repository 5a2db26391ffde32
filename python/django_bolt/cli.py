"""``django-bolt serve module:app``: serve any ASGI app with the django-bolt server."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .server import ServerOptions, StartupError, configure_logging, load_app, serve


def main(argv: list[str] | None = None) -> int:
    defaults = ServerOptions()
    parser = argparse.ArgumentParser(prog="django-bolt")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve an ASGI application")
    run.add_argument("app", metavar="MODULE:ATTR")
    run.add_argument("--host", default=defaults.host)
    run.add_argument("--port", type=int, default=defaults.port)
    run.add_argument("--workers", type=int, default=1, help="tokio threads per process")
    run.add_argument("--processes", type=int, default=1, help="server processes sharing the port")
    run.add_argument("--backlog", type=int, default=defaults.backlog)
    run.add_argument("--keep-alive", type=float, default=defaults.keep_alive)
    run.add_argument("--header-timeout", type=float, default=defaults.header_timeout)
    run.add_argument("--max-header-size", type=int, default=defaults.max_header_size)
    run.add_argument("--max-body-size", type=int, default=defaults.max_body_size)
    run.add_argument("--shutdown-grace", type=float, default=defaults.shutdown_grace)
    run.add_argument("--root-path", default="")
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)

    configure_logging(getattr(logging, args.log_level.upper()))
    sys.path.insert(0, os.getcwd())
    options = ServerOptions(
        host=args.host,
        port=args.port,
        workers=args.workers,
        processes=args.processes,
        backlog=args.backlog,
        keep_alive=args.keep_alive,
        header_timeout=args.header_timeout,
        max_header_size=args.max_header_size,
        max_body_size=args.max_body_size,
        shutdown_grace=args.shutdown_grace,
        root_path=args.root_path,
    )
    try:
        serve(None, load_app(args.app), options)
    except StartupError as exc:
        print(f"django-bolt: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
