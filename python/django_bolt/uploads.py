"""``UploadFile``: one file of a multipart form, as Rust received it.

Rust streams each file into memory, or into a temporary file (in the directory
``tempfile.gettempdir()`` names, from ``TMPDIR``) once it passes 1 MiB, and removes that
temporary file when the request is over.
"""

from __future__ import annotations

import io
from typing import BinaryIO


class UploadFile:
    """An uploaded file: its metadata and an open binary file to read it from."""

    def __init__(
        self,
        filename: str | None,
        content_type: str,
        headers: dict[str, str],
        size: int,
        file: BinaryIO,
    ) -> None:
        self.filename = filename
        self.content_type = content_type
        self.headers = headers
        self.size = size
        #: The underlying file object, for synchronous code.
        self.file = file

    @classmethod
    def from_part(
        cls,
        filename: str | None,
        content_type: str,
        headers: list[tuple[str, str]],
        size: int,
        content: bytes | str,
    ) -> UploadFile:
        """Called by Rust: ``content`` is the bytes, or the path of the spooled file."""
        file = io.BytesIO(content) if isinstance(content, bytes) else open(content, "rb")
        return cls(filename, content_type, dict(headers), size, file)

    async def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    async def seek(self, offset: int) -> int:
        return self.file.seek(offset)

    async def close(self) -> None:
        self.file.close()

    def __repr__(self) -> str:
        return (
            f"UploadFile(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={self.size})"
        )
