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


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``django-bolt`` and its sub-commands."""
    parser = argparse.ArgumentParser(prog="django-bolt")
    parser.add_argument("--version", action="version", version=f"django-bolt {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve an ASGI application")
    run.add_argument("app", metavar="MODULE:ATTR")
    add_server_arguments(run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    sys.path.insert(0, os.getcwd())
    try:
        options = options_from(vars(args))
        configure_logging(options)
        serve(None, load_app(args.app), options)
    except StartupError as exc:
        print(f"django-bolt: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _version() -> str:
    """The installed package's version (from its metadata, so it is pyproject's)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("django-bolt")
    except PackageNotFoundError:  # imported from a source tree that was not installed
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
