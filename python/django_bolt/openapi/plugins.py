"""Render plugins: the HTML pages that show the OpenAPI document with a JavaScript UI.

Each page loads its UI from the files this package serves under ``{docs path}/assets/``
(or from a CDN: ``OpenAPIConfig(assets="cdn")``, see ``assets.py``) and points it at the
document's URL. No page has an inline script or style, so every page works under a
strict Content-Security-Policy (docs/openapi.md). Pass ``js_url=`` (and ``css_url=``
where a UI has a stylesheet) to load a UI from elsewhere; ``path=`` changes the page's
sub-path.
"""

from __future__ import annotations

import html

from .assets import AssetURLs

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
    #: The UI's entry in ``assets.json``, and its script's and stylesheet's names there.
    ui = ""
    js_name = ""
    css_name = ""
    #: A UI of your own (no ``ui``): its script's and stylesheet's URLs.
    default_js_url = ""
    default_css_url = ""

    def __init__(
        self, *, path: str | None = None, js_url: str | None = None, css_url: str | None = None
    ) -> None:
        self.path = (path or self.default_path).strip("/")
        if not self.path or "/" in self.path:
            raise ValueError(f"{type(self).__name__}: path {path!r} must be one path segment")
        self.js_url = js_url
        self.css_url = css_url

    def render(self, openapi_url: str, title: str, assets: AssetURLs) -> str:
        """The whole HTML page for the document at ``openapi_url``."""
        js = self.js_url or self._asset(self.js_name, assets) or self.default_js_url
        css = self.css_url or self._asset(self.css_name, assets) or self.default_css_url
        stylesheet = f'<link rel="stylesheet" href="{_attribute(css)}">\n' if css else ""
        return (
            "<!DOCTYPE html>\n<html>\n<head>\n"
            '<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n{stylesheet}</head>\n"
            f"<body>\n{self.body(openapi_url, js, assets)}\n</body>\n</html>\n"
        )

    def body(self, openapi_url: str, js_url: str, assets: AssetURLs) -> str:
        """The page's body: the UI's element pointing at ``openapi_url`` and its script
        at ``js_url``; ``assets.own(name)`` is the URL of a start-up script of ours."""
        raise NotImplementedError

    def _asset(self, name: str, assets: AssetURLs) -> str:
        return assets.url(self.ui, name) if self.ui and name else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r})"


def _attribute(value: str) -> str:
    return html.escape(value, quote=True)


def _script(url: str, module: bool = False) -> str:
    kind = ' type="module"' if module else ""
    return f'<script{kind} src="{_attribute(url)}"></script>'


class SwaggerRenderPlugin(RenderPlugin):
    """Swagger UI: browse and try every operation."""

    default_path = "swagger"
    ui = "swagger-ui"
    js_name = "swagger-ui-bundle.js"
    css_name = "swagger-ui.css"

    def body(self, openapi_url: str, js_url: str, assets: AssetURLs) -> str:
        return (
            f'<div id="swagger-ui" data-url="{_attribute(openapi_url)}"></div>\n'
            f"{_script(js_url)}\n{_script(assets.own('swagger-init.js'))}"
        )


class RedocRenderPlugin(RenderPlugin):
    """Redoc: a three-panel reference."""

    default_path = "redoc"
    ui = "redoc"
    js_name = "redoc.standalone.js"

    def body(self, openapi_url: str, js_url: str, assets: AssetURLs) -> str:
        return f'<redoc spec-url="{_attribute(openapi_url)}"></redoc>\n{_script(js_url)}'


class ScalarRenderPlugin(RenderPlugin):
    """Scalar API reference."""

    default_path = "scalar"
    ui = "scalar"
    js_name = "standalone.js"

    def body(self, openapi_url: str, js_url: str, assets: AssetURLs) -> str:
        return (
            f'<div id="scalar-reference" data-url="{_attribute(openapi_url)}"></div>\n'
            f"{_script(js_url)}\n{_script(assets.own('scalar-init.js'))}"
        )


class RapidocRenderPlugin(RenderPlugin):
    """RapiDoc: a web component reference with a try-it console."""

    default_path = "rapidoc"
    ui = "rapidoc"
    js_name = "rapidoc-min.js"

    def body(self, openapi_url: str, js_url: str, assets: AssetURLs) -> str:
        return (
            f"{_script(js_url, module=True)}\n"
            # load-fonts="false": RapiDoc would fetch its fonts from Google's; system fonts.
            f'<rapi-doc spec-url="{_attribute(openapi_url)}" render-style="read" '
            'load-fonts="false"></rapi-doc>'
        )


class StoplightRenderPlugin(RenderPlugin):
    """Stoplight Elements."""

    default_path = "stoplight"
    ui = "stoplight"
    js_name = "web-components.min.js"
    css_name = "styles.min.css"

    def body(self, openapi_url: str, js_url: str, assets: AssetURLs) -> str:
        return (
            f"{_script(js_url)}\n"
            f'<elements-api apiDescriptionUrl="{_attribute(openapi_url)}" router="hash" '
            'layout="sidebar"></elements-api>'
        )
