"""Wheels built once per test session (see ``installs.py``)."""

from __future__ import annotations

import installs
import pytest


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """The default wheel: built for this interpreter."""
    return installs.build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def abi3_wheel(tmp_path_factory):
    """The stable-ABI wheel (``--features abi3``): one wheel for CPython 3.11 and later."""
    return installs.build_wheel(tmp_path_factory.mktemp("abi3-wheel"), "--features", "abi3")
