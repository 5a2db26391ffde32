"""Form fields and file uploads over HTTP/3 (aioquic) against a real runbolt with TLS:
the same reading, limits and spooling as over HTTP/1.1 and HTTP/2."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import support

from django_bolt.testing import multipart

TESTS = Path(__file__).resolve().parent.parent
PROJECT = TESTS / "bolt" / "project"
sys.path[:0] = [str(TESTS / "transport"), str(TESTS / "asgi_conformance")]

import certs as test_certs  # noqa: E402
import h3sync  # noqa: E402

BIG = 2 * 1024 * 1024  # past the 1 MiB spool threshold


@pytest.fixture(scope="module")
def spool_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("h3-spool")


@pytest.fixture(scope="module")
def client(tmp_path_factory, spool_dir):
    certs = test_certs.make(tmp_path_factory.mktemp("h3-upload-certs"))
    port = support.free_port()
    command = [sys.executable, "manage.py", "runbolt", "--host", support.HOST]
    command += ["--port", str(port), "--no-asgi", "--http3", "--max-body-size", str(4 * BIG)]
    command += ["--cert", str(certs.cert), "--key", str(certs.key)]
    env = support.subprocess_env(
        (), DJANGO_SETTINGS_MODULE="boltproj.settings_forms", TMPDIR=str(spool_dir)
    )
    server = support.start_server(command, port=port, cwd=PROJECT, env=env)
    server.ca = certs.ca
    with support.running(server), h3sync.H3SyncClient(server.port, server.ca) as client:
        yield client


def post_form(client, path: str, data: dict, files: dict):
    body, content_type = multipart(data, files)
    return client.post(path, content=body, headers={"content-type": content_type})


def test_the_spec_upload_over_http3(client):
    pdf = b"%PDF-1.4 " + b"p" * 1000
    response = post_form(
        client, "/forms/upload", {"title": "Report"}, {"file": ("r.pdf", pdf, "application/pdf")}
    )
    assert response.http_version == "HTTP/3"
    assert response.json() == {"title": "Report", "filename": "r.pdf", "size": len(pdf)}


def test_large_upload_is_spooled_and_removed_over_http3(client, spool_dir):
    content = b"data" + b"x" * (BIG - 4)
    response = post_form(client, "/forms/inspect", {}, {"file": ("big.bin", content)})
    assert response.status_code == 200
    assert response.json()["on_disk"] is True
    assert response.json()["read"] == BIG
    assert list(spool_dir.iterdir()) == []


def test_refused_uploads_over_http3(client, spool_dir):
    too_big = post_form(client, "/forms/small", {}, {"file": ("a.bin", b"x" * BIG)})
    assert too_big.status_code == 413
    wrong_type = post_form(
        client, "/forms/upload", {"title": "t"}, {"file": ("a.txt", b"hi", "text/plain")}
    )
    assert wrong_type.status_code == 415
    assert list(spool_dir.iterdir()) == []
