"""The example project's admin in a real headless Chromium, under runbolt --dev: its
stylesheets are served (from Rust, out of Django's staticfiles finders), so the page is
styled, not black boxes and bare links."""

from __future__ import annotations

import re
from pathlib import Path

import browser
import django.contrib.admin
import support

ADMIN_CSS = Path(django.contrib.admin.__file__).parent / "static" / "admin" / "css" / "base.css"


def admin_header_colour() -> str:
    """The admin's header background (its ``--secondary`` colour) as a browser reports it."""
    match = re.search(r"--secondary:\s*#([0-9a-fA-F]{6})", ADMIN_CSS.read_text())
    assert match, f"no --secondary colour in {ADMIN_CSS}"
    red, green, blue = (int(match[1][i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({red}, {green}, {blue})"


def test_admin_login_is_styled_in_chromium(example_project, tmp_path):
    with browser.chromium() as chrome, support.serve_django_dev(example_project) as base:
        page = browser.open_page(chrome, f"{base}/admin/login/")
        browser.screenshot(page, tmp_path / "admin-login.png")
        background = browser.computed_style(page, "#header", "background-color")
        assert background == admin_header_colour(), background
        # The stylesheets the page links to all loaded, and none failed.
        sheets = page.evaluate(
            "() => [...document.styleSheets].map(s => [s.href, s.cssRules.length])"
        )
        assert any(href.endswith("/static/admin/css/base.css") for href, _ in sheets), sheets
        assert all(rules > 0 for _, rules in sheets), sheets
        # The login button is the admin's, not the browser's grey default.
        button = browser.computed_style(page, "input[type=submit]", "background-color")
        assert button not in ("rgba(0, 0, 0, 0)", "rgb(239, 239, 239)"), button
