"""The cross-site request check of a JWT read from a cookie (``JWTAuthentication(
cookie=...)``), made in Rust (``src/fastpath/auth/csrf.rs``).

A browser sends cookies with requests other sites' pages make, and Bolt routes do not
run Django's ``CsrfViewMiddleware``. So a request whose token came from the cookie and
whose method is unsafe (not GET, HEAD, OPTIONS or TRACE) must show it comes from this
site: its ``Origin`` (else the origin of its ``Referer``) must be the request's own
scheme and host, or one of Django's ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com``
included). Without either header, ``Sec-Fetch-Site: same-origin`` (or ``none``, a
request the user typed) passes. Anything else is a 403 saying why.
"""

from __future__ import annotations

from typing import Any

__all__ = ["csrf_description", "trusted_origins"]


def trusted_origins() -> list[str]:
    """Django's ``CSRF_TRUSTED_ORIGINS``, read when the route table is built."""
    from django.conf import settings

    if not settings.configured:
        return []
    origins = getattr(settings, "CSRF_TRUSTED_ORIGINS", [])
    return [str(origin) for origin in origins]


def csrf_description(enabled: bool) -> dict[str, Any]:
    """What Rust needs to check a cookie's requests (nothing more when ``csrf=False``)."""
    return {"csrf": enabled, "trusted_origins": trusted_origins() if enabled else []}
