"""``CompressionConfig``: how a BoltAPI's responses are compressed (in Rust)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Codings the server can produce, by their ``Accept-Encoding`` token.
ENCODINGS = ("br", "zstd", "gzip")
#: The accepted range of each coding's level.
LEVELS = {"gzip_level": (1, 9), "brotli_quality": (0, 11), "zstd_level": (1, 22)}


@dataclass(frozen=True)
class CompressionConfig:
    """Compress responses of an API's routes for clients that accept it.

    ``encodings`` lists the codings offered, most preferred first; the client's
    ``Accept-Encoding`` q-values decide, and this order breaks ties. Bodies smaller than
    ``minimum_size`` bytes are sent as they are. Levels trade speed for size: gzip
    1-9, brotli 0-11, zstd 1-22.
    """

    encodings: tuple[str, ...] = ENCODINGS
    minimum_size: int = 500
    gzip_level: int = 6
    brotli_quality: int = 4
    zstd_level: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "encodings", tuple(self.encodings))
        unknown = [e for e in self.encodings if e not in ENCODINGS]
        if unknown or not self.encodings:
            raise ValueError(
                f"encodings must be a non-empty list of {ENCODINGS}, not {self.encodings!r}"
            )
        if self.minimum_size < 0:
            raise ValueError(f"minimum_size must not be negative, not {self.minimum_size}")
        for name, (low, high) in LEVELS.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low} and {high}, not {value}")

    def describe(self) -> dict[str, Any]:
        """What Rust reads for each route."""
        return {
            "encodings": list(self.encodings),
            "minimum_size": self.minimum_size,
            **{name: getattr(self, name) for name in LEVELS},
        }
