"""The documentation routes: ordinary Bolt routes serving the document and its UIs.

They are made when the route table is compiled, from every API served together, so
that one API's ``openapi_config`` documents the routes of all of them: the first API's
that has one (discovery puts the project package's ``api.py`` first). Another API's
config is ignored, with a log line naming it. The routes are not routes of any API, so
the document never describes them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import msgspec

from ..responses import HTML, Response
from ..routing import Route, analyse
from .assets import ASSETS_NAME, AssetURLs, asset_mount
from .config import DOCUMENT_NAME, OpenAPIConfig
from .django_auth import gated
from .document import build_document
from .plugins import DocumentRenderPlugin, MissingDependency, RenderPlugin

logger = logging.getLogger("django_bolt")


class Documented(Protocol):
    """What the documentation reads of an API (a ``BoltAPI``): its config and routes.
    Named here rather than imported, so that ``api.py`` (which serves these routes)
    stays above this package."""

    openapi_config: OpenAPIConfig | None
    routes: list[Route]


def docs_routes(apis: list[Documented], names: Sequence[str] | None = None) -> list[Route]:
    """The documentation routes of the first API with an ``openapi_config`` (none when
    it is disabled), describing every API. ``names``: each API's module, for the log
    line about the configs left out."""
    configured = [(i, api.openapi_config) for i, api in enumerate(apis) if api.openapi_config]
    if not configured:
        return []
    (chosen, config), *ignored = configured

    def name(index: int) -> str:
        return names[index] if names else f"BoltAPI #{index + 1}"

    for index, _ in ignored:
        logger.info(
            "%s: openapi_config ignored; one document describes every API, configured by %s",
            name(index),
            name(chosen),
        )
    return _routes_for(config, apis) if config.enabled else []


def docs_assets(apis: list[Documented]) -> tuple[str, list[tuple[str, str]], str, bool] | None:
    """The folder mount (as ``_core.StaticFiles`` takes it) of the docs pages' scripts
    and stylesheets, answered from Rust; None when no API serves docs."""
    config = next((api.openapi_config for api in apis if api.openapi_config), None)
    if config is None or not config.enabled or not config.render_plugins:
        return None
    return asset_mount(_assets_base(config))


def _assets_base(config: OpenAPIConfig) -> str:
    return config.url(ASSETS_NAME) + "/"


def _routes_for(config: OpenAPIConfig, apis: list[Documented]) -> list[Route]:
    document = _CachedDocument(config, apis)
    openapi_url = config.url(DOCUMENT_NAME)
    served: dict[str, Callable[..., Any]] = {openapi_url: document.response}
    assets = AssetURLs(_assets_base(config), config.assets)
    pages = []
    for plugin in config.render_plugins:
        if isinstance(plugin, DocumentRenderPlugin):
            served.update((config.url(path), document.encoded_by(plugin)) for path in plugin.paths)
        else:
            pages.append((config.url(plugin.path), _page(plugin, openapi_url, config, assets)))
    routes = [_get(path, handler, config) for path, handler in served.items()]
    if pages:
        routes.append(_get(config.path, pages[0][1], config))
    routes += [_get(path, page, config) for path, page in pages]
    return routes


class _CachedDocument:
    """The document, built at its first request (every route is declared by then) and
    kept, with each encoding of it."""

    def __init__(self, config: OpenAPIConfig, apis: list[Documented]) -> None:
        self.config = config
        self.apis = apis
        self.built: dict[str, Any] | None = None
        self.encoded: bytes | None = None

    def document(self) -> dict[str, Any]:
        if self.built is None:
            routes = [route for api in self.apis for route in api.routes]
            self.built = build_document(routes, self.config)
        return self.built

    async def response(self) -> Response:
        if self.encoded is None:
            self.encoded = msgspec.json.encode(self.document())
        return Response(self.encoded, media_type="application/json")

    def encoded_by(self, plugin: DocumentRenderPlugin) -> Callable[[], Any]:
        body: list[bytes] = []

        async def respond() -> Response:
            if not body:
                try:
                    body.append(plugin.encode(self.document()))
                except MissingDependency as exc:
                    return Response({"detail": str(exc)}, status_code=501)
            return Response(body[0], media_type=plugin.media_type)

        return respond


def _page(
    plugin: RenderPlugin, openapi_url: str, config: OpenAPIConfig, assets: AssetURLs
) -> Callable[[], Any]:
    page = plugin.render(openapi_url, config.title, assets)

    async def render_page() -> HTML:
        return HTML(page)

    return render_page


def _get(path: str, handler: Callable[..., Any], config: OpenAPIConfig) -> Route:
    if config.django_auth:
        handler = gated(config.django_auth, handler)
    return analyse(Route(method="GET", path=path, handler=handler))
