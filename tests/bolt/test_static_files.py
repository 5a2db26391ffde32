"""Static and media files served from Rust by a real runbolt: STATIC_ROOT (collectstatic
output) normally, Django's staticfiles finders under --dev, MEDIA_ROOT when opted in;
validators, 304, ranges, precompressed siblings, and nothing outside the folders."""

from __future__ import annotations

import gzip
import os
import threading
import time
import uuid

import brotli
import httpx
import pytest
import support

PROJECT = support.BOLT_PROJECT_DIR
SETTINGS = ("--settings", "boltproj.settings_static")
#: Served under /static/ from STATIC_ROOT; .br and .gz siblings beside it.
CSS = b"/* site */\n" + b"body { margin: 0; padding: 0; color: #333; }\n" * 60
SECRET = b"outside-the-root-secret"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """STATIC_ROOT, STATICFILES_DIRS and MEDIA_ROOT made for the test, with a secret
    beside them that no URL may reach."""
    base = tmp_path_factory.mktemp("files")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    root = base / "static_root"
    (root / "nested").mkdir(parents=True)
    (root / "site.css").write_bytes(CSS)
    (root / "site.css.br").write_bytes(brotli.compress(CSS))
    (root / "site.css.gz").write_bytes(gzip.compress(CSS))
    (root / "app.js").write_bytes(b"console.log('static root');\n")
    (root / "big.bin").write_bytes(bytes(range(256)) * 400)
    (root / "nested" / "a b.txt").write_bytes(b"spaced")
    (root / ".secret").write_bytes(SECRET)
    (root / ".hidden").mkdir()
    (root / ".hidden" / "x.css").write_bytes(SECRET)
    (root / "escape.css").symlink_to(outside / "secret.txt")
    (root / "outdir").symlink_to(outside)
    (root / "dotlink.css").symlink_to(root / ".secret")
    dirs = base / "staticfiles_dirs"
    (dirs / "vendor").mkdir(parents=True)
    (dirs / "shared.css").write_bytes(b"/* from STATICFILES_DIRS */\n")
    (dirs / "vendor" / "lib.css").write_bytes(b"/* vendor, under a prefix */\n")
    media = base / "media"
    media.mkdir()
    (media / "upload.txt").write_bytes(b"an upload")
    return {
        "BOLT_TEST_STATIC_ROOT": str(root),
        "BOLT_TEST_STATICFILES_DIR": str(dirs),
        "BOLT_TEST_MEDIA_ROOT": str(media),
    }


@pytest.fixture
def env(folders, monkeypatch):
    for name, value in folders.items():
        monkeypatch.setenv(name, value)
    return folders


@pytest.fixture(scope="module")
def server(folders):
    with pytest.MonkeyPatch.context() as patch:
        for name, value in folders.items():
            patch.setenv(name, value)
        with support.serve_django(PROJECT, *SETTINGS, "--static-max-age", "600") as running:
            yield running


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.base_url, timeout=10) as opened:
        yield opened


IDENTITY = {"accept-encoding": "identity"}


