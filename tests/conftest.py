"""Fixtures shared by every test directory. Server-process helpers live in
``tests/support.py`` (importable as ``support``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support  # noqa: E402


@pytest.fixture(scope="session")
def example_project(tmp_path_factory) -> Path:
    """A migrated copy of ``example/`` (own SQLite file) with the superuser
    ``support.EXAMPLE_SUPERUSER``."""
    return support.prepare_example_project(
        tmp_path_factory.mktemp("example") / "example", superuser=support.EXAMPLE_SUPERUSER
    )


@pytest.fixture(scope="session")
def django_server(example_project):
    """``manage.py runbolt`` serving the example project copy for the whole session."""
    with support.serve_django(example_project) as server:
        yield server


@pytest.fixture(scope="module")
def postgres_server():
    """A PostgreSQL server of the module's own (``tests/postgres.py``); skips with the
    reason when PostgreSQL cannot run here."""
    import postgres

    reason = postgres.unavailable()
    if reason is not None:
        pytest.skip(reason)
    with postgres.running() as server:
        yield server


@pytest.fixture(scope="module")
def redis_server():
    """A Redis server of the module's own (``tests/redisserver.py``); skips with the
    reason when Redis is not installed."""
    import redisserver

    reason = redisserver.unavailable()
    if reason is not None:
        pytest.skip(reason)
    with redisserver.running() as server:
        yield server
