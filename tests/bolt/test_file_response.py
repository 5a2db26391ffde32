"""FileResponse: ranges, conditional requests, HEAD and the path rules, through the
TestClient and a real runbolt process over HTTP/1.1, HTTP/2 and HTTP/3."""

from __future__ import annotations

import email.utils
import os
import socket

import delivery
import pytest
from delivery import REPORT, client_fixture, folder_fixture, server_fixture  # noqa: F401


def test_whole_file_with_validators(client):
    response = client.get("/files/report")
    assert response.status_code == 200
    assert response.content == REPORT
    assert response.headers["content-length"] == str(len(REPORT))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-disposition"] == 'attachment; filename="report.bin"'
    assert response.headers["etag"].startswith('"')
    assert email.utils.parsedate_to_datetime(response.headers["last-modified"])


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=10200-", 10200, 10239), ("bytes=-16", 10224, 10239)],
)
def test_single_range_is_206(client, header, start, end):
    response = client.get("/files/report", headers={"range": header})
    assert response.status_code == 206
    assert response.content == REPORT[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(REPORT)}"
    assert response.headers["content-length"] == str(end - start + 1)


def test_range_past_the_end_is_clamped(client):
    response = client.get("/files/report", headers={"range": "bytes=10000-99999"})
    assert response.status_code == 206
    assert response.content == REPORT[10000:]


def test_unsatisfiable_range_is_416(client):
    response = client.get("/files/report", headers={"range": "bytes=20000-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(REPORT)}"
    assert response.json() == {"detail": "Range not satisfiable"}


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "bytes=9-2", "lines=1-2"])
def test_several_or_malformed_ranges_get_the_whole_file(client, header):
    response = client.get("/files/report", headers={"range": header})
    assert response.status_code == 200
    assert response.content == REPORT


def test_if_range(client):
    etag = client.get("/files/report").headers["etag"]
    matching = client.get("/files/report", headers={"range": "bytes=0-9", "if-range": etag})
    assert (matching.status_code, matching.content) == (206, REPORT[:10])
    stale = client.get("/files/report", headers={"range": "bytes=0-9", "if-range": '"old"'})
    assert (stale.status_code, stale.content) == (200, REPORT)


def test_if_none_match_is_304(client):
    etag = client.get("/files/report").headers["etag"]
    response = client.get("/files/report", headers={"if-none-match": f'"other", W/{etag}'})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    changed = client.get("/files/report", headers={"if-none-match": '"other"'})
    assert changed.status_code == 200


def test_head_gets_304_too(client):
    etag = client.get("/files/report").headers["etag"]
    response = client.head("/files/report", headers={"if-none-match": etag})
    assert (response.status_code, response.content) == (304, b"")
    assert response.headers.get("content-length") in (None, str(len(REPORT)))


def test_if_modified_since_is_304(client):
    last_modified = client.get("/files/report").headers["last-modified"]
    response = client.get("/files/report", headers={"if-modified-since": last_modified})
    assert response.status_code == 304
    older = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get("/files/report", headers={"if-modified-since": older}).status_code == 200


def test_a_handlers_own_etag_is_the_validator(client):
    response = client.get("/files/tagged", headers={"if-none-match": '"v1"'})
    assert (response.status_code, response.headers["etag"]) == (304, '"v1"')


def test_head_has_the_headers_and_no_body(client):
    response = client.head("/files/report")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(REPORT))
    assert response.headers["accept-ranges"] == "bytes"


def test_ranges_apply_to_get_only(client):
    response = client.post("/files/report", headers={"range": "bytes=0-9"})
    assert (response.status_code, response.content) == (200, REPORT)


