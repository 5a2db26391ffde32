"""``JsonRenderPlugin`` and ``YamlRenderPlugin``: the OpenAPI document served, encoded,
at their paths (through TestClient and a real runbolt; routes in
tests/bolt/project/routingapp), and a clear 501 when PyYAML is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import support
import yaml

import django_bolt
from django_bolt import BoltAPI
from django_bolt.openapi import (
    JsonRenderPlugin,
    OpenAPIConfig,
    RedocRenderPlugin,
    YamlRenderPlugin,
)
from django_bolt.openapi import plugins as plugins_module
from django_bolt.testing import TestClient

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from routingapp.api import api  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT, "--settings", "boltproj.settings_routing") as server:
        yield server


@pytest.fixture(params=support.CLIENTS)
def client(request):
    with support.open_client(request, api) as client:
        yield client


def test_the_names_import_from_the_root_and_openapi():
    assert django_bolt.JsonRenderPlugin is plugins_module.JsonRenderPlugin
    assert django_bolt.YamlRenderPlugin is plugins_module.YamlRenderPlugin


def test_json_plugin_serves_the_document_with_the_openapi_media_type(client):
    response = client.get("/docs/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json"
    assert response.json()["info"]["title"] == "Routing"


@pytest.mark.parametrize("name", ["openapi.yaml", "openapi.yml"])
def test_yaml_plugin_serves_the_same_document(client, name):
    response = client.get(f"/docs/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/yaml; charset=utf-8"
    assert yaml.safe_load(response.text) == client.get("/docs/openapi.json").json()


def test_the_docs_page_is_still_the_first_html_plugin(client):
    response = client.get("/docs")
    assert response.status_code == 200 and "swagger-ui" in response.text


def test_without_pyyaml_the_yaml_path_says_what_to_install(monkeypatch):
    one = BoltAPI(openapi_config=OpenAPIConfig(render_plugins=[YamlRenderPlugin()]))

    @one.get("/x")
    async def x():
        return {}

    monkeypatch.setitem(sys.modules, "yaml", None)
    with TestClient(one) as client:
        response = client.get("/docs/openapi.yaml")
        assert response.status_code == 501
        assert "pip install pyyaml" in response.json()["detail"]
        assert client.get("/docs/openapi.json").status_code == 200


def test_paths_are_checked_when_configured():
    with pytest.raises(ValueError, match="one path segment"):
        JsonRenderPlugin(path="a/b")
    with pytest.raises(ValueError, match="distinct paths"):
        OpenAPIConfig(render_plugins=[YamlRenderPlugin(), JsonRenderPlugin(path="openapi.yml")])
    with pytest.raises(ValueError, match="distinct paths"):
        OpenAPIConfig(render_plugins=[RedocRenderPlugin(path="openapi.yaml"), YamlRenderPlugin()])
    custom = JsonRenderPlugin(path=["/spec.json", "schema"], media_type="application/json")
    assert custom.paths == ["spec.json", "schema"]
    one = BoltAPI(openapi_config=OpenAPIConfig(render_plugins=[custom]))
    with TestClient(one) as client:
        assert client.get("/docs/spec.json").headers["content-type"] == "application/json"
        assert client.get("/docs/schema").json()["openapi"].startswith("3.1")
        assert client.get("/docs").status_code == 404
