"""ASGI extensions: http.response.trailers, http.response.pathsend, tls."""

from __future__ import annotations

import ssl
import sys
from pathlib import Path

import h2.events
import httpx
import pytest
import support

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "transport"))
import certs as test_certs  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with support.serve_asgi("apps:main") as server:
        yield server


def test_trailers_over_http2(server):
    with support.H2Connection(server.address) as conn:
        stream_id = conn.start_request("GET", "/trailers")
        status, _, body = conn.response(stream_id)
        trailers = [e for e in conn.events if isinstance(e, h2.events.TrailersReceived)]
    assert (status, body) == (200, b"body then trailers")
    assert len(trailers) == 1
    assert dict(trailers[0].headers) == {"x-checksum": "abc", "x-rows": "2"}


def test_trailers_over_http1_with_te_trailers(server):
    request = b"GET /trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n"
    response = support.raw_exchange(server.address, request)
    assert b"transfer-encoding: chunked" in response.lower()
    assert b"x-checksum: abc" in response.lower()


def test_pathsend_serves_the_file_from_rust(server, tmp_path):
    data = bytes(range(256)) * 4096  # 1 MiB
    (tmp_path / "big.bin").write_bytes(data)
    response = httpx.get(f"{server.base_url}/pathsend", params={"path": str(tmp_path / "big.bin")})
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(data))
    assert response.content == data


def test_pathsend_answers_ranges_and_conditional_requests(server, tmp_path):
    data = bytes(range(256)) * 8
    (tmp_path / "small.bin").write_bytes(data)
    url, params = f"{server.base_url}/pathsend", {"path": str(tmp_path / "small.bin")}
    whole = httpx.get(url, params=params)
    assert whole.headers["accept-ranges"] == "bytes"
    part = httpx.get(url, params=params, headers={"range": "bytes=-10"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}"
    assert part.content == data[-10:]
    cached = httpx.get(url, params=params, headers={"if-none-match": whole.headers["etag"]})
    assert (cached.status_code, cached.content) == (304, b"")


def test_pathsend_of_a_missing_file_raises_in_the_app(server, tmp_path):
    response = httpx.get(f"{server.base_url}/pathsend", params={"path": str(tmp_path / "nope")})
    assert response.status_code == 500
    state = httpx.get(f"{server.base_url}/state", params={"id": "pathsend-missing"}).json()
    assert state["state"] is True


def test_tls_extension_only_on_tls(server, tmp_path):
    assert httpx.get(f"{server.base_url}/tls").json() == {"tls": None}
    certs = test_certs.make(tmp_path)
    options = ("--cert", str(certs.cert), "--key", str(certs.key), "--client-ca", str(certs.ca))
    with support.serve_asgi("apps:main", *options) as tls_server:
        context = ssl.create_default_context(cafile=str(certs.ca))
        context.load_cert_chain(str(certs.client_cert), str(certs.client_key))
        with httpx.Client(verify=context) as client:
            info = client.get(f"https://127.0.0.1:{tls_server.port}/tls").json()["tls"]
            # The same connection's next scope: an app's change to the last one is gone.
            assert client.get(f"https://127.0.0.1:{tls_server.port}/tls").json()["tls"] == info
    assert info["tls_version"] in (0x0303, 0x0304)
    assert isinstance(info["cipher_suite"], int)
    leaf = info["client_cert_chain"][0]  # OpenSSL may send the CA after it
    assert leaf.startswith("-----BEGIN CERTIFICATE-----\n")
    assert leaf.strip() == certs.client_cert.read_text().strip()
