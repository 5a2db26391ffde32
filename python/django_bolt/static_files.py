"""Static and media files served from Rust: Django's settings are read once at start-up
into the folders ``_core.StaticFiles`` answers from, so no request for a file enters
Python.

- ``STATIC_URL``, when ``django.contrib.staticfiles`` is installed and the URL is a path
  on this server: from the staticfiles finders' folders under ``DEBUG`` or
  ``runbolt --dev`` (the first folder that has a file wins, in the finders' order, as
  ``findstatic`` reports it), otherwise from ``STATIC_ROOT`` (``collectstatic``'s output).
- ``MEDIA_URL`` from ``MEDIA_ROOT`` when the project opts in (``BOLT_SERVE_MEDIA = True``
  or ``runbolt --serve-media``).
"""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import _core

logger = logging.getLogger("django_bolt")

#: ``--static-max-age`` when it is not given: an hour, after which a client revalidates
#: (a 304 while the file is unchanged).
DEFAULT_MAX_AGE = 3600


@dataclass(frozen=True)
class FileServing:
    """What ``runbolt`` was told about files (its flags)."""

    enabled: bool = True
    dev: bool = False
    max_age: int = DEFAULT_MAX_AGE
    serve_media: bool = False


#: A mount as ``_core.StaticFiles`` takes it: ``(url_prefix, [(name_prefix, folder), ...],
#: cache_control, cached)``; ``cached`` lets Rust keep small files in memory (a changed
#: file is then served within a second), so it is False for folders being edited.
Mount = tuple[str, list[tuple[str, str]], str, bool]


def static_files(options: FileServing, extra: Sequence[Mount] = ()) -> _core.StaticFiles | None:
    """The folders to serve for the configured Django project and the ``extra`` mounts
    (the docs pages' assets, served even under ``--no-static``), or None for none."""
    from django.conf import settings

    if not options.enabled:
        return served(extra)
    # Served from the finders, the files are being edited: revalidate every time (the
    # ETag makes it a 304).
    from_finders = options.dev or settings.DEBUG
    cache_control = (
        "no-cache" if from_finders or options.max_age <= 0 else f"public, max-age={options.max_age}"
    )
    mounts = list(extra)
    static = _static_mount(from_finders)
    if static:
        mounts.append((*static, cache_control, not from_finders))
    if options.serve_media or getattr(settings, "BOLT_SERVE_MEDIA", False):
        media = _media_mount()
        if media:
            mounts.append((*media, cache_control, True))
    return served(mounts)


def served(mounts: Sequence[Mount]) -> _core.StaticFiles | None:
    """The folders Rust answers from for ``mounts``, or None for none."""
    return _core.StaticFiles(list(mounts), content_types()) if mounts else None


def _static_mount(debug: bool) -> tuple[str, list[tuple[str, str]]] | None:
    from django.apps import apps
    from django.conf import settings

    if not apps.is_installed("django.contrib.staticfiles"):
        return None
    url = _local_prefix("STATIC_URL", settings.STATIC_URL)
    if url is None:
        return None
    if debug:
        return url, finder_roots()
    root = settings.STATIC_ROOT
    if not root or not os.path.isdir(root):
        logger.warning(
            "static files are not served: STATIC_ROOT %s; set it and run "
            "`manage.py collectstatic`, or serve %s from elsewhere",
            "is not set" if not root else f"({root}) is not a folder",
            url,
        )
        return None
    return url, [("", os.fspath(root))]


def _media_mount() -> tuple[str, list[tuple[str, str]]] | None:
    from django.conf import settings

    url = _local_prefix("MEDIA_URL", settings.MEDIA_URL)
    root = settings.MEDIA_ROOT
    if url is None:
        return None
    if not root or not os.path.isdir(root):
        logger.warning(
            "media files are not served: MEDIA_ROOT %s",
            "is not set" if not root else f"({root}) is not a folder",
        )
        return None
    return url, [("", os.fspath(root))]


def _local_prefix(name: str, url: str | None) -> str | None:
    """``url`` as a path prefix of this server, or None (with a warning when it cannot be
    served: ``/`` would take every path from Django)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:  # served by another host (a CDN)
        return None
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if not path.startswith("/"):
        path = "/" + path
    if path == "/":
        logger.warning("%s is '/': its files are not served (every path would be a file)", name)
        return None
    return path


def finder_roots() -> list[tuple[str, str]]:
    """``(prefix, folder)`` of every folder Django's staticfiles finders search, in their
    order; a finder of another kind is left out with a warning."""
    from django.contrib.staticfiles.finders import (
        AppDirectoriesFinder,
        FileSystemFinder,
        get_finders,
    )

    roots: list[tuple[str, str]] = []
    for finder in get_finders():
        if isinstance(finder, FileSystemFinder):
            roots.extend((prefix, os.path.abspath(root)) for prefix, root in finder.locations)
        elif isinstance(finder, AppDirectoriesFinder):
            roots.extend(("", finder.storages[app].location) for app in finder.apps)
        else:
            name = f"{type(finder).__module__}.{type(finder).__qualname__}"
            logger.warning("static files of the finder %s are not served by django-bolt", name)
    return [(prefix, root) for prefix, root in roots if os.path.isdir(root)]


def content_types() -> dict[str, str]:
    """File extension (lower case, no dot) to content type, from Python's ``mimetypes``
    (what Django's static ``serve`` view uses), with the project's ``add_type`` calls."""
    if not mimetypes.inited:
        mimetypes.init()
    return {ext.lstrip(".").lower(): kind for ext, kind in mimetypes.types_map.items()}
