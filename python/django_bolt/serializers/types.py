"""Typed field aliases: ``Annotated`` types whose ``msgspec.Meta`` constraints msgspec
checks whenever data is decoded or converted into a serializer (a bad value in a
request body is a 422 naming the field), and which appear in the OpenAPI schema.

Lengths and ranges follow the matching Django model fields (``EmailField`` 254,
``SlugField`` 50, ``IntegerField``'s 32-bit range, ...) so a value a serializer accepts
fits the column it is saved in.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from msgspec import Meta

_INT32 = 2**31 - 1
_INT64 = 2**63 - 1
_IPV4 = r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# Hex groups and colons (with an optional embedded IPv4 tail): the shape, not every rule.
_IPV6 = r"(?=[0-9A-Fa-f:.]*:)(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|" + _IPV4 + ")"


def _text(pattern: str | None = None, **constraints: int) -> object:
    return Annotated[str, Meta(pattern=pattern, **constraints)]


# ---- strings ------------------------------------------------------------------------
Text = str
NonEmptyStr = _text(min_length=1)
Char50 = _text(max_length=50)
Char100 = _text(max_length=100)
Char150 = _text(max_length=150)
Char200 = _text(max_length=200)
Char255 = _text(max_length=255)
Char500 = _text(max_length=500)
Char1000 = _text(max_length=1000)

Email = _text(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
URL = _text(r"^https?://[^\s/?#]+[^\s]*$", max_length=2048)
HttpsURL = _text(r"^https://[^\s/?#]+[^\s]*$", max_length=2048)
Slug = _text(r"^[-a-zA-Z0-9_]+$", max_length=50)
Slug100 = _text(r"^[-a-zA-Z0-9_]+$", max_length=100)
Slug200 = _text(r"^[-a-zA-Z0-9_]+$", max_length=200)
#: Django's ``User.username``: letters, digits and ``@.+-_``, at most 150.
Username = _text(r"^[\w.@+-]+$", min_length=1, max_length=150)
Password = _text(min_length=8, max_length=128)
#: E.164: an optional ``+`` and up to 15 digits.
Phone = _text(r"^\+?[1-9]\d{1,14}$")
IPv4 = _text(f"^{_IPV4}$")
IPv6 = _text(f"^{_IPV6}$", max_length=45)
IP = _text(f"^(?:{_IPV4}|{_IPV6})$", max_length=45)
HexColor = _text(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
#: An IANA zone name such as ``Europe/Paris`` or ``UTC``.
Timezone = _text(r"^(?:UTC|[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2})$", max_length=64)
CountryCode = _text(r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2
CurrencyCode = _text(r"^[A-Z]{3}$")  # ISO 4217
LanguageCode = _text(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")  # BCP 47, e.g. en or pt-BR
#: A path: not empty, no NUL byte.
FilePath = _text(r"^[^\x00]+$", max_length=4096)
UUID = uuid.UUID

# ---- numbers ------------------------------------------------------------------------
Int = Annotated[int, Meta(ge=-_INT32 - 1, le=_INT32)]
SmallInt = Annotated[int, Meta(ge=-32768, le=32767)]
BigInt = Annotated[int, Meta(ge=-_INT64 - 1, le=_INT64)]
PositiveInt = Annotated[int, Meta(ge=1, le=_INT32)]
PositiveSmallInt = Annotated[int, Meta(ge=1, le=32767)]
PositiveBigInt = Annotated[int, Meta(ge=1, le=_INT64)]
NonNegativeInt = Annotated[int, Meta(ge=0, le=_INT32)]
Port = Annotated[int, Meta(ge=1, le=65535)]
HttpStatus = Annotated[int, Meta(ge=100, le=599)]
Rating = Annotated[int, Meta(ge=1, le=5)]
Rating10 = Annotated[int, Meta(ge=1, le=10)]
Float = float
PositiveFloat = Annotated[float, Meta(gt=0)]
Percentage = Annotated[float, Meta(ge=0, le=100)]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]

__all__ = [
    "IP",
    "URL",
    "UUID",
    "BigInt",
    "Char50",
    "Char100",
    "Char150",
    "Char200",
    "Char255",
    "Char500",
    "Char1000",
    "CountryCode",
    "CurrencyCode",
    "Email",
    "FilePath",
    "Float",
    "HexColor",
    "HttpStatus",
    "HttpsURL",
    "IPv4",
    "IPv6",
    "Int",
    "LanguageCode",
    "Latitude",
    "Longitude",
    "NonEmptyStr",
    "NonNegativeInt",
    "Password",
    "Percentage",
    "Phone",
    "Port",
    "PositiveBigInt",
    "PositiveFloat",
    "PositiveInt",
    "PositiveSmallInt",
    "Rating",
    "Rating10",
    "Slug",
    "Slug100",
    "Slug200",
    "SmallInt",
    "Text",
    "Timezone",
    "Username",
]
