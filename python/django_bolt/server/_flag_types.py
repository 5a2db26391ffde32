"""argparse types of the numeric command-line flags: a value out of range is a one-line
usage error naming the flag, not an ``OverflowError`` from the Rust side or a value
quietly clamped."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

#: The longest time a seconds flag takes: longer is a typo, not a setting.
MAX_SECONDS = 7 * 24 * 3600
#: Largest value of a size or count held in 63 bits (Rust's usize and u64 on 64-bit).
MAX_SIZE = 2**63 - 1


def whole_number(lowest: int, highest: int) -> Callable[[str], int]:
    """A type for an integer flag taking values from ``lowest`` to ``highest``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        _check_range(value, lowest, highest, text)
        return value

    return parse


def seconds(*, positive: bool = False) -> Callable[[str], float]:
    """A type for a number of seconds up to :data:`MAX_SECONDS`, 0 or more (more than 0
    when ``positive``: a timeout of no time at all would cut every client off)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
        if positive and value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        _check_range(value, 0, MAX_SECONDS, text)
        return value

    return parse


def _check_range(value: float, lowest: float, highest: float, text: str) -> None:
    if value < lowest and highest >= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"must be at least {lowest}, not {text}")
    if not lowest <= value <= highest:
        raise argparse.ArgumentTypeError(f"must be from {lowest} to {highest}, not {text}")