def test_files_are_not_compressed(client):
    response = client.get("/files/page", headers={"accept-encoding": "gzip, br"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == delivery.PAGE.encode()


def test_file_under_root(client):
    response = client.get("/files/public", params={"name": "hello.txt"})
    assert (response.status_code, response.content) == (200, b"hello from public")
    response = client.get("/files/public", params={"name": "sub/../sub/deep.txt"})
    assert (response.status_code, response.content) == (200, b"deep")


@pytest.mark.parametrize(
    "name",
    [
        "../secret.txt",
        "sub/../../secret.txt",
        "/etc/passwd",
        "link.txt",
        "sub",
        "missing.txt",
        "bad\x00name",
    ],
)
def test_traversal_and_missing_files_are_404(client, name):
    response = client.get("/files/public", params={"name": name})
    assert response.status_code == 404
    assert response.json() == {"detail": "File not found"}


def test_a_path_climbing_with_dotdot_is_404(client, folder):
    climbing = f"{folder}/public/../secret.txt"
    response = client.get("/files/raw", params={"path": climbing})
    assert response.status_code == 404
    plain = client.get("/files/raw", params={"path": f"{folder}/secret.txt"})
    assert (plain.status_code, plain.content) == (200, b"top secret")


@pytest.mark.parametrize("path", ["/" + "x" * 5000, "relative/name", "/dev/null"])
def test_unservable_paths_are_404(client, path):
    assert client.get("/files/raw", params={"path": path}).status_code == 404


def test_a_file_deleted_before_sending_is_404(client):
    response = client.get("/files/vanishing")
    assert response.status_code == 404
    assert response.json() == {"detail": "File not found"}


def test_a_fifo_is_404_without_waiting_for_a_writer(client, folder):
    fifo = folder / "fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    response = client.get("/files/raw", params={"path": str(fifo)})
    assert response.status_code == 404


def test_a_socket_is_404(client, folder):
    path = folder / "sock"
    if not path.exists():
        socket.socket(socket.AF_UNIX).bind(str(path))
    assert client.get("/files/raw", params={"path": str(path)}).status_code == 404


def test_files_are_sent_with_nosniff(client):
    for path in ("/files/report", "/files/page"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
    not_modified = client.get("/files/tagged", headers={"if-none-match": '"v1"'})
    assert not_modified.status_code == 304
    assert not_modified.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", [".env", ".git/config", "sub/../.env", "./.env", "env-link.txt"])
def test_dotfiles_are_404(client, name):
    response = client.get("/files/public", params={"name": name})
    assert response.status_code == 404
    assert response.json() == {"detail": "File not found"}


def test_dotfiles_are_served_when_allowed(client):
    allowed = client.get("/files/public-with-dotfiles", params={"name": ".env"})
    assert (allowed.status_code, allowed.content) == (200, b"SECRET_KEY=dotfile")
    linked = client.get("/files/public-with-dotfiles", params={"name": "env-link.txt"})
    assert linked.content == b"SECRET_KEY=dotfile"


def test_untrusted_files_are_attachments(client):
    html = client.get("/files/uploads", params={"name": "evil.html"})
    assert html.status_code == 200
    assert html.headers["content-disposition"] == 'attachment; filename="evil.html"'
    assert html.headers["x-content-type-options"] == "nosniff"
    pdf = client.get("/files/uploads", params={"name": "résumé.pdf"})
    assert pdf.headers["content-disposition"] == (
        "attachment; filename=\"r?sum?.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
    )
    assert pdf.headers["content-type"] == "application/pdf"


def test_content_disposition_names():
    from django_bolt import FileResponse

    def disposition(**kwargs):
        return dict(FileResponse("/srv/a b.txt", **kwargs).to_wire()[1]).get("content-disposition")

    assert disposition() is None
    assert disposition(filename="x.txt") == 'attachment; filename="x.txt"'
    assert disposition(content_disposition_type="inline") == 'inline; filename="a b.txt"'
    # A name cannot end the header or break out of its quotes.
    assert disposition(filename='a"\r\nSet-Cookie: x=1') == (
        'attachment; filename="aSet-Cookie: x=1"; '
        "filename*=UTF-8''a%22%0D%0ASet-Cookie%3A%20x%3D1"
    )
    with pytest.raises(ValueError, match="content_disposition_type"):
        FileResponse("/srv/a", content_disposition_type="download")


def test_the_server_keeps_serving_after_file_errors(server):
    with delivery.h3sync.client_for(server, "http2") as client:
        for name in ["../secret.txt", "missing", "hello.txt"]:
            client.get("/files/public", params={"name": name})
        assert client.get("/files/report", headers={"range": "bytes=0-0"}).content == REPORT[:1]
