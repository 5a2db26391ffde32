"""Fixtures for the ASGI conformance tests: one shared server for ``apps:main`` and
clients over HTTP/1.1 and HTTP/2 (prior knowledge, h2c); test modules that also run
over HTTP/3 override ``protocol`` with ``support.ALL_PROTOCOLS`` and get their
``client`` from a second shared server with TLS and HTTP/3 (``h3_server``)."""

from __future__ import annotations

import sys
from pathlib import Path

import h3sync
import pytest
import support

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "transport"))
import certs as test_certs  # noqa: E402


@pytest.fixture(scope="session")
def server():
    """``django-bolt serve apps:main``; must exit 0 on SIGTERM at the end."""
    with support.serve_asgi("apps:main") as running:
        yield running


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return test_certs.make(tmp_path_factory.mktemp("conformance-certs"))


@pytest.fixture(scope="session")
def h3_server(certs):
    """``apps:main`` with TLS and HTTP/3. The short grace period bounds the shutdown
    should an app be left waiting for an ``http.disconnect`` that never comes."""
    with h3sync.serve_tls("apps:main", certs, "--shutdown-grace", "1") as running:
        yield running


@pytest.fixture(params=support.PROTOCOLS)
def protocol(request) -> str:
    return request.param


@pytest.fixture
def served(request, protocol):
    """The shared server that speaks ``protocol``."""
    return request.getfixturevalue("h3_server" if protocol == "http3" else "server")


@pytest.fixture
def client(served, protocol):
    with h3sync.client_for(served, protocol) as client:
        yield client