def test_admin_css_of_the_example_is_served_with_its_type_and_headers(django_server):
    response = httpx.get(f"{django_server.base_url}/static/admin/css/base.css", headers=IDENTITY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css"
    assert response.headers["x-content-type-options"] == "nosniff"
    # The example runs with DEBUG = True: files come from the finders and are being
    # edited, so they are revalidated each time (a 304 while unchanged).
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["etag"].startswith('"')
    assert "last-modified" in response.headers
    assert b"DJANGO Admin styles" in response.content
    assert int(response.headers["content-length"]) == len(response.content)


def test_a_file_of_static_root_carries_validators_and_the_max_age(client):
    response = client.get("/static/app.js", headers=IDENTITY)
    assert response.status_code == 200
    assert response.content == b"console.log('static root');\n"
    assert response.headers["content-type"] == "text/javascript"
    assert response.headers["cache-control"] == "public, max-age=600"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["accept-ranges"] == "bytes"
    assert "vary" not in response.headers  # no precompressed sibling
    spaced = client.get("/static/nested/a%20b.txt", headers=IDENTITY)
    assert (spaced.status_code, spaced.content) == (200, b"spaced")
    assert spaced.headers["content-type"] == "text/plain"


def test_unchanged_files_are_answered_304(client):
    first = client.get("/static/app.js", headers=IDENTITY)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get("/static/app.js", headers={**IDENTITY, "if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, max-age=600"
    since = client.get("/static/app.js", headers={**IDENTITY, "if-modified-since": modified})
    assert since.status_code == 304
    changed = client.get("/static/app.js", headers={**IDENTITY, "if-none-match": '"other"'})
    assert changed.status_code == 200


def test_ranges_are_answered_206_and_416(client):
    whole = bytes(range(256)) * 400
    part = client.get("/static/big.bin", headers={**IDENTITY, "range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    tail = client.get("/static/big.bin", headers={**IDENTITY, "range": "bytes=-10"})
    assert (tail.status_code, tail.content) == (206, whole[-10:])
    past = client.get("/static/big.bin", headers={**IDENTITY, "range": f"bytes={len(whole)}-"})
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{len(whole)}"
    stale = {**IDENTITY, "range": "bytes=0-9", "if-range": '"an-old-version"'}
    assert client.get("/static/big.bin", headers=stale).status_code == 200


def raw(client: httpx.Client, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (httpx would decode a Content-Encoding)."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def test_precompressed_siblings_are_chosen_by_accept_encoding(client):
    response, body = raw(client, "/static/site.css", **{"accept-encoding": "gzip, br"})
    assert response.headers["content-encoding"] == "br"
    assert response.headers["vary"].lower() == "accept-encoding"
    assert response.headers["content-type"] == "text/css"
    assert brotli.decompress(body) == CSS
    response, body = raw(client, "/static/site.css", **{"accept-encoding": "gzip, br;q=0"})
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == CSS
    response, body = raw(client, "/static/site.css", **IDENTITY)
    assert "content-encoding" not in response.headers
    assert response.headers["vary"].lower() == "accept-encoding"
    assert body == CSS
    # A range is a range of the representation chosen: the brotli bytes.
    compressed = brotli.compress(CSS)
    headers = {"accept-encoding": "br", "range": "bytes=0-9"}
    response, body = raw(client, "/static/site.css", **headers)
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 0-9/{len(compressed)}"
    assert len(body) == 10


def test_a_replaced_file_is_served_new_within_a_second_and_a_removed_one_goes(client, folders):
    path = f"{folders['BOLT_TEST_STATIC_ROOT']}/replaced.css"
    with open(path, "wb") as file:
        file.write(b"/* first */")
    assert client.get("/static/replaced.css", headers=IDENTITY).content == b"/* first */"
    # As collectstatic does: the old file removed, the new one written.
    os.remove(path)
    with open(path, "wb") as file:
        file.write(b"/* second version */")
    time.sleep(1.1)
    assert client.get("/static/replaced.css", headers=IDENTITY).content == b"/* second version */"
    os.remove(path)
    time.sleep(1.1)
    assert client.get("/static/replaced.css", headers=IDENTITY).status_code == 404


def test_a_file_kept_in_memory_answers_validators_and_ranges_as_from_disk(client):
    first = client.get("/static/app.js", headers=IDENTITY)
    whole, etag = first.content, first.headers["etag"]
    modified = first.headers["last-modified"]
    for _ in range(3):  # the first answers may still come from disk
        again = client.get("/static/app.js", headers=IDENTITY)
        assert again.content == whole
        assert {name: again.headers[name] for name in ("etag", "last-modified")} == {
            "etag": etag,
            "last-modified": modified,
        }
        assert again.headers["content-length"] == str(len(whole))
        for condition in ({"if-none-match": etag}, {"if-modified-since": modified}):
            not_modified = client.get("/static/app.js", headers={**IDENTITY, **condition})
            assert (not_modified.status_code, not_modified.content) == (304, b"")
            assert not_modified.headers["etag"] == etag
        part = client.get("/static/app.js", headers={**IDENTITY, "range": "bytes=2-5"})
        assert (part.status_code, part.content) == (206, whole[2:6])
        assert part.headers["content-range"] == f"bytes 2-5/{len(whole)}"
        ranged = {**IDENTITY, "range": "bytes=-3", "if-range": etag}
        tail = client.get("/static/app.js", headers=ranged)
        assert (tail.status_code, tail.content) == (206, whole[-3:])
        stale = {**IDENTITY, "range": "bytes=0-1", "if-range": '"an-old-version"'}
        assert client.get("/static/app.js", headers=stale).content == whole
        past = client.get("/static/app.js", headers={**IDENTITY, "range": "bytes=999-"})
        assert past.status_code == 416
        assert past.headers["content-range"] == f"bytes */{len(whole)}"
        head = client.head("/static/app.js", headers=IDENTITY)
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == str(len(whole))


def test_requests_for_missing_names_do_not_grow_the_server(client, server):
    # Long names: were misses remembered, 4000 of them would hold 8 MB.
    names = ["/".join(uuid.uuid4().hex * 6 for _ in range(10)) for _ in range(4000)]
    client.get(f"/static/{names[0]}")
    before = support.rss_kib(server)
    for name in names:
        assert client.get(f"/static/{name}", headers=IDENTITY).status_code == 404
    assert support.rss_kib(server) - before < 4_000, "misses grew the server's memory"


def test_head_and_other_methods(client):
    head = client.head("/static/site.css", headers=IDENTITY)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(CSS))
    post = client.post("/static/site.css", content=b"x")
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD, OPTIONS"
    assert post.json() == {"detail": "Method Not Allowed"}
    options = client.options("/static/site.css")
    assert (options.status_code, options.headers["allow"]) == (204, "GET, HEAD, OPTIONS")


def test_a_missing_file_is_404_from_rust_not_django(client):
    missing = client.get("/static/nope.css")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "File not found"}
    # A path beside the prefix is Django's (its 404 is HTML, not the JSON above).
    assert client.get("/staticfoo/site.css").headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "target",
    [
        "/static/../manage.py",
        "/static/%2e%2e/outside/secret.txt",
        "/static/%2E%2E%2Foutside%2Fsecret.txt",
        "/static/..%5Coutside%5Csecret.txt",
        "/static/nested\\..\\..\\outside\\secret.txt",
        "/static/.secret",
        "/static/%2esecret",
        "/static/.hidden/x.css",
        "/static/escape.css",
        "/static/outdir/secret.txt",
        "/static/dotlink.css",
        "/static/site.css%00.txt",
        "/static//etc/passwd",
        "/static/nested/",
        "/media/../static_root/site.css",
        "/media/%2e%2e/outside/secret.txt",
    ],
)
def test_paths_out_of_the_folders_and_dotfiles_are_refused(server, target):
    request = f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    answer = support.raw_exchange(server.address, request.encode("latin1"))
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 404 Not Found", answer[:200]
    assert SECRET not in answer
    assert b'{"detail":"File not found"}' in answer


def test_media_is_served_when_the_project_opts_in(client):
    response = client.get("/media/upload.txt", headers=IDENTITY)
    assert (response.status_code, response.content) == (200, b"an upload")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_bolt_route_inside_static_url_wins(client):
    assert client.get("/static/bolt-route").json() == {"from": "bolt"}


def test_not_collected_files_are_not_served_without_dev(client):
    # Only STATIC_ROOT is served: the app's own static folder is collectstatic's input.
    assert client.get("/static/staticapp/app.css").status_code == 404


def test_files_are_served_while_python_is_blocked(client, server):
    """The Python event loop is held by a handler; a file is answered meanwhile, and a
    Bolt route asked after it waits: the file never needed Python."""
    blocked = threading.Thread(
        target=httpx.get,
        args=(f"{server.base_url}/api/blocking",),
        kwargs={"params": {"seconds": 2}},
    )
    blocked.start()
    try:
        time.sleep(0.3)  # the handler is holding the loop
        started = time.monotonic()
        served = client.get("/static/app.js", headers=IDENTITY)
        file_took = time.monotonic() - started
        route = client.get("/api/items/1")
        route_took = time.monotonic() - started
    finally:
        blocked.join()
    assert served.status_code == 200
    assert route.status_code == 200
    assert file_took < 0.5, f"the file took {file_took:.2f} s"
    assert route_took > 1.0, "the loop was not blocked: the test proves nothing"


def test_dev_serves_from_the_finders_in_their_order(env):
    with support.serve_django_dev(PROJECT, *SETTINGS) as base:
        app = httpx.get(f"{base}/static/staticapp/app.css", headers=IDENTITY)
        assert app.status_code == 200
        assert app.headers["content-type"] == "text/css"
        assert app.headers["cache-control"] == "no-cache"
        assert b"AppDirectoriesFinder" in app.content
        # In STATICFILES_DIRS and in the app: FileSystemFinder comes first.
        shared = httpx.get(f"{base}/static/shared.css", headers=IDENTITY)
        assert shared.content == b"/* from STATICFILES_DIRS */\n"
        vendor = httpx.get(f"{base}/static/vendor/lib.css", headers=IDENTITY)
        assert vendor.content == b"/* vendor, under a prefix */\n"
        # STATIC_ROOT is collectstatic's output, not a finder's folder.
        assert httpx.get(f"{base}/static/site.css").status_code == 404


def test_static_root_is_cached_for_an_hour_by_default(env):
    with support.serve_django(PROJECT, *SETTINGS) as running:
        response = httpx.get(f"{running.base_url}/static/site.css", headers=IDENTITY)
        assert response.headers["cache-control"] == "public, max-age=3600"


def test_no_static_leaves_static_url_to_django(env):
    with support.serve_django(PROJECT, *SETTINGS, "--no-static") as running:
        response = httpx.get(f"{running.base_url}/static/site.css")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert httpx.get(f"{running.base_url}/media/upload.txt").status_code == 404


def test_static_root_absent_is_a_warning_not_a_failure(env, monkeypatch, tmp_path):
    monkeypatch.setenv("BOLT_TEST_STATIC_ROOT", str(tmp_path / "never-collected"))
    with support.serve_django(PROJECT, *SETTINGS) as running:
        assert httpx.get(f"{running.base_url}/api/items/1").status_code == 200
        media = httpx.get(f"{running.base_url}/media/upload.txt")
        assert media.status_code == 200
    assert "static files are not served: STATIC_ROOT" in running.stderr()
