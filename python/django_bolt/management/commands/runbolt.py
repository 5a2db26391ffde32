"""``python manage.py runbolt``: serve the project's Bolt routes and its ASGI app."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

from ..._loop import sync_workers
from ...api import route_table
from ...devcert import development_certificate, trust_hint
from ...discovery import discover_apis
from ...django_app import DEFAULT_THREADS, get_django_application
from ...groups import checked_settings as checked_groups_settings
from ...health import (
    DEFAULT_HEALTH_PATH,
    DEFAULT_READY_PATH,
    DEFAULT_READY_TIMEOUT,
    answered_by,
    readiness_route,
    setting,
)
from ...mounts import with_mounts
from ...not_found import ownership
from ...openapi import docs_assets
from ...server import (
    DEV_SLOW_CALLBACK_WARNING,
    ServerOptions,
    StartupError,
    add_server_arguments,
    check_port_free,
    configure_logging,
    load_app,
    options_from,
    serve,
    whole_number,
)
from ...static_files import DEFAULT_MAX_AGE, FileServing, static_files


class Command(BaseCommand):
    help = "Serve Bolt API routes and the Django ASGI app on one port with django-bolt."

    def add_arguments(self, parser):
        add_server_arguments(parser)
        # Not given: the settings decide (BOLT_HEALTH_PATH, BOLT_READY_PATH).
        parser.set_defaults(slow_callback_warning=None, health_path=None, log_level=None)
        parser.add_argument(
            "--ready-path",
            help="path of the readiness check (every database reachable), empty: off "
            f"(default: BOLT_READY_PATH, else {DEFAULT_READY_PATH})",
        )
        parser.add_argument("--dev", action="store_true", help="auto-reload and tracebacks in 500s")
        parser.add_argument("--asgi", metavar="MODULE:ATTR", help="ASGI app for non-Bolt routes")
        parser.add_argument("--no-asgi", action="store_true", help="serve Bolt routes only")
        parser.add_argument(
            "--django-threads",
            type=whole_number(1, 1024),
            default=DEFAULT_THREADS,
            help="worker threads running Django's request handling when no --asgi is given "
            f"(default: {DEFAULT_THREADS})",
        )
        parser.add_argument(
            "--no-static",
            action="store_true",
            help="do not serve STATIC_URL (and MEDIA_URL) from Rust",
        )
        parser.add_argument(
            "--static-max-age",
            type=whole_number(0, 2**31 - 1),
            default=DEFAULT_MAX_AGE,
            help="seconds clients may cache static and media files (Cache-Control max-age; "
            f"0: revalidate every time, as under --dev) (default: {DEFAULT_MAX_AGE})",
        )
        parser.add_argument(
            "--serve-media",
            action="store_true",
            help="also serve MEDIA_URL from MEDIA_ROOT (or set BOLT_SERVE_MEDIA = True)",
        )
        parser.add_argument(
            "--https",
            action="store_true",
            help="serve HTTPS with a self-signed development certificate (cached in .bolt/)",
        )

    def handle(self, *args, **opts):
        if opts["asgi"] and opts["no_asgi"]:
            raise CommandError("--asgi and --no-asgi cannot be used together")
        if opts["https"]:
            self._use_development_certificate(opts)
        if opts["log_level"] is None:  # not given: -v 2 and more is debug
            opts["log_level"] = "debug" if opts["verbosity"] > 1 else "info"
        if opts["access_log"] is None:  # not given: on while developing, as runserver
            opts["access_log"] = opts["dev"]
        try:
            configure_logging(options_from(opts))
        except StartupError as exc:
            raise CommandError(str(exc)) from None
        try:
            sync_workers()  # a bad BOLT_SYNC_WORKERS stops runbolt here, not a request
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            checked_groups_settings()  # likewise BOLT_GROUPS_BACKEND, not a first join
        except (ValueError, ImportError) as exc:
            raise CommandError(str(exc)) from None
        if opts["slow_callback_warning"] is None:  # not given: --dev watches closely
            dev = opts["dev"]
            opts["slow_callback_warning"] = (
                DEV_SLOW_CALLBACK_WARNING if dev else ServerOptions.slow_callback_warning
            )
        if not opts["dev"]:
            try:
                self._serve(**opts)
            except StartupError as exc:
                raise CommandError(str(exc)) from None
            return
        from django.utils import autoreload

        if os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The reloader's parent: a busy port is found here, in one line, before a
            # child is started whose failure would leave the reloader watching.
            try:
                check_port_free(options_from(opts))
            except StartupError as exc:
                raise CommandError(str(exc)) from None
        autoreload.run_with_reloader(self._serve_reloaded, **opts)

    def _serve_reloaded(self, **opts):
        """``_serve`` in the reloader's child, on a thread of its own: when the server
        cannot start, say why in one line and end the child with status 1, which ends
        the reloader's parent with it (as ``runserver`` does), instead of leaving a
        traceback and a reloader that watches files for a server that is not there."""
        try:
            self._serve(**opts)
        except StartupError as exc:
            self.stderr.write(f"CommandError: {exc}")
            self.stderr.flush()
            os._exit(1)

    def _serve(self, **opts):
        apis = discover_apis()
        fallback = self._asgi_app(opts)
        owned = ownership([api for _, api in apis], fallback)
        try:
            checks = self._health_checks(opts, [r for _, api in apis for r in api.routes])
            routes = route_table(
                [api for _, api in apis],
                debug=opts["dev"] or settings.DEBUG,
                names=[name for name, _ in apis],
                extra=checks,
                owned=owned,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        modules = ", ".join(name for name, _ in apis) or "none"
        self.stdout.write(f"django-bolt: {len(routes)} Bolt routes from {modules}")
        if summary := owned.summary():
            self.stdout.write(f"django-bolt: {summary}")
        files = FileServing(
            enabled=not opts["no_static"],
            dev=opts["dev"],
            max_age=opts["static_max_age"],
            serve_media=opts["serve_media"],
        )
        try:
            docs = docs_assets([api for _, api in apis])
            folders = static_files(files, [docs] if docs else [])
        except ValueError as exc:  # a folder vanished since the settings named it
            raise CommandError(str(exc)) from None
        options = dataclasses.replace(options_from(opts), static_files=folders)
        try:
            asgi_app = with_mounts([api for _, api in apis], fallback)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        serve(routes, asgi_app, options)

    def _health_checks(self, opts, routes):
        """Settle the health check paths (flag, else setting, else default; empty or
        None: off) and return the readiness route, unless it is off."""
        django_urls = not (opts["asgi"] or opts["no_asgi"])
        paths = {}
        for key, name, default, what in (
            ("health_path", "BOLT_HEALTH_PATH", DEFAULT_HEALTH_PATH, "health"),
            ("ready_path", "BOLT_READY_PATH", DEFAULT_READY_PATH, "readiness"),
        ):
            path = opts[key] if opts[key] is not None else setting(name, default) or ""
            owner = answered_by(path, routes, django_urls) if path else None
            if owner is not None:  # the project's own handler wins
                self.stdout.write(f"django-bolt: {owner} answers {path}, not the {what} check")
                path = ""
            paths[key] = path
        opts["health_path"] = paths["health_path"]
        if not paths["ready_path"]:
            return []
        timeout = setting("BOLT_READY_TIMEOUT", DEFAULT_READY_TIMEOUT)
        return [readiness_route(paths["ready_path"], timeout)]

    def _use_development_certificate(self, opts):
        if opts["cert"] or opts["key"]:
            raise CommandError("--https makes its own certificate; leave out --cert and --key")
        base = Path(getattr(settings, "BASE_DIR", None) or Path.cwd())
        cert, key, created = development_certificate(base / ".bolt")
        opts["cert"], opts["key"] = str(cert), str(key)
        if created or os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            self.stdout.write(trust_hint(cert))

    @staticmethod
    def _asgi_app(opts):
        if opts["no_asgi"]:
            return None
        if opts["asgi"]:
            return load_app(opts["asgi"])
        return get_django_application(opts["django_threads"])
