"""The example project's five docs UIs in a real headless Chromium that can reach only
the server (every other host is blocked), under the strict Content-Security-Policy
docs/openapi.md documents: each renders the example's operations from the files the
package serves. A screenshot of each is kept in the test's tmp_path."""

from __future__ import annotations

import browser
import httpx
import pytest

from django_bolt.openapi.assets import IMMUTABLE, manifest

#: The policy docs/openapi.md gives users: no inline script, nothing from another host.
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Each page of the example and its UI's name in assets.json.
PAGES = {
    "/docs": "swagger-ui",
    "/docs/redoc": "redoc",
    "/docs/scalar": "scalar",
    "/docs/rapidoc": "rapidoc",
    "/docs/stoplight": "stoplight",
}
#: What a UI asks of another host despite its configuration, refused by the policy:
#: Redoc's sidebar footer shows Redocly's logo from their CDN (and hides it on error).
REFUSED = {"redoc": ["https://cdn.redoc.ly/redoc/logo-mini.svg"]}
#: Operation summaries of the example (catalog/api.py), as every UI lists them.
OPERATIONS = ["Get item", "Create item"]


@pytest.fixture(scope="module")
def vendored():
    missing = [ui for ui in PAGES.values() if not manifest()[ui].vendored()]
    if missing:
        pytest.skip(
            f"docs UIs not fetched: {', '.join(missing)} "
            "(needs npm; run scripts/setup.sh or scripts/vendor_docs_ui.py)"
        )


@pytest.fixture(scope="module")
def chrome():
    with browser.chromium() as launched:
        yield launched


@pytest.mark.parametrize("path", PAGES)
def test_each_docs_ui_renders_offline_under_a_strict_csp(
    vendored, chrome, django_server, path, tmp_path
):
    offline = browser.OfflinePage(chrome, django_server.base_url, csp=STRICT_CSP)
    try:
        page = offline.goto(path)
        for summary in OPERATIONS:
            page.get_by_text(summary, exact=True).first.wait_for(timeout=15_000)
    finally:  # also of a page that did not render, to see why
        browser.screenshot(offline.page, tmp_path / f"{PAGES[path]}.png")
        offline.page.close()
    assert offline.blocked == [], "requests off the server"
    refused = REFUSED.get(PAGES[path], [])
    assert [error for error in offline.errors if not _refusal_of(error, refused)] == []
    assert len(offline.errors) == len(refused), offline.errors


def _refusal_of(error: str, urls: list[str]) -> bool:
    """Whether ``error`` is the browser refusing one of ``urls`` under the policy."""
    return "Content Security Policy" in error and any(f"'{url}'" in error for url in urls)


def test_assets_are_versioned_immutable_typed_and_precompressed(vendored, django_server):
    swagger = manifest()["swagger-ui"]
    base = f"{django_server.base_url}/docs/assets/{swagger.folder.name}"
    with httpx.Client() as client:
        script = client.get(f"{base}/swagger-ui-bundle.js", headers={"accept-encoding": "gzip"})
        style = client.get(f"{base}/swagger-ui.css", headers={"accept-encoding": "identity"})
        licence = client.get(f"{base}/licences/LICENSE")
        stamp = client.get(f"{base}/.integrity")
    assert script.status_code == 200
    assert script.headers["cache-control"] == IMMUTABLE
    assert script.headers["content-type"] in ("text/javascript", "application/javascript")
    assert script.headers["content-encoding"] == "gzip"
    assert script.headers["vary"] == "accept-encoding"
    assert "SwaggerUIBundle" in script.text
    assert style.headers["content-type"].startswith("text/css")
    assert "content-encoding" not in style.headers
    assert licence.status_code == 200 and "Apache License" in licence.text
    assert stamp.status_code == 404
