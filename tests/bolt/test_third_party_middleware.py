"""Third-party Django middleware around Bolt routes (``BoltAPI(django_middleware=...)``),
with the real packages: django-tenants' ``TenantMainMiddleware`` on a real PostgreSQL
(each Host sees its own tenant's rows, concurrent requests of two tenants never mix),
and django-debug-toolbar's ``DebugToolbarMiddleware`` (JSON untouched, the toolbar in
HTML pages, its panels served).
Project: tests/bolt/thirdparty_project."""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import support

PROJECT = support.TESTS_DIR / "bolt" / "thirdparty_project"
#: What customers' seed_tenants command writes in each tenant's schema.
NOTES = {"alpha": ["a1", "a2"], "beta": ["b1", "b2", "b3"]}
#: The routes' handlers (check_tenants_testclient.py calls these): a sync one, an
#: async one, a sync one with an async dependency that queries too.
HANDLERS = ["sync", "async", "depends"]
KINDS = [*HANDLERS, "queryset"]
SETTINGS = "tenantsproj.settings"
TOOLBAR_SETTINGS = "toolbarproj.settings"

sys.path.insert(0, str(PROJECT))
import toolbar_checks  # noqa: E402


@pytest.fixture(scope="module")
def tenants_env(postgres_server):
    """The tenants project's settings on the module's PostgreSQL server, migrated and
    seeded with the tenants alpha (alpha.test) and beta (beta.test)."""
    pytest.importorskip("django_tenants", reason="django-tenants is in the test extra")
    env = {
        "DJANGO_SETTINGS_MODULE": "tenantsproj.settings",
        "BOLT_PG_PORT": str(postgres_server.port),
    }
    support.manage(PROJECT, "migrate_schemas", "--shared", "-v", "0", env=env)
    support.manage(PROJECT, "seed_tenants", env=env)
    return env


@contextlib.contextmanager
def served(env: dict[str, str], **extra: str):
    with pytest.MonkeyPatch.context() as patch:
        # Not DJANGO_SETTINGS_MODULE: this process's Django (pytest-django) reads it.
        for name, value in {**env, **extra}.items():
            if name == "DJANGO_SETTINGS_MODULE":
                continue
            patch.setenv(name, value)
        with support.serve_django(PROJECT, "--settings", SETTINGS) as server:
            yield server


@pytest.fixture(scope="module")
def tenants_server(tenants_env):
    with served(tenants_env, BOLT_SYNC_WORKERS="4") as server:
        yield server


def expected(tenant: str) -> dict:
    return {"tenant": tenant, "notes": NOTES[tenant], "again": NOTES[tenant]}


def read(client: httpx.Client, tenant: str, kind: str) -> dict:
    """What ``/notes/<kind>`` answered for ``tenant``'s host, as ``expected`` has it (the
    queryset route answers rows, read after its handler returned: no tenant field)."""
    response = client.get(f"/notes/{kind}", headers={"Host": f"{tenant}.test"})
    assert response.status_code == 200, response.text
    body = response.json()
    if kind == "queryset":
        texts = [row["text"] for row in body]
        return {"tenant": tenant, "notes": texts, "again": texts}
    return without_extras(body)


def without_extras(body: dict) -> dict:
    """``body`` as ``expected`` has it, once the dependency's count (of the same rows)
    is checked and the sync route's schema name dropped."""
    body.pop("schema", None)
    count = body.pop("count", None)
    assert count is None or count == len(body["notes"]), body
    return body


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_each_host_sees_its_tenants_rows(tenants_server, protocol):
    with support.make_client(tenants_server.base_url, protocol) as client:
        for tenant, kind in itertools.product(NOTES, KINDS):
            assert read(client, tenant, kind) == expected(tenant), (
                f"{tenant} {kind}\n{tenants_server.stderr()[-3000:]}"
            )
        # The sync handler's own thread has the tenant's schema set on its connection.
        response = client.get("/notes/sync", headers={"Host": "beta.test"})
        assert response.json()["schema"] == "beta"


def test_unknown_host_is_djangos_404(tenants_server):
    with httpx.Client(base_url=tenants_server.base_url) as client:
        for kind in KINDS:
            response = client.get(f"/notes/{kind}", headers={"Host": "nowhere.test"})
            assert response.status_code == 404, response.text


