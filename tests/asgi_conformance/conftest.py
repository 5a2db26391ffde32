"""Fixtures for the ASGI conformance tests: one shared server for ``apps:main`` and
httpx clients over HTTP/1.1 and HTTP/2 (prior knowledge, h2c)."""

from __future__ import annotations

import pytest
import support


@pytest.fixture(scope="session")
def server():
    """``django-bolt serve apps:main``; must exit 0 on SIGTERM at the end."""
    with support.serve_asgi("apps:main") as running:
        yield running


@pytest.fixture(params=support.PROTOCOLS)
def protocol(request) -> str:
    return request.param


@pytest.fixture
def client(server, protocol):
    with support.make_client(server.base_url, protocol) as client:
        yield client
