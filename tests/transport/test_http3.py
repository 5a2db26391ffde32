"""HTTP/3 over QUIC on the TCP port's number, through the same service (aioquic client)."""

from __future__ import annotations

import hashlib
import json
import signal
import threading
import time
from pathlib import Path

import h3client
import support

BOLT_PROJECT = Path(__file__).resolve().parent.parent / "bolt" / "project"


def test_http3_scope(certs, tls_server):
    [response] = h3client.run(tls_server.port, certs.ca, [("GET", "/scope?via=h3", b"")])
    assert response.status == 200
    scope = json.loads(response.body)
    assert scope["http_version"] == "3"
    assert scope["scheme"] == "https"
    assert scope["query_string"] == "via=h3"
    assert ["host", "127.0.0.1"] in scope["headers"]


def test_http3_large_upload_and_download(certs, tls_server):
    upload = hashlib.sha256(b"h3").digest() * (1536 * 1024 // 32)  # 1.5 MiB
    posted, streamed = h3client.run(
        tls_server.port,
        certs.ca,
        [("POST", "/echo", upload), ("GET", "/stream?chunks=24&size=65536", b"")],
    )
    assert posted.status == 200
    assert json.loads(posted.body)["sha256"] == hashlib.sha256(upload).hexdigest()
    assert json.loads(posted.body)["length"] == len(upload)
    assert streamed.status == 200
    assert len(streamed.body) == 24 * 65536


def test_http3_many_streams_on_one_connection(certs, tls_server):
    responses = h3client.run(
        tls_server.port, certs.ca, [("GET", f"/scope?n={i}", b"") for i in range(30)]
    )
    assert [json.loads(r.body)["query_string"] for r in responses] == [f"n={i}" for i in range(30)]


def test_http3_app_error_is_500(certs, tls_server):
    [response] = h3client.run(tls_server.port, certs.ca, [("GET", "/raise-before-start", b"")])
    assert response.status == 500


def test_bolt_routes_over_http3(certs):
    options = ("--cert", str(certs.cert), "--key", str(certs.key), "--http3")
    with support.serve_django(BOLT_PROJECT, *options) as server:
        got, created, bad = h3client.run(
            server.port,
            certs.ca,
            [
                ("GET", "/api/items/7?q=quic", b""),
                ("POST", "/api/items", b'{"name": "Widget", "price": 2.5}'),
                ("GET", "/api/items/x", b""),
            ],
        )
    assert (got.status, json.loads(got.body)) == (200, {"id": 7, "q": "quic", "page": 1})
    assert (created.status, json.loads(created.body)) == (201, {"name": "Widget", "price": 2.5})
    assert bad.status == 422


def test_http3_graceful_shutdown_finishes_in_flight_requests(certs):
    options = ("--cert", str(certs.cert), "--key", str(certs.key), "--http3")
    with support.serve_asgi("apps:main", *options) as server:
        results = {}

        def slow_request():
            results["responses"] = h3client.run(
                server.port, certs.ca, [("GET", "/slow?seconds=1", b"")]
            )

        thread = threading.Thread(target=slow_request)
        thread.start()
        time.sleep(0.4)  # the request is in flight (the app sleeps 1 s)
        server.process.send_signal(signal.SIGTERM)
        thread.join(15)
        [response] = results["responses"]
        assert response.status == 200
        assert response.body == b"slow response complete"
        assert server.process.wait(15) == 0


def test_http3_body_limit_is_413(certs):
    options = ("--cert", str(certs.cert), "--key", str(certs.key), "--http3")
    with support.serve_asgi("apps:main", *options, "--max-body-size", "1000") as server:
        too_big, fits = h3client.run(
            server.port, certs.ca, [("POST", "/echo", b"x" * 5000), ("POST", "/echo", b"x" * 10)]
        )
    assert too_big.status == 413
    assert json.loads(fits.body)["length"] == 10
