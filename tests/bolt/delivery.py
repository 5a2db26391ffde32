"""What test_file_response.py and test_compression.py share: the delivery project (its
routes and the files they serve), and a ``client`` fixture that reaches it through the
TestClient or a real runbolt process over HTTP/1.1, HTTP/2 (both over TLS) and HTTP/3.

A test module gets the fixtures ``folder``, ``server`` and ``client`` by importing
``folder_fixture``, ``server_fixture`` and ``client_fixture``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import support

TESTS = Path(__file__).resolve().parent.parent
PROJECT = TESTS / "bolt" / "delivery_project"
sys.path[:0] = [str(PROJECT), str(TESTS / "transport"), str(TESTS / "asgi_conformance")]

import certs as test_certs  # noqa: E402
import h3sync  # noqa: E402
from deliveryproj.api import api  # noqa: E402

from django_bolt.testing import TestClient  # noqa: E402

REPORT = bytes(range(256)) * 40  # 10240 bytes
PAGE = "<html><body>" + "<p>hello</p>" * 300 + "</body></html>"
UPLOADED_HTML = "<script>fetch('/api/me').then(r => r.text()).then(steal)</script>"


def make_files(folder: Path) -> Path:
    """The files the project's routes serve, in ``folder``."""
    (folder / "report.bin").write_bytes(REPORT)
    (folder / "page.html").write_text(PAGE)
    (folder / "secret.txt").write_text("top secret")
    public = folder / "public"
    (public / "sub").mkdir(parents=True)
    (public / "hello.txt").write_text("hello from public")
    (public / "sub" / "deep.txt").write_text("deep")
    (public / "link.txt").symlink_to(folder / "secret.txt")
    (public / ".env").write_text("SECRET_KEY=dotfile")
    (public / ".git").mkdir()
    (public / ".git" / "config").write_text("[core]")
    (public / "env-link.txt").symlink_to(public / ".env")
    uploads = folder / "uploads"
    uploads.mkdir()
    (uploads / "evil.html").write_text(UPLOADED_HTML)
    (uploads / "résumé.pdf").write_bytes(b"%PDF-1.4")
    return folder


@pytest.fixture(scope="module", name="folder")
def folder_fixture(tmp_path_factory):
    return make_files(tmp_path_factory.mktemp("delivery"))


@pytest.fixture(scope="module", name="server")
def server_fixture(folder, tmp_path_factory):
    """runbolt on the delivery project with TLS (h1, h2 by ALPN) and HTTP/3."""
    certs = test_certs.make(tmp_path_factory.mktemp("delivery-certs"))
    port = support.free_port()
    command = [sys.executable, "manage.py", "runbolt", "--host", support.HOST]
    command += ["--port", str(port), "--no-asgi", "--http3"]
    command += ["--cert", str(certs.cert), "--key", str(certs.key)]
    env = support.subprocess_env((), DELIVERY_FILES=str(folder))
    server = support.start_server(command, port=port, cwd=PROJECT, env=env)
    server.base_url = server.base_url.replace("http://", "https://")
    server.ca = certs.ca
    with support.running(server):
        yield server


@pytest.fixture(params=["testclient", *support.ALL_PROTOCOLS], name="client")
def client_fixture(request, folder):
    """A TestClient, an httpx client (http1, http2) or an HTTP/3 client: all have
    ``get``, ``head``, ``post``, ``request`` and responses with ``status_code``,
    ``headers``, ``content`` and ``json()``."""
    if request.param == "testclient":
        os.environ["DELIVERY_FILES"] = str(folder)
        with TestClient(api) as client:
            yield client
        return
    server = request.getfixturevalue("server")
    with h3sync.client_for(server, request.param) as client:
        yield client
