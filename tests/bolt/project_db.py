"""What the tests over the test project's models share (tests/bolt/project): Django set
up in this process on a migrated SQLite file, for the TestClient, and a real runbolt
process serving the project on a SQLite file of its own.

A test module gets the fixtures ``django_project`` and ``server`` by importing
``django_project_fixture`` and ``server_fixture``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import support

PROJECT = Path(__file__).resolve().parent / "project"


def migrated_database(directory: Path) -> Path:
    path = directory / "db.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=PROJECT,
        env=support.subprocess_env((), BOLT_TEST_DATABASE=str(path)),
        check=True,
    )
    return path


@pytest.fixture(scope="module", name="django_project")
def django_project_fixture(tmp_path_factory) -> None:
    """Django set up in this process for the test project, once per process (later
    modules share its database); skips when Django runs another project here."""
    import django
    from django.conf import settings

    if not settings.configured:
        sys.path.insert(0, str(PROJECT))
        with pytest.MonkeyPatch.context() as env:
            env.setenv("DJANGO_SETTINGS_MODULE", "boltproj.settings")
            env.setenv("BOLT_TEST_DATABASE", str(migrated_database(tmp_path_factory.mktemp("db"))))
            django.setup()
    if "people" not in settings.INSTALLED_APPS:
        pytest.skip("Django is already set up for another project in this process")


@pytest.fixture(scope="module", name="server")
def server_fixture(tmp_path_factory):
    """runbolt serving the test project, on a migrated database of its own."""
    database = migrated_database(tmp_path_factory.mktemp("db"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        with support.serve_django(PROJECT) as server:
            yield server