def test_concurrent_requests_of_two_tenants_never_mix(tenants_server):
    """Many threads, both tenants and both handler kinds interleaved: the handlers pause
    between two reads, so each request's queries overlap with others'."""
    jobs = list(itertools.product(NOTES, KINDS)) * 40

    with httpx.Client(base_url=tenants_server.base_url, timeout=20) as client:

        def one(job: tuple[str, str]) -> tuple[tuple[str, str], dict]:
            return job, read(client, *job)

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(one, jobs))
    wrong = [(job, body) for job, body in results if body != expected(job[0])]
    assert not wrong, f"{len(wrong)} of {len(jobs)} mixed up, e.g. {wrong[:3]}"


def test_persistent_connections_keep_tenants_apart(tenants_env):
    """With CONN_MAX_AGE the middleware threads keep their connections between requests
    (and the tenant's search_path on them): the next request's tenant still wins."""
    with served(tenants_env, BOLT_SYNC_WORKERS="2", BOLT_CONN_MAX_AGE="60") as server:
        with httpx.Client(base_url=server.base_url) as client:
            for tenant, kind in [*itertools.product(NOTES, KINDS)] * 3:
                assert read(client, tenant, kind) == expected(tenant)


def test_other_routes_query_the_public_schema(tenants_env):
    """After a tenant's request, a stack without the tenant middleware on the same
    (single) middleware thread, and a route without Django middleware, are on the
    public schema: the tenant does not outlive its request."""
    with served(tenants_env, BOLT_SYNC_WORKERS="1", BOLT_CONN_MAX_AGE="60") as server:
        with httpx.Client(base_url=server.base_url) as client:
            for tenant, kind in itertools.product(NOTES, KINDS):
                assert read(client, tenant, kind) == expected(tenant)
                for path in ("/probe/schema", "/plain/schema"):
                    response = client.get(path, headers={"Host": f"{tenant}.test"})
                    assert response.json() == {"schema": "public"}, f"{path} after {tenant}"


def test_tenants_through_testclient(tenants_env):
    """TestClient runs the middleware and the handler's sync work on the test's thread,
    whose own tenant comes back after each request; Django is set up for the tenants
    project in a process of its own."""
    result = subprocess.run(
        [sys.executable, "check_tenants_testclient.py"],
        cwd=PROJECT,
        env=support.subprocess_env((PROJECT,), **tenants_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    for tenant, kind in itertools.product(NOTES, HANDLERS):
        status, body = seen[f"{tenant}.test {kind}"]
        assert (status, without_extras(body)) == (200, expected(tenant))
    assert [seen[f"nowhere.test {kind}"][0] for kind in HANDLERS] == [404] * len(HANDLERS)
    # The test's own tenant (set before the requests) is back on its connection.
    assert seen["schema after"] == "beta"


# ---- django-debug-toolbar ---------------------------------------------------------------


@pytest.fixture(scope="module")
def toolbar_env(tmp_path_factory):
    pytest.importorskip("debug_toolbar", reason="django-debug-toolbar is in the test extra")
    database = tmp_path_factory.mktemp("toolbar") / "db.sqlite3"
    env = {"DJANGO_SETTINGS_MODULE": TOOLBAR_SETTINGS, "BOLT_TEST_DATABASE": str(database)}
    support.manage(PROJECT, "migrate", "-v", "0", env=env)
    return env


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_debug_toolbar_over_a_socket(toolbar_env, protocol):
    """JSON of a Bolt route untouched, the toolbar in its HTML pages as in a Django
    view's, every panel of their requests served by the toolbar's own (Django) URLs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOLT_TEST_DATABASE", toolbar_env["BOLT_TEST_DATABASE"])
        with support.serve_django(PROJECT, "--settings", TOOLBAR_SETTINGS) as server:
            with support.make_client(server.base_url, protocol) as client:

                def get(path: str):
                    response = client.get(path)
                    return response.status_code, dict(response.headers), response.text

                try:
                    toolbar_checks.exercise(get)
                except AssertionError as failure:
                    raise AssertionError(f"{failure}\n{server.stderr()[-3000:]}") from None


def test_debug_toolbar_through_testclient(toolbar_env):
    result = subprocess.run(
        [sys.executable, "check_toolbar_testclient.py"],
        cwd=PROJECT,
        env=support.subprocess_env((PROJECT,), **toolbar_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert result.stdout.strip() == "ok"
