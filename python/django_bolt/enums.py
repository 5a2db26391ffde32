"""Enumerations of values handlers pass around: media types and upload sizes."""

from __future__ import annotations

import enum

__all__ = ["FileSize", "MediaType"]


class MediaType(enum.StrEnum):
    """``Content-Type`` values; each member is the string itself, so it goes wherever a
    media type does (``Response(..., media_type=MediaType.TEXT)``)."""

    JSON = "application/json"
    HTML = "text/html"
    TEXT = "text/plain"
    CSS = "text/css"
    XML = "application/xml"
    MESSAGEPACK = "application/vnd.msgpack"


class FileSize(enum.IntEnum):
    """Common upload limits in bytes (binary units), for ``File(max_size=...)``."""

    KB_1 = 1024
    KB_10 = 10 * 1024
    KB_100 = 100 * 1024
    KB_500 = 500 * 1024
    MB_1 = 1024**2
    MB_2 = 2 * 1024**2
    MB_3 = 3 * 1024**2
    MB_4 = 4 * 1024**2
    MB_5 = 5 * 1024**2
    MB_6 = 6 * 1024**2
    MB_7 = 7 * 1024**2
    MB_8 = 8 * 1024**2
    MB_9 = 9 * 1024**2
    MB_10 = 10 * 1024**2
    MB_20 = 20 * 1024**2
    MB_30 = 30 * 1024**2
    MB_50 = 50 * 1024**2
    MB_100 = 100 * 1024**2
