"""Django's ``ALLOWED_HOSTS``, read once at start-up and handed to the Rust server,
which refuses Bolt requests for other hosts (400) by Django's rules."""

from __future__ import annotations

from collections.abc import Iterable

#: What Django allows when ``DEBUG`` is on and ``ALLOWED_HOSTS`` is empty.
DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]


def allowed_hosts(extra: Iterable[str] = ()) -> list[str] | None:
    """The host patterns Bolt routes answer for, as ``HttpRequest.get_host`` allows
    them: ``ALLOWED_HOSTS`` plus ``extra`` (Django's test runner adds ``testserver``),
    or Django's localhost variants when that is empty and ``DEBUG`` is on. None when
    Django is not configured: every host is answered."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        hosts = [*settings.ALLOWED_HOSTS, *extra]
        debug = settings.DEBUG
    except ImproperlyConfigured:
        return None
    if debug and not hosts:
        return list(DEBUG_HOSTS)
    return [str(host) for host in hosts]
