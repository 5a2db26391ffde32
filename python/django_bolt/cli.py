"""``django-bolt serve module:app``: serve any ASGI app with the django-bolt server."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .server import (
    StartupError,
    add_server_arguments,
    configure_logging,
    load_app,
    options_from,
    serve,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="django-bolt")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve an ASGI application")
    run.add_argument("app", metavar="MODULE:ATTR")
    add_server_arguments(run)
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)

    configure_logging(getattr(logging, args.log_level.upper()))
    sys.path.insert(0, os.getcwd())
    try:
        serve(None, load_app(args.app), options_from(vars(args)))
    except StartupError as exc:
        print(f"django-bolt: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
