"""Compression of Bolt responses: negotiated from Accept-Encoding, done in Rust, decoded
here with real decoders, through the TestClient and a real runbolt over HTTP/1.1,
HTTP/2 and HTTP/3."""

from __future__ import annotations

import gzip

import brotli
import msgspec
import pytest
import zstandard
from delivery import client_fixture, folder_fixture, server_fixture  # noqa: F401
from deliveryproj.api import ROWS, TEXT

from django_bolt import BoltAPI, CompressionConfig, Response, no_compress
from django_bolt.testing import TestClient

DECODERS = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
}
ROWS_JSON = msgspec.json.encode(ROWS)


class Raw:
    """A response with its body as sent (not decoded)."""

    def __init__(self, status_code: int, headers, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content


@pytest.fixture
def fetch(client):
    """``fetch(path, accept_encoding=None, method="GET") -> Raw``."""

    def fetch(path, accept_encoding=None, method="GET"):
        # httpx (the TestClient too) would send its own Accept-Encoding and decode: ask
        # for exactly ours and read the bytes as they came.
        headers = {"accept-encoding": accept_encoding or "identity"}
        with client.stream(method, path, headers=headers) as response:
            content = b"".join(response.iter_raw())
        return Raw(response.status_code, response.headers, content)

    return fetch


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_each_coding_decodes_to_the_body(fetch, encoding):
    response = fetch("/compress/json", encoding)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == encoding
    assert response.headers["content-length"] == str(len(response.content))
    assert len(response.content) < len(ROWS_JSON) / 3
    assert DECODERS[encoding](response.content) == ROWS_JSON
    assert "accept-encoding" in response.headers["vary"].lower()


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip, zstd", "zstd"),
        ("br;q=0.5, gzip;q=0.9", "gzip"),
        ("br;q=0, *", "zstd"),
        ("*", "br"),
    ],
)
def test_negotiation(fetch, accept, chosen):
    response = fetch("/compress/text", accept)
    assert response.headers["content-encoding"] == chosen
    assert DECODERS[chosen](response.content) == TEXT.encode()


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "*;q=0", "deflate"])
def test_nothing_acceptable_is_sent_as_is(fetch, accept):
    response = fetch("/compress/json", accept)
    assert "content-encoding" not in response.headers
    assert response.content == ROWS_JSON
    assert "accept-encoding" in response.headers["vary"].lower()


@pytest.mark.parametrize(
    "path", ["/compress/small", "/compress/png", "/compress/off", "/compress/off-above"]
)
def test_skipped_responses(fetch, path):
    response = fetch(path, "gzip, br, zstd")
    assert response.status_code == 200
    assert "content-encoding" not in response.headers


def test_skip_middleware_compression_is_no_compress(fetch):
    response = fetch("/compress/skipped", "gzip")
    assert "content-encoding" not in response.headers
    assert response.content == ROWS_JSON


def test_small_compressible_responses_still_vary(fetch):
    response = fetch("/compress/small", "gzip")
    assert response.content == b'{"ok":true}'
    assert "accept-encoding" in response.headers["vary"].lower()


def test_images_do_not_vary(fetch):
    assert "vary" not in fetch("/compress/png", "gzip").headers


def test_already_encoded_responses_pass_through(fetch):
    response = fetch("/compress/encoded", "br, gzip")
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(response.content) == TEXT.encode()


@pytest.mark.parametrize("path", ["/compress/stream", "/compress/events"])
def test_streams_are_sent_as_produced(fetch, path):
    response = fetch(path, "gzip, br")
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert len(response.content) > 2000


def test_no_content_is_not_compressed(fetch):
    response = fetch("/compress/empty", "gzip")
    assert response.status_code == 204
    assert "content-encoding" not in response.headers


def test_head_is_not_compressed(fetch):
    response = fetch("/compress/json", "gzip", method="HEAD")
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(ROWS_JSON))
    assert response.content == b""


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_big_bodies_are_compressed_as_they_are_sent(fetch, encoding):
    response = fetch("/compress/big", encoding)
    assert response.headers["content-encoding"] == encoding
    assert "content-length" not in response.headers
    assert DECODERS[encoding](response.content) == (TEXT * 120).encode()


def test_compression_is_off_by_default():
    api = BoltAPI()

    @api.get("/rows")
    async def rows():
        return ROWS

    with TestClient(api) as client:
        response = client.get("/rows", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers


def test_config_order_size_and_levels():
    api = BoltAPI(compression=CompressionConfig(encodings=["gzip", "br"], minimum_size=5000))

    @api.get("/rows")
    async def rows():
        return ROWS

    @api.get("/short")
    @no_compress
    async def short():
        return ROWS[:50]

    with TestClient(api) as client:
        response = client.get("/rows", headers={"accept-encoding": "br, gzip, zstd"})
        assert response.headers["content-encoding"] == "gzip"
        assert response.content == ROWS_JSON  # decoded by httpx
        zstd_only = client.get("/rows", headers={"accept-encoding": "zstd"})
        assert "content-encoding" not in zstd_only.headers
        response = client.get("/short", headers={"accept-encoding": "gzip"})
        assert "content-encoding" not in response.headers


def test_a_compressed_body_has_a_weak_etag():
    api = BoltAPI(compression=CompressionConfig())

    @api.get("/rows")
    async def rows():
        return Response(ROWS, headers={"etag": '"rows-1"'})

    with TestClient(api) as client:
        compressed = client.get("/rows", headers={"accept-encoding": "gzip"})
        plain = client.get("/rows", headers={"accept-encoding": "identity"})
    assert compressed.headers["etag"] == 'W/"rows-1"'
    assert plain.headers["etag"] == '"rows-1"'


@pytest.mark.parametrize(
    "options",
    [{"encodings": ["deflate"]}, {"encodings": []}, {"minimum_size": -1}, {"gzip_level": 12}],
)
def test_bad_config_is_refused(options):
    with pytest.raises(ValueError):
        CompressionConfig(**options)


def test_compression_must_be_a_config():
    with pytest.raises(TypeError):
        BoltAPI(compression=True)
