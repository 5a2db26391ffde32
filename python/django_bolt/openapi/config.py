"""``OpenAPIConfig``: what the OpenAPI document says about the API, and where it is served."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .assets import ASSETS_NAME, SOURCES
from .django_auth import check_django_auth
from .plugins import DocumentRenderPlugin, RenderPlugin, SwaggerRenderPlugin

#: The document's sub-path under the docs path.
DOCUMENT_NAME = "openapi.json"


def _default_plugins() -> list[RenderPlugin]:
    return [SwaggerRenderPlugin()]


@dataclass
class OpenAPIConfig:
    """Serve an OpenAPI 3.1 document of every Bolt route at ``{path}/openapi.json``,
    the first render plugin's page at ``path`` and each plugin's at ``{path}/{its path}``.

    ``exclude_paths``: routes whose path starts with one of these are left out.
    ``include_error_responses``: describe the 422 a route with inputs may answer.
    ``use_handler_docstrings``: a handler's docstring describes a route that was given
    no ``description``.
    ``django_auth``: serve the docs only to whom a Django view decorator lets through
    (``True`` is ``login_required``; ``staff_member_required``, ...), judged on the
    request's Django session.
    """

    title: str = "API"
    version: str = "1.0.0"
    description: str | None = None
    path: str = "/docs"
    enabled: bool = True
    render_plugins: list[RenderPlugin] = field(default_factory=_default_plugins)
    exclude_paths: list[str] = field(default_factory=list)
    include_error_responses: bool = True
    use_handler_docstrings: bool = True
    assets: str = "package"
    django_auth: Any = None

    def __post_init__(self) -> None:
        check_django_auth(self.django_auth)
        if not self.path.startswith("/"):
            raise ValueError(f"OpenAPIConfig: path {self.path!r} must start with '/'")
        self.path = self.path.rstrip("/") or "/"
        for plugin in self.render_plugins:
            if not isinstance(plugin, RenderPlugin):
                raise TypeError(f"OpenAPIConfig: {plugin!r} is not a render plugin")
        if self.assets not in SOURCES:
            raise ValueError(f"OpenAPIConfig: assets {self.assets!r} must be one of {SOURCES}")
        # A document plugin may take the document's own path (JsonRenderPlugin does).
        paths = [
            path
            for plugin in self.render_plugins
            for path in plugin.paths
            if not (isinstance(plugin, DocumentRenderPlugin) and path == DOCUMENT_NAME)
        ]
        reserved = [DOCUMENT_NAME, ASSETS_NAME]
        paths += reserved
        if len(set(paths)) != len(paths):
            raise ValueError(
                f"OpenAPIConfig: render plugins need distinct paths, other than "
                f"{' and '.join(map(repr, reserved))}: {paths[: -len(reserved)]}"
            )
        for prefix in self.exclude_paths:
            if not prefix.startswith("/"):
                raise ValueError(f"OpenAPIConfig: exclude path {prefix!r} must start with '/'")

    def url(self, name: str) -> str:
        """The URL of ``name`` under the docs path."""
        return f"{self.path.rstrip('/')}/{name}"

    def excludes(self, path: str) -> bool:
        return any(path.startswith(prefix) for prefix in self.exclude_paths)
