"""Fixtures for tests against the test Django project (``tests/bolt/project``)."""

from __future__ import annotations

import sys

import pytest
import support

from django_bolt.testing import TestClient


@pytest.fixture(scope="session")
def django_project(tmp_path_factory):
    """Django set up in this process with the project's settings on a migrated SQLite
    file; tests that need it skip when another project configured Django first."""
    import django
    from django.conf import settings

    if not settings.configured:
        sys.path.insert(0, str(support.BOLT_PROJECT_DIR))
        with pytest.MonkeyPatch.context() as env:
            env.setenv("DJANGO_SETTINGS_MODULE", "boltproj.settings")
            database = support.migrated_database(tmp_path_factory.mktemp("db"), "seed_auth_users")
            env.setenv("BOLT_TEST_DATABASE", str(database))
            django.setup()
    if "authapp" not in settings.INSTALLED_APPS:
        pytest.skip("Django is already set up for another project in this process")
    return settings


@pytest.fixture(scope="module")
def project_server(tmp_path_factory):
    """runbolt serving the project, on a migrated and seeded database of its own."""
    database = support.migrated_database(tmp_path_factory.mktemp("db"), "seed_auth_users")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        with support.serve_django(support.BOLT_PROJECT_DIR) as server:
            yield server


@pytest.fixture(params=["testclient", *support.PROTOCOLS])
def project_client(request):
    """The module's ``project_api`` through TestClient, then the whole project through
    a real runbolt process over each protocol."""
    if request.param == "testclient":
        # As the servers: a handler's exception is its 500.
        opened = TestClient(request.getfixturevalue("project_api"), raise_server_exceptions=False)
    else:
        server = request.getfixturevalue("project_server")
        opened = support.make_client(server.base_url, request.param)
    with opened as client:
        yield client
