"""Render plugins: the HTML pages that show the OpenAPI document with a JavaScript UI.

Each page loads its UI from a public CDN and points it at the document's URL. Pass
``js_url=`` (and ``css_url=`` where a UI has a stylesheet) to load it from elsewhere,
for example from your own static files; ``path=`` changes the page's sub-path.
"""

from __future__ import annotations

import html
import json

__all__ = [
    "RapidocRenderPlugin",
    "RedocRenderPlugin",
    "RenderPlugin",
    "ScalarRenderPlugin",
    "StoplightRenderPlugin",
    "SwaggerRenderPlugin",
]


class RenderPlugin:
    """One documentation UI, served at ``{docs path}/{path}``."""

    #: The sub-path under the docs path, and the UI's name.
    default_path = ""
    default_js_url = ""
    #: The UI's stylesheet, for UIs that have one.
    default_css_url = ""

    def __init__(
        self, *, path: str | None = None, js_url: str | None = None, css_url: str | None = None
    ) -> None:
        self.path = (path or self.default_path).strip("/")
        if not self.path or "/" in self.path:
            raise ValueError(f"{type(self).__name__}: path {path!r} must be one path segment")
        self.js_url = js_url or self.default_js_url
        self.css_url = css_url or self.default_css_url

    def render(self, openapi_url: str, title: str) -> str:
        """The whole HTML page for the document at ``openapi_url``."""
        return (
            "<!DOCTYPE html>\n<html>\n<head>\n"
            '<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n{self.head()}</head>\n"
            f"<body>\n{self.body(openapi_url)}\n</body>\n</html>\n"
        )

    def head(self) -> str:
        if not self.css_url:
            return ""
        return f'<link rel="stylesheet" href="{_attribute(self.css_url)}">\n'

    def body(self, openapi_url: str) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r})"


def _attribute(value: str) -> str:
    return html.escape(value, quote=True)


def _script_literal(value: str) -> str:
    """``value`` as a JavaScript string literal that cannot end the <script> element."""
    return json.dumps(value).replace("<", "\\u003c")


class SwaggerRenderPlugin(RenderPlugin):
    """Swagger UI: browse and try every operation."""

    default_path = "swagger"
    default_js_url = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
    default_css_url = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"

    def body(self, openapi_url: str) -> str:
        return (
            '<div id="swagger-ui"></div>\n'
            f'<script src="{_attribute(self.js_url)}"></script>\n'
            "<script>\n"
            f"SwaggerUIBundle({{url: {_script_literal(openapi_url)}, dom_id: '#swagger-ui', "
            "deepLinking: true});\n"
            "</script>"
        )


class RedocRenderPlugin(RenderPlugin):
    """Redoc: a three-panel reference."""

    default_path = "redoc"
    default_js_url = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"

    def body(self, openapi_url: str) -> str:
        return (
            f'<redoc spec-url="{_attribute(openapi_url)}"></redoc>\n'
            f'<script src="{_attribute(self.js_url)}"></script>'
        )


class ScalarRenderPlugin(RenderPlugin):
    """Scalar API reference."""

    default_path = "scalar"
    default_js_url = "https://cdn.jsdelivr.net/npm/@scalar/api-reference"

    def body(self, openapi_url: str) -> str:
        return (
            f'<script id="api-reference" data-url="{_attribute(openapi_url)}"></script>\n'
            f'<script src="{_attribute(self.js_url)}"></script>'
        )


class RapidocRenderPlugin(RenderPlugin):
    """RapiDoc: a web component reference with a try-it console."""

    default_path = "rapidoc"
    default_js_url = "https://cdn.jsdelivr.net/npm/rapidoc@9/dist/rapidoc-min.js"

    def body(self, openapi_url: str) -> str:
        return (
            f'<script type="module" src="{_attribute(self.js_url)}"></script>\n'
            f'<rapi-doc spec-url="{_attribute(openapi_url)}" render-style="read"></rapi-doc>'
        )


class StoplightRenderPlugin(RenderPlugin):
    """Stoplight Elements."""

    default_path = "stoplight"
    default_js_url = "https://unpkg.com/@stoplight/elements/web-components.min.js"
    default_css_url = "https://unpkg.com/@stoplight/elements/styles.min.css"

    def head(self) -> str:
        return f'<script src="{_attribute(self.js_url)}"></script>\n' + super().head()

    def body(self, openapi_url: str) -> str:
        return (
            f'<elements-api apiDescriptionUrl="{_attribute(openapi_url)}" router="hash" '
            'layout="sidebar"></elements-api>'
        )
