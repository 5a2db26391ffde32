"""Response types a handler may return instead of plain data."""

from __future__ import annotations

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()

#: What Rust sends: ``(status, [(name, value), ...], body)``.
Wire = tuple[int, list[tuple[str, str]], bytes]


class Response:
    """A response with explicit status, headers and media type.

    ``content`` that is not ``bytes`` or ``str`` is encoded as JSON.
    """

    media_type: str | None = "application/json"

    def __init__(
        self,
        content: Any = b"",
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        self.content = content
        self.status_code = status_code
        self.headers: dict[str, str] = dict(headers or {})
        if media_type is not None:
            self.media_type = media_type

    def render(self) -> bytes:
        if isinstance(self.content, bytes):
            return self.content
        if isinstance(self.content, str):
            return self.content.encode()
        return _encoder.encode(self.content)

    def to_wire(self) -> Wire:
        headers = list(self.headers.items())
        if self.media_type and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("content-type", self.media_type))
        return self.status_code, headers, self.render()


class JSON(Response):
    """``content`` encoded as JSON with msgspec."""

    media_type = "application/json"

    def render(self) -> bytes:
        return _encoder.encode(self.content)
