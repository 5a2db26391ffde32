from __future__ import annotations

import certs as test_certs
import pytest
import support


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return test_certs.make(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def tls_server(certs):
    """The conformance apps over TLS with HTTP/3 on, sharing one server."""
    options = ("--cert", str(certs.cert), "--key", str(certs.key), "--http3")
    with support.serve_asgi("apps:main", *options) as server:
        server.base_url = server.base_url.replace("http://", "https://")
        yield server
