"""A project assembled as a user would (issue 13): a new Django project in a temporary
directory, its package and two apps each with an ``api.py`` pasted from the spec's
examples, served by a real runbolt process. One route copied from the spec uses
``APIKeyAuthentication()`` with no keys configured, and two ``api.py`` files pass an
``openapi_config``: the server still starts and serves everything else."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import support
from openapi_spec_validator import validate

SETTINGS = """
SECRET_KEY = "assembled-project-tests-only-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_bolt",
    "shop",
    "blog",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "mysite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
USE_TZ = True
STATIC_URL = "static/"
"""

URLS = """
from django.contrib import admin
from django.http import HttpResponse
from django.urls import path


def hello(request):
    return HttpResponse("hello from django")


urlpatterns = [path("admin/", admin.site.urls), path("hello/", hello)]
"""

MANAGE = """
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
from django.core.management import execute_from_command_line

execute_from_command_line(sys.argv)
"""

# The spec's "OpenAPI documentation" example (its second config), in the project package.
PROJECT_API = """
from django_bolt import (
    BoltAPI,
    OpenAPIConfig,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
)

api = BoltAPI(
    openapi_config=OpenAPIConfig(
        title="Acme API",
        version="2.0.0",
        description="The Acme Corp backend API",
        path="/docs",
        enabled=True,
        render_plugins=[
            SwaggerRenderPlugin(),
            RedocRenderPlugin(),
            ScalarRenderPlugin(),
            RapidocRenderPlugin(),
            StoplightRenderPlugin(),
        ],
        exclude_paths=["/admin", "/static"],
        include_error_responses=True,
        use_handler_docstrings=True,
    ),
)


@api.get(
    "/items",
    tags=["items"],
    summary="List all items",
    description="Returns a paginated list of items with optional filters.",
)
async def list_items():
    \"\"\"This docstring is also used as the description if use_handler_docstrings=True.\"\"\"
    return []
"""

# The spec's first OpenAPIConfig, with its "Error handling" routes, in an app.
SHOP_API = """
from django_bolt import BoltAPI, OpenAPIConfig
from django_bolt.exceptions import HTTPException

api = BoltAPI(
    openapi_config=OpenAPIConfig(
        title="My API",
        version="1.0.0",
    ),
)


async def fetch_item(item_id):
    return {"id": item_id} if item_id == 1 else None


@api.get("/items/{item_id}")
async def get_item(item_id: int):
    item = await fetch_item(item_id)
    if not item:
        raise HTTPException(status_code=404, detail="Item not found")
    return item
"""

# The spec's "Authentication and guards" routes, the API key one included, in an app.
BLOG_API = """
from django_bolt import (
    AllowAny,
    APIKeyAuthentication,
    BoltAPI,
    HasPermission,
    IsAuthenticated,
    JWTAuthentication,
    Request,
)

api = BoltAPI()


@api.get("/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def me(request: Request):
    return {"user_id": request.user.id, "username": request.user.username}


@api.get("/api/data", auth=[APIKeyAuthentication()], guards=[IsAuthenticated()])
async def api_data(request: Request):
    return {"data": "secret"}


@api.post(
    "/articles",
    auth=[JWTAuthentication()],
    guards=[IsAuthenticated(), HasPermission("blog.add_article")],
)
async def create_article(title: str, body: str):
    return {"title": title}


@api.get("/public", guards=[AllowAny()])
async def public():
    return {"public": True}
"""


def assemble(root: Path, **extra_apis: str) -> Path:
    """The project in ``root``: ``mysite`` (settings, urls, api.py) and the apps
    ``shop`` and ``blog``; ``extra_apis`` replace an app's api.py."""
    apis = {"mysite": PROJECT_API, "shop": SHOP_API, "blog": BLOG_API, **extra_apis}
    files = {
        "manage.py": MANAGE,
        "mysite/settings.py": SETTINGS,
        "mysite/urls.py": URLS,
        **{f"{package}/api.py": source for package, source in apis.items()},
    }
    for package in apis:
        files[f"{package}/__init__.py"] = ""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    support.manage(root, "migrate", "-v", "0")
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    project = assemble(tmp_path_factory.mktemp("assembled"))
    with support.serve_django(project) as process:
        yield process


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_an_api_key_route_without_keys_refuses_every_request(server, protocol):
    with support.make_client(server.base_url, protocol) as client:
        missing = client.get("/api/data")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "ApiKey"
        for key in ("anything", "x" * 64):
            refused = client.get("/api/data", headers={"X-API-Key": key})
            assert refused.status_code == 401
            assert "BOLT_API_KEYS" in refused.json()["detail"]


def test_the_start_up_log_names_the_route_and_the_setting_once(server):
    warnings = [line for line in server.stderr().splitlines() if "APIKeyAuthentication" in line]
    assert len(warnings) == 1, server.stderr()
    assert "GET /api/data (blog.api.api_data)" in warnings[0]
    assert "BOLT_API_KEYS" in warnings[0] and "api_keys=" in warnings[0]


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_every_other_route_the_admin_and_django_views_are_served(server, protocol):
    with support.make_client(server.base_url, protocol) as client:
        assert client.get("/public").json() == {"public": True}
        assert client.get("/items").json() == []
        assert client.get("/items/1").json() == {"id": 1}
        assert client.get("/items/2").json() == {"detail": "Item not found"}
        assert client.get("/me").status_code == 401
        assert client.get("/hello/").text == "hello from django"
        login = client.get("/admin/login/")
        assert login.status_code == 200 and "csrfmiddlewaretoken" in login.text


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_one_document_of_every_app_with_the_projects_config(server, protocol):
    with support.make_client(server.base_url, protocol) as client:
        response = client.get("/docs/openapi.json")
        assert response.status_code == 200
        document = response.json()
        validate(document)
        assert document["info"]["title"] == "Acme API"
        assert document["info"]["version"] == "2.0.0"
        assert {"/items", "/items/{item_id}", "/api/data", "/articles", "/public"} <= set(
            document["paths"]
        )
        for page in ("/docs", "/docs/redoc", "/docs/scalar"):
            assert client.get(page).status_code == 200, page


def test_the_ignored_config_is_logged_once_naming_its_module(server):
    lines = [line for line in server.stderr().splitlines() if "openapi_config ignored" in line]
    assert len(lines) == 1, server.stderr()
    assert "shop.api" in lines[0] and "mysite.api" in lines[0]


def test_the_first_discovered_config_wins_without_one_in_the_project(tmp_path):
    plain = "from django_bolt import BoltAPI\n\napi = BoltAPI()\n"
    blog = BLOG_API.replace(
        "api = BoltAPI()", 'api = BoltAPI(openapi_config=OpenAPIConfig(title="Blog"))'
    ).replace("    Request,\n", "    OpenAPIConfig,\n    Request,\n")
    project = assemble(tmp_path, mysite=plain, blog=blog)
    with support.serve_django(project) as server:
        with support.make_client(server.base_url, "http1") as client:
            assert client.get("/docs/openapi.json").json()["info"]["title"] == "My API"
        assert "blog.api: openapi_config ignored" in server.stderr()


def test_duplicate_user_routes_still_stop_start_up(tmp_path):
    shop = SHOP_API + '\n\n@api.get("/public")\nasync def shop_public():\n    return {}\n'
    project = assemble(tmp_path, shop=shop)
    result = subprocess.run(
        [sys.executable, "manage.py", "runbolt", "--port", str(support.free_port())],
        cwd=project,
        env=support.subprocess_env(()),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "duplicate route GET /public" in result.stderr
    assert "shop.api.shop_public" in result.stderr and "blog.api.public" in result.stderr
