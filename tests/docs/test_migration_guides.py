"""The migration guides (``docs/migrate/``) run.

Each guide's django-bolt code is a file of ``docs/migrate/examples`` (a small Django
project: the ``books`` app and one package per guide). Here:

- the examples' own test files run under pytest with pytest-django, in a child process
  on a copy of the project (this suite's Django set-up is left alone), and each
  django-bolt API's tests must pass; the FastAPI, DRF and Ninja "before" sides run too,
  and skip only when their framework is not installed;
- every Python code block of a guide is marked with the example file it comes from and
  appears in that file verbatim, so the guides and the tested code cannot drift;
- what the guides say does not work today (names of the original django-bolt, Django's
  ``Http404`` in a handler) is checked to be so.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys

import pytest
import support

from django_bolt import BoltAPI
from django_bolt.testing import TestClient

GUIDES_DIR = support.REPO_ROOT / "docs" / "migrate"
EXAMPLES_DIR = GUIDES_DIR / "examples"
GUIDES = ["fastapi.md", "drf.md", "ninja.md", "django-bolt.md"]
BOLT_PACKAGES = ["from_fastapi", "from_drf", "from_ninja", "from_bolt", "from_original"]
BEFORE_SIDES = {
    "from_fastapi/test_fastapi_app.py": "fastapi",
    "from_drf/test_drf_app.py": "rest_framework",
    "from_ninja/test_ninja_app.py": "ninja",
}
# A Python block is preceded by one of these HTML comments (invisible when rendered).
MARKER = re.compile(r"<!-- (example|not-run): ([^>]*?) -->\n+```python\n(.*?)```", re.S)
PYTHON_BLOCK = re.compile(r"^```python$", re.M)


@pytest.fixture(scope="module")
def examples_run(tmp_path_factory) -> str:
    """The verbose output of pytest over every example test, run on a copy."""
    project = tmp_path_factory.mktemp("migrate") / "examples"
    shutil.copytree(EXAMPLES_DIR, project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = bookshop.settings\n")
    env = support.subprocess_env(())
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["BOOKSHOP_DATABASE"] = str(project / "db.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-rs", "-p", "no:cacheprovider", "."],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("package", BOLT_PACKAGES)
def test_each_guides_django_bolt_api_passes_its_tests(examples_run, package):
    passed = re.findall(rf"^{package}/test_api\.py::(\w+) PASSED", examples_run, re.M)
    assert sorted(passed) == [
        "test_crud",
        "test_invalid_input_is_422",
        "test_list_is_paginated_and_filtered",
        "test_openapi_document",
        "test_writes_need_a_valid_token",
    ], examples_run


@pytest.mark.parametrize("test_file", sorted(BEFORE_SIDES))
def test_the_source_frameworks_side_passes_or_is_not_installed(examples_run, test_file):
    outcomes = re.findall(rf"^{re.escape(test_file)}::\w+ (\w+)", examples_run, re.M)
    if importlib.util.find_spec(BEFORE_SIDES[test_file]) is None:
        assert re.search(rf"^{re.escape(test_file)} SKIPPED", examples_run, re.M), examples_run
    else:
        assert outcomes and set(outcomes) == {"PASSED"}, examples_run


def guide_blocks(guide: str) -> list[tuple[str, str, str]]:
    text = (GUIDES_DIR / guide).read_text()
    blocks = MARKER.findall(text)
    assert len(blocks) == len(PYTHON_BLOCK.findall(text)), (
        f"{guide}: every ```python block needs an <!-- example: path --> or "
        "<!-- not-run: why --> comment right before it"
    )
    return blocks


@pytest.mark.parametrize("guide", GUIDES)
def test_guide_code_blocks_are_the_example_files(guide):
    examples = [(path, code) for kind, path, code in guide_blocks(guide) if kind == "example"]
    assert examples, f"{guide} shows no example file"
    for path, code in examples:
        source = (EXAMPLES_DIR / path).read_text()
        assert code in source, f"{guide}: a block marked {path} is not verbatim in that file"


def test_every_example_file_is_shown_in_a_guide():
    shown = {path for guide in GUIDES for kind, path, _ in guide_blocks(guide) if kind == "example"}
    files = {
        str(path.relative_to(EXAMPLES_DIR))
        for package in BOLT_PACKAGES
        for path in (EXAMPLES_DIR / package).glob("*.py")
        if path.name != "__init__.py"
    }
    assert files <= shown, f"example files no guide shows: {sorted(files - shown)}"


def test_the_guides_are_linked_from_the_readme_and_the_index():
    readme = (support.REPO_ROOT / "README.md").read_text()
    index = (GUIDES_DIR / "README.md").read_text()
    for guide in GUIDES:
        assert f"docs/migrate/{guide}" in readme
        assert f"]({guide})" in index


# What docs/migrate/django-bolt.md says code written for the original django-bolt must
# change today. When one of these names arrives, the guide must say so: update it.
MISSING_TODAY = []
AVAILABLE_TODAY = [
    ("django_bolt", "Router"),
    ("django_bolt.router", "Router"),
    ("django_bolt.openapi", "JsonRenderPlugin"),
    ("django_bolt.responses", "EventSourceResponse"),
    ("django_bolt", "APIView"),
    ("django_bolt.types", "Request"),
    ("django_bolt.health", "add_health_check"),
    ("django_bolt.shortcuts", "render"),
    ("django_bolt.websocket", "CloseCode"),
    ("django_bolt.websocket", "WebSocketException"),
    ("django_bolt.testing", "WebSocketTestClient"),
    ("django_bolt", "IsAuthenticated"),
    ("django_bolt", "AllowAny"),
    ("django_bolt", "create_jwt_for_user"),
    ("django_bolt", "Request"),
    ("django_bolt", "Depends"),
    ("django_bolt", "paginate"),
    ("django_bolt.auth", "JWTAuthentication"),
    ("django_bolt.exceptions", "HTTPException"),
    ("django_bolt.views", "APIView"),
    *(
        ("django_bolt.views", name)
        for name in ("ViewSet", "ModelViewSet", "ReadOnlyModelViewSet", "ListMixin")
    ),
    ("django_bolt", "ModelViewSet"),
    ("django_bolt", "ViewSet"),
    ("django_bolt", "action"),
    ("django_bolt.decorators", "action"),
    ("django_bolt.param_functions", "Query"),
    ("django_bolt.pagination", "PageNumberPagination"),
    ("django_bolt.serializers", "Serializer"),
    *(
        ("django_bolt.serializers", name)
        for name in (
            "Email",
            "Char255",
            "PositiveInt",
            "Nested",
            "computed_field",
            "field",
            "create_serializer",
            "create_serializer_set",
            "SerializerView",
        )
    ),
    *(
        ("django_bolt", name)
        for name in (
            "IsAdminUser",
            "IsStaff",
            "HasPermission",
            "HasAnyPermission",
            "HasAllPermissions",
            "UploadFile",
            "FileSize",
            "cors",
            "rate_limit",
            "no_compress",
            "skip_middleware",
            "HTTPException",
            "HTML",
            "LoggingMiddleware",
            "BaseMiddleware",
        )
    ),
    *(
        ("django_bolt.param_functions", name)
        for name in ("Path", "Header", "Cookie", "Body", "Form", "File", "Depends")
    ),
    ("django_bolt.auth", "APIKeyAuthentication"),
    *(
        ("django_bolt.auth", name)
        for name in (
            "IsAuthenticated",
            "AllowAny",
            "create_jwt_for_user",
            "InMemoryRevocation",
            "DjangoCacheRevocation",
            "DjangoORMRevocation",
            "register_auth_backend",
            "get_current_user",
            "get_auth_context",
            "Token",
        )
    ),
    *(("django_bolt", name) for name in ("get_current_user", "get_auth_context", "CurrentUser")),
    ("django_bolt.exceptions", "RequestValidationError"),
    *(
        ("django_bolt.exceptions", name)
        for name in ("NotFound", "Unauthorized", "Forbidden", "BadRequest", "ValidationException")
    ),
    *(
        ("django_bolt.params", name)
        for name in ("Query", "Path", "Header", "Cookie", "Body", "Form", "File", "Depends")
    ),
    ("django_bolt.request", "Request"),
    ("django_bolt.status_codes", "HTTP_201_CREATED"),
    ("django_bolt.datastructures", "UploadFile"),
    ("django_bolt.enums", "FileSize"),
    ("django_bolt.enums", "MediaType"),
    ("django_bolt.testing", "AsyncTestClient"),
]


def offers(module: str, name: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


@pytest.mark.parametrize(("module", "name"), MISSING_TODAY)
def test_names_the_guide_says_are_missing_are_missing(module, name):
    assert not offers(module, name), (
        f"{module}.{name} exists now: update docs/migrate/django-bolt.md and this list"
    )


@pytest.mark.parametrize(("module", "name"), AVAILABLE_TODAY)
def test_names_the_guide_says_to_use_exist(module, name):
    assert offers(module, name)


def test_boltapi_has_viewset_mount_and_django_middleware():
    api = BoltAPI(django_middleware=False)
    assert hasattr(api, "viewset") and hasattr(api, "mount")
    assert api.middleware == ()


def test_boltapi_takes_enable_logging():
    BoltAPI(enable_logging=True)


def test_http404_in_a_handler_is_a_500_so_guides_raise_httpexception():
    from django.http import Http404

    api = BoltAPI()

    @api.get("/books/{book_id}")
    async def read_book(book_id: int):
        raise Http404("No Book matches the given query.")

    with TestClient(api, raise_server_exceptions=False) as client:
        assert client.get("/books/1").status_code == 500


def test_original_testclient_usage_works_unchanged():
    api = BoltAPI()

    @api.post("/echo")
    async def echo(request):
        return {"body": request.body.decode()}

    client = TestClient(api, use_http_layer=True)  # no `with`: closed explicitly
    try:
        assert client.post("/echo", content=b"raw").json() == {"body": "raw"}
    finally:
        client.close()
