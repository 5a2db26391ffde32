"""What django-debug-toolbar must do around Bolt routes, for any client: ``get(path)``
returns ``(status, headers, text)`` with lower-case header names. Used over a real
socket (tests/bolt/test_third_party_middleware.py) and through TestClient
(check_toolbar_testclient.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

Get = Callable[[str], tuple[int, dict[str, str], str]]

#: The panel whose content must name a Bolt handler's query (the auth_user count).
QUERY_PANEL = "SQLPanel"
PANELS = [
    "HistoryPanel",
    "VersionsPanel",
    "TimerPanel",
    "SettingsPanel",
    "HeadersPanel",
    "RequestPanel",
    "SQLPanel",
    "StaticFilesPanel",
    "TemplatesPanel",
    "AlertsPanel",
    "CachePanel",
    "SignalsPanel",
    "ProfilingPanel",
]


def exercise(get: Get) -> None:
    """Raise AssertionError, saying what differs, unless the toolbar works."""
    status, headers, text = get("/bolt/json")
    assert status == 200, text
    assert headers["content-type"] == "application/json", headers
    assert json.loads(text) == {"users": 0, "path": "/bolt/json"}, text
    json_request = headers.get("djdt-request-id")
    assert json_request, f"the toolbar did not record the JSON request: {headers}"
    check_panels(get, json_request, "/bolt/json")

    status, headers, text = get("/bolt/boom")
    assert status == 500 and headers["content-type"] == "application/json", (status, text)

    status, headers, text = get("/bolt/stream")
    assert (status, text) == (200, "<html><body><p>streamed</p></body></html>"), text
    assert headers["content-type"].startswith("text/html"), headers

    for path in ("/bolt/page", "/bolt/page-async", "/django/page"):
        status, headers, text = get(path)
        assert status == 200, f"{path}: {status} {text[:500]}"
        assert text.startswith("<html><body><p>from "), text[:200]
        assert 'id="djDebug"' in text, f"{path}: no toolbar in {text[:500]}"
        found = re.search(r'data-request-id="([0-9a-f]+)"', text)
        assert found, f"{path}: no request id in the toolbar"
        # TestClient's responses have no Content-Length; a server's must fit the page.
        length = headers.get("content-length")
        assert length is None or int(length) == len(text.encode()), headers
        check_panels(get, found.group(1), path)


def check_panels(get: Get, request_id: str, path: str) -> None:
    """Every panel of the recorded request renders through the toolbar's own URLs
    (served by Django), and the SQL panel saw the handler's query."""
    for panel in PANELS:
        status, _, text = get(f"/__debug__/render_panel/?request_id={request_id}&panel_id={panel}")
        assert status == 200, f"{path} {panel}: {status} {text[:500]}"
        content = json.loads(text)["content"]
        if panel == QUERY_PANEL and path.startswith("/bolt/"):
            assert "auth_user" in content, (
                f"{path}: the SQL panel missed the handler's query: {content}"
            )
