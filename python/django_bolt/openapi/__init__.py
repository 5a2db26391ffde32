"""OpenAPI documentation: ``BoltAPI(openapi_config=OpenAPIConfig(...))`` serves an
OpenAPI 3.1 document of every Bolt route and pages that show it (see docs/openapi.md)."""

from .config import OpenAPIConfig
from .document import build_document
from .plugins import (
    JsonRenderPlugin,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    RenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from .routes import docs_assets, docs_routes

__all__ = [
    "JsonRenderPlugin",
    "OpenAPIConfig",
    "RapidocRenderPlugin",
    "RedocRenderPlugin",
    "RenderPlugin",
    "ScalarRenderPlugin",
    "StoplightRenderPlugin",
    "SwaggerRenderPlugin",
    "YamlRenderPlugin",
    "build_document",
    "docs_assets",
    "docs_routes",
]
