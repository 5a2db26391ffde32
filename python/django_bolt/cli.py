"""``django-bolt serve module:app``: serve any ASGI app with the django-bolt server."""

from __future__ import annotations

import argparse
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
    args = parser.parse_args(argv)

    sys.path.insert(0, os.getcwd())
    try:
        options = options_from(vars(args))
        configure_logging(options)
        serve(None, load_app(args.app), options)
    except StartupError as exc:
        print(f"django-bolt: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
