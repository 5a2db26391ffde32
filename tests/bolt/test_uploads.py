"""The spec's form, upload and Struct examples and every upload limit, through TestClient
and through a real ``runbolt`` process with httpx over HTTP/1.1 and HTTP/2; large files
are spooled to the temporary directory and removed after the request however it ends."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest
import support

from django_bolt.testing import TestClient

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from formsapp.api import api  # noqa: E402

PDF = b"%PDF-1.4 a small document"
MAX_BODY = 4 * 1024 * 1024
BIG = 2 * 1024 * 1024  # past the 1 MiB spool threshold, below the body limit


@pytest.fixture(scope="module")
def spool_dir(tmp_path_factory):
    """The TMPDIR of both the server process and, while this module runs, this one."""
    path = tmp_path_factory.mktemp("spool")
    before = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(path)
    yield path
    if before is None:
        del os.environ["TMPDIR"]
    else:
        os.environ["TMPDIR"] = before


@pytest.fixture(scope="module")
def server(spool_dir):
    port = support.free_port()
    process = support.start_server(
        [sys.executable, "manage.py", "runbolt", "--host", support.HOST, "--port", str(port)]
        + ["--max-body-size", str(MAX_BODY)],
        port=port,
        cwd=PROJECT,
        env=support.subprocess_env(
            (), DJANGO_SETTINGS_MODULE="boltproj.settings_forms", TMPDIR=str(spool_dir)
        ),
    )
    with support.running(process):
        yield process


@pytest.fixture(params=["testclient", *support.PROTOCOLS])
def client(request, spool_dir):
    if request.param == "testclient":
        with TestClient(api) as client:
            yield client
        return
    server = request.getfixturevalue("server")
    with support.make_client(server.base_url, request.param) as client:
        yield client


def post_raw(client, path: str, body: bytes, content_type: str):
    headers = {"content-type": content_type}
    if isinstance(client, TestClient):
        return client.post(path, data=body, headers=headers)
    return client.post(path, content=body, headers=headers)


def test_the_spec_forms_and_structs(client):
    login = client.post("/forms/login", data={"username": "ada", "password": "pw"})
    assert login.json() == {"username": "ada"}
    contact = {"name": "Ada", "email": "ada@example.com", "message": "hi"}
    assert client.post("/forms/contact", data=contact).json() == {
        "name": "Ada",
        "email": "ada@example.com",
    }
    incomplete = client.post("/forms/contact", data={"name": "Ada"}, files={})
    assert incomplete.status_code == 422
    assert [e["loc"] for e in incomplete.json()["detail"]] == [
        ["form", "email"],
        ["form", "message"],
    ]
    items = client.get("/forms/items", params={"status": "open"})
    assert items.json() == {"status": "open", "sort": "created"}
    headers = {"Authorization": "Bearer t", "X-Request-ID": "r1"}
    assert client.get("/forms/with-headers", headers=headers).json() == {"auth": "Bearer t"}
    unauthorized = client.get("/forms/with-headers")
    assert unauthorized.status_code == 422
    assert unauthorized.json()["detail"][0]["loc"] == ["header", "authorization"]


def test_the_spec_upload(client):
    response = client.post(
        "/forms/upload",
        data={"title": "Report"},
        files={"file": ("report.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"title": "Report", "filename": "report.pdf", "size": len(PDF)}
    image = client.post(
        "/forms/upload",
        data={"title": "Pic"},
        files={"file": ("a.png", b"\x89PNG", "image/png")},
    )
    assert image.json() == {"title": "Pic", "filename": "a.png", "size": 4}


def test_disallowed_content_type_is_415(client):
    response = client.post(
        "/forms/upload",
        data={"title": "t"},
        files={"file": ("notes.txt", b"hello" * 500_000, "text/plain")},
    )
    assert response.status_code == 415
    assert response.json() == {
        "detail": 'File "file" has content type "text/plain"; allowed: application/pdf, image/*'
    }


def test_file_over_max_size_is_413(client):
    ok = client.post("/forms/small", files={"file": ("a.bin", b"x" * 1024)})
    assert ok.json() == {"size": 1024}
    for size in (1025, BIG):  # BIG: more than an HTTP/2 window, refused mid-upload
        response = client.post("/forms/small", files={"file": ("a.bin", b"x" * size)})
        assert response.status_code == 413
        assert response.json() == {"detail": 'File "file" exceeds the limit of 1024 bytes'}


def test_several_files_and_too_many(client):
    files = [("files", (f"{i}.txt", b"%d" % i * 300_000, "text/plain")) for i in range(6)]
    assert client.post("/forms/upload-many", files=files[:5]).json() == {"count": 5}
    response = client.post("/forms/upload-many", files=files)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["file", "files"], "msg": "Expected at most 5 file(s)", "type": "too_many_files"}
    ]


def test_missing_file_and_field_are_one_422(client):
    response = client.post("/forms/upload", data={"other": "x"}, files={})
    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [
        (["form", "title"], "missing"),
        (["file", "file"], "missing"),
    ]
    # An urlencoded body cannot carry files.
    urlencoded = client.post("/forms/upload", data={"title": "t"})
    assert urlencoded.status_code == 422
    assert urlencoded.json()["detail"][0]["loc"] == ["file", "file"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (
            b'--XYZ\r\nContent-Disposition: form-data; name="title"\r\n\r\ntruncated',
            "XYZ",
            400,
            "Malformed multipart body",
        ),
        (b"no multipart here", "XYZ", 400, "Malformed multipart body"),
        (b"--XYZ--\r\n", None, 400, "needs a boundary"),
        (b"title=t", "text/plain", 415, "Expected a form body"),
    ],
)
def test_malformed_bodies(client, body, content_type, status, message):
    if content_type is None:
        content_type = "multipart/form-data"
    elif content_type == "XYZ":
        content_type = "multipart/form-data; boundary=XYZ"
    response = post_raw(client, "/forms/login", body, content_type)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_small_files_stay_in_memory(client, spool_dir):
    response = client.post("/forms/inspect", files={"file": ("a.txt", b"abcdef", "text/plain")})
    assert response.json() == {
        "on_disk": False,
        "directory": None,
        "size": 6,
        "read": 6,
        "head": "abcd",
        "content_type": "text/plain",
    }


def test_large_files_are_spooled_to_disk_and_removed(client, spool_dir):
    content = b"data" + b"x" * (BIG - 4)
    response = client.post("/forms/inspect", files={"file": ("big.bin", content)})
    assert response.status_code == 200
    assert response.json() == {
        "on_disk": True,
        "directory": str(spool_dir),
        "size": BIG,
        "read": BIG,
        "head": "data",
        "content_type": "application/octet-stream",
    }
    assert list(spool_dir.iterdir()) == []


def test_spooled_files_are_removed_when_the_handler_fails(client, spool_dir):
    response = client.post(
        "/forms/inspect", data={"fail": "true"}, files={"file": ("big.bin", b"x" * BIG)}
    )
    assert response.status_code == 418
    assert list(spool_dir.iterdir()) == []


FILE_PART = (
    b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n"
)


def test_body_over_the_server_limit_is_413(server, spool_dir):
    def chunked():  # no Content-Length: the limit is found while streaming
        yield FILE_PART
        for _ in range(MAX_BODY // BIG + 1):
            yield b"x" * BIG

    with support.make_client(server.base_url, "http1") as client:
        declared = client.post(
            "/forms/upload-many", files={"files": ("huge.bin", b"x" * (MAX_BODY + 1))}
        )
        streamed = client.post(
            "/forms/inspect",
            content=chunked(),
            headers={"content-type": "multipart/form-data; boundary=B"},
        )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert str(MAX_BODY) in response.json()["detail"]
    assert list(spool_dir.iterdir()) == []


def test_spooled_file_is_removed_when_the_client_disconnects(server, spool_dir):
    request = (
        b"POST /forms/inspect HTTP/1.1\r\nHost: test\r\n"
        b"Content-Type: multipart/form-data; boundary=B\r\n"
        b"Content-Length: %d\r\n\r\n" % (len(FILE_PART) + BIG + 100)
    )
    with socket.create_connection(server.address) as sock:
        # More than the 1 MiB kept in memory, less than the whole body.
        sock.sendall(request + FILE_PART + b"x" * (BIG * 3 // 4))
        assert support.wait_for(lambda: list(spool_dir.iterdir())), "nothing was spooled"
    assert support.wait_for(lambda: not list(spool_dir.iterdir())), "the spool was left behind"
