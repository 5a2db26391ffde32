"""``Cookie``: a ``Set-Cookie`` value with its attributes, and ``make_delete_cookie``
for the one that removes a cookie from the client. ``Response.set_cookie`` builds its
header with the same class; a ``Cookie`` can also be appended to ``response.cookies``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from http.cookies import SimpleCookie
from typing import Literal

__all__ = ["Cookie", "SameSitePolicy", "make_delete_cookie"]

#: ``False`` (or None) leaves the attribute out.
SameSitePolicy = Literal["Strict", "Lax", "None", False] | None

#: A date in the past: the client drops the cookie at once.
EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


@dataclass(slots=True)
class Cookie:
    """A cookie to set: ``Cookie("session", "abc", httponly=True, secure=True)``.

    ``max_age`` in seconds, ``expires`` a datetime or an HTTP date; without either it
    lasts the browser session. Values are quoted as the cookie syntax needs.
    """

    name: str
    value: str = ""
    max_age: int | None = None
    expires: datetime | str | None = None
    path: str | None = "/"
    domain: str | None = None
    secure: bool = False
    httponly: bool = False
    samesite: SameSitePolicy = "Lax"

    def to_header_value(self) -> str:
        """The ``Set-Cookie`` header's value."""
        jar: SimpleCookie = SimpleCookie()
        jar[self.name] = self.value
        morsel = jar[self.name]
        if self.max_age is not None:
            morsel["max-age"] = self.max_age
        if self.expires is not None:
            expires = self.expires
            morsel["expires"] = (
                format_datetime(expires, usegmt=True) if isinstance(expires, datetime) else expires
            )
        for attribute, setting in (
            ("path", self.path),
            ("domain", self.domain),
            ("samesite", self.samesite),
        ):
            if setting:
                morsel[attribute] = setting
        morsel["secure"] = self.secure
        morsel["httponly"] = self.httponly
        return morsel.OutputString()

    def __str__(self) -> str:
        return self.to_header_value()


def make_delete_cookie(name: str, path: str | None = "/", domain: str | None = None) -> Cookie:
    """The cookie that removes ``name`` (same ``path`` and ``domain`` as it was set
    with): empty, expired. A ``__Secure-``/``__Host-`` name keeps ``Secure``, without
    which browsers ignore it."""
    return Cookie(
        name,
        "",
        max_age=0,
        expires=EPOCH,
        path=path,
        domain=domain,
        secure=name.startswith(("__Secure-", "__Host-")),
    )
