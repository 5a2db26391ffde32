"""Render plugins: the HTML pages that show the OpenAPI document with a JavaScript UI.

``JsonRenderPlugin`` and ``YamlRenderPlugin`` serve the document itself, encoded, at
their paths instead of a page.

Each page loads its UI from the files this package serves under ``{docs path}/assets/``
(or from a CDN: ``OpenAPIConfig(assets="cdn")``, see ``assets.py``) and points it at the
document's URL. No page has an inline script or style, so every page works under a
strict Content-Security-Policy (docs/openapi.md). Pass ``js_url=`` (and ``css_url=``
where a UI has a stylesheet) to load a UI from elsewhere; ``path=`` changes the page's
sub-path.
"""

from __future__ import annotations

import html
from typing import Any

import msgspec

from .assets import AssetURLs

__all__ = [
    "DocumentRenderPlugin",
    "JsonRenderPlugin",
    "RapidocRenderPlugin",
    "RedocRenderPlugin",
    "RenderPlugin",
    "ScalarRenderPlugin",
    "StoplightRenderPlugin",
    "SwaggerRenderPlugin",
    "YamlRenderPlugin",
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

    @property
    def paths(self) -> list[str]:
        """Every sub-path it is served at."""
        return [self.path]

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


class MissingDependency(RuntimeError):
    """A plugin cannot encode the document without a package that is not installed."""


class DocumentRenderPlugin(RenderPlugin):
    """The document itself, encoded by ``encode``, served as ``media_type`` at each of
    ``path`` (one sub-path or a list of them)."""

    default_paths: tuple[str, ...] = ()
    media_type = ""

    def __init__(self, *, path: str | list[str] | None = None, media_type: str | None = None):
        names = [path] if isinstance(path, str) else list(path or self.default_paths)
        self._paths = [name.strip("/") for name in names]
        if not self._paths or any(not name or "/" in name for name in self._paths):
            raise ValueError(f"{type(self).__name__}: path {path!r} must be one path segment each")
        self.path = self._paths[0]
        self.js_url = self.css_url = None
        if media_type is not None:
            self.media_type = media_type

    @property
    def paths(self) -> list[str]:
        return list(self._paths)

    def encode(self, document: dict[str, Any]) -> bytes:
        raise NotImplementedError

    def render(self, openapi_url: str, title: str, assets: AssetURLs) -> str:
        raise TypeError(f"{type(self).__name__} serves the document, not a page")


class JsonRenderPlugin(DocumentRenderPlugin):
    """The document as JSON (at the document's own path by default, which it then
    serves with the OpenAPI JSON media type)."""

    default_paths = ("openapi.json",)
    media_type = "application/vnd.oai.openapi+json"

    def encode(self, document: dict[str, Any]) -> bytes:
        return msgspec.json.encode(document)


class YamlRenderPlugin(DocumentRenderPlugin):
    """The document as YAML, written by PyYAML (``pip install pyyaml``); without it the
    paths answer 501 saying so."""

    default_paths = ("openapi.yaml", "openapi.yml")
    media_type = "text/yaml; charset=utf-8"

    def encode(self, document: dict[str, Any]) -> bytes:
        try:
            import yaml
        except ImportError:
            raise MissingDependency(
                "YamlRenderPlugin needs PyYAML to write the document: pip install pyyaml "
                "(or serve it as JSON with JsonRenderPlugin)"
            ) from None
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        return text.encode()
