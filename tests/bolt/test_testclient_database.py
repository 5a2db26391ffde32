"""Under TestClient, routes use the test's database connection: Django's ``TestCase``
and pytest-django's ``db`` fixture see what a route wrote and roll it back, and the
route sees what the test wrote before committing.

The checks live in a small project (``testdb_project``: sync and async routes with the
ORM, a plain Django view) and run in a child process on a copy of it, under pytest with
pytest-django and under Django's own test runner, so this suite's Django set-up is left
alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import support

PROJECT = Path(__file__).resolve().parent / "testdb_project"


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = support.subprocess_env(())
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["NOTES_DATABASE"] = str(project / "notes.sqlite3")
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    # The child's pytest takes its root and settings from here, not from this repository.
    (project / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = notesproj.settings\n")
    return project


def test_pytest_django_db_fixture_and_testcase_share_the_tests_connection(tmp_path):
    project = copy_project(tmp_path)
    result = run(
        project,
        *("-m", "pytest", "-q", "-p", "no:cacheprovider"),
        *("checks_pytest.py", "checks_testcase.py"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9 passed" in result.stdout


def test_django_test_runner_testcase_shares_the_tests_connection(tmp_path):
    project = copy_project(tmp_path)
    result = run(project, "manage.py", "test", "--pattern", "checks_testcase.py", "-v", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ran 6 tests" in result.stderr
    assert "test_1_routes_see_the_tests_uncommitted_data" in result.stderr
