"""A real headless Chromium (Debian's ``chromium``) driven by Playwright, for tests that
look at pages as a user's browser renders them.

Import as ``import browser`` (``tests/conftest.py`` puts this directory on ``sys.path``)::

    with browser.chromium() as chrome:
        page = browser.open_page(chrome, url)
        browser.screenshot(page, tmp_path / "page.png")

``OfflinePage`` is a page that can reach only its own server (optionally under a
Content-Security-Policy), noting what it tried to fetch elsewhere and its console errors.

A test that needs it is skipped, with the reason, only where Chromium or Playwright is
missing (``scripts/setup.sh`` installs both).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Quiet, offline and sandbox-free (tests may run as root in a container).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The window every page is rendered in.
VIEWPORT = {"width": 1280, "height": 800}


def chromium_path() -> str | None:
    """Debian's Chromium binary, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed afterwards."""
    path = chromium_path()
    if path is None:
        pytest.skip("chromium is not installed (Debian package `chromium`; scripts/setup.sh)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (the test extras: pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def open_page(browser: Any, url: str, timeout: float = 15.0) -> Any:
    """A new page at ``url``, once it and its stylesheets, scripts and images loaded."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url, wait_until="load", timeout=timeout * 1000)
    return page


def screenshot(page: Any, path: Path) -> Path:
    """Save what ``page`` shows to ``path`` (PNG) and print where, for a human to look."""
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def computed_style(page: Any, selector: str, prop: str) -> str:
    """The computed value of CSS property ``prop`` of the first element ``selector``
    matches, as the browser reports it (colours as ``rgb(r, g, b)``)."""
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).getPropertyValue('{prop}')")


class OfflinePage:
    """A page that reaches only its own server: every request to another origin is
    aborted and noted in ``blocked``; the browser's console errors (CSP violations, failed
    loads, script errors) are noted in ``errors``."""

    def __init__(self, browser: Any, origin: str, csp: str | None = None) -> None:
        self.origin = origin.rstrip("/")
        self.csp = csp
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def goto(self, path: str, timeout: float = 15.0) -> Any:
        """Load ``path`` of the origin (with its scripts and stylesheets); the page."""
        self.page.goto(self.origin + path, wait_until="load", timeout=timeout * 1000)
        return self.page

    def _route(self, route: Any) -> None:
        request = route.request
        if not _same_origin(request.url, self.origin):
            self.blocked.append(request.url)
            route.abort("blockedbyclient")
        elif self.csp and request.is_navigation_request():
            # The policy a user would set on the page: the server's answer, plus the header.
            response = route.fetch()
            headers = {**response.headers, "content-security-policy": self.csp}
            route.fulfill(response=response, headers=headers)
        else:
            route.continue_()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)


def _same_origin(url: str, origin: str) -> bool:
    """Whether ``url`` is of ``origin``, or data/blob content made by the page."""
    return url.startswith((origin + "/", "data:", "blob:")) or url == origin
