"""Keys from a JSON Web Key Set (``JWTAuthentication(jwks_url=...)`` or ``jwks=``).

Rust fetches the set (``src/fastpath/auth/jwks``) when the routes are built, keeps it,
and fetches it again every ``jwks_refresh_interval`` seconds and when a token names a
``kid`` the set lacks; never more than one fetch at a time, nor more often than once
every 10 seconds, so random ``kid``s cannot make the server hammer the endpoint. A
token's ``kid`` picks its key. A fetch that fails keeps the last keys and is logged;
without any key a token is a 401.

The URL must be ``https://``, trusted through the system's certificate authorities or
the file named by the ``SSL_CERT_FILE`` environment variable; ``http://`` is accepted
for a loopback host only (a key server beside the application). A set may also be
given as the document itself (``jwks=``, a dict or JSON text), which is never fetched.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["JwksSource"]


@dataclass(frozen=True)
class JwksSource:
    """Where a backend's keys come from: a URL to fetch, or a document."""

    url: str | None
    document: str | None
    refresh_interval: int

    @classmethod
    def configure(
        cls,
        url: str | None,
        document: Mapping[str, Any] | str | None,
        refresh_interval: int,
        secret: Any,
        audience: Any,
        issuer: Any,
    ) -> JwksSource | None:
        """The source ``JWTAuthentication``'s arguments name, checked; None without one."""
        if url is None and document is None:
            return None
        if url is not None and document is not None:
            raise ValueError("JWTAuthentication takes jwks_url= or jwks=, not both")
        if secret is not None:
            raise ValueError(
                "JWTAuthentication takes a key set (jwks_url=/jwks=) or a key "
                "(secret=/public_key=), not both"
            )
        if isinstance(refresh_interval, bool) or not isinstance(refresh_interval, int):
            raise ValueError("JWTAuthentication: jwks_refresh_interval must be whole seconds")
        if refresh_interval < 10:
            raise ValueError("JWTAuthentication: jwks_refresh_interval must be >= 10 seconds")
        if url is not None:
            _check_url(url)
            if not audience or not issuer:
                raise ValueError(
                    "JWTAuthentication(jwks_url=...) needs audience= and issuer=: the "
                    "provider signs other applications' tokens with the same keys"
                )
        return cls(url, _document(document), refresh_interval)

    def describe(self) -> dict[str, Any]:
        if self.url is not None:
            return {"jwks_url": self.url, "jwks_refresh_interval": self.refresh_interval}
        return {"jwks": self.document}


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"JWTAuthentication: jwks_url {url!r} is not an absolute URL")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return
    raise ValueError(
        f"JWTAuthentication: jwks_url {url!r} must be https:// (http:// only for a "
        "loopback host such as 127.0.0.1)"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _document(document: Mapping[str, Any] | str | None) -> str | None:
    if document is None:
        return None
    text = document if isinstance(document, str) else json.dumps(dict(document))
    try:
        keys = json.loads(text).get("keys")
    except (ValueError, AttributeError):
        keys = None
    if not isinstance(keys, list):
        raise ValueError('JWTAuthentication: jwks must be a JSON Web Key Set ({"keys": [...]})')
    return text
