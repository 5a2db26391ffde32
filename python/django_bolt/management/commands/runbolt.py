"""``python manage.py runbolt``: serve the project's Bolt routes and its ASGI app."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...api import route_table
from ...discovery import discover_apis
from ...server import ServerOptions, StartupError, configure_logging, load_app, serve


class Command(BaseCommand):
    help = "Serve Bolt API routes and the Django ASGI app on one port with django-bolt."

    def add_arguments(self, parser):
        defaults = ServerOptions()
        parser.add_argument("--host", default=defaults.host)
        parser.add_argument("--port", type=int, default=defaults.port)
        parser.add_argument(
            "--processes", type=int, default=1, help="server processes sharing the port"
        )
        parser.add_argument("--workers", type=int, default=1, help="tokio threads per process")
        parser.add_argument("--backlog", type=int, default=defaults.backlog)
        parser.add_argument(
            "--keep-alive", type=float, default=defaults.keep_alive, help="idle seconds"
        )
        parser.add_argument("--header-timeout", type=float, default=defaults.header_timeout)
        parser.add_argument("--max-header-size", type=int, default=defaults.max_header_size)
        parser.add_argument("--max-body-size", type=int, default=defaults.max_body_size)
        parser.add_argument("--shutdown-grace", type=float, default=defaults.shutdown_grace)
        parser.add_argument("--dev", action="store_true", help="auto-reload and tracebacks in 500s")
        parser.add_argument("--asgi", metavar="MODULE:ATTR", help="ASGI app for non-Bolt routes")
        parser.add_argument("--no-asgi", action="store_true", help="serve Bolt routes only")

    def handle(self, *args, **opts):
        if opts["asgi"] and opts["no_asgi"]:
            raise CommandError("--asgi and --no-asgi cannot be used together")
        configure_logging(logging.DEBUG if opts["verbosity"] > 1 else logging.INFO)
        if opts["dev"]:
            from django.utils import autoreload

            autoreload.run_with_reloader(self._serve, **opts)
        else:
            self._serve(**opts)

    def _serve(self, **opts):
        debug = opts["dev"] or settings.DEBUG
        apis = discover_apis()
        try:
            routes = route_table([api for _, api in apis], debug=debug)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            asgi_app = self._asgi_app(opts)
            options = ServerOptions(
                host=opts["host"],
                port=opts["port"],
                workers=opts["workers"],
                processes=opts["processes"],
                backlog=opts["backlog"],
                keep_alive=opts["keep_alive"],
                header_timeout=opts["header_timeout"],
                max_header_size=opts["max_header_size"],
                max_body_size=opts["max_body_size"],
                shutdown_grace=opts["shutdown_grace"],
            )
            modules = ", ".join(name for name, _ in apis) or "none"
            self.stdout.write(f"django-bolt: {len(routes)} Bolt routes from {modules}")
            serve(routes, asgi_app, options)
        except StartupError as exc:
            raise CommandError(str(exc)) from None

    @staticmethod
    def _asgi_app(opts):
        if opts["no_asgi"]:
            return None
        if opts["asgi"]:
            return load_app(opts["asgi"])
        from django.core.asgi import get_asgi_application

        return get_asgi_application()
