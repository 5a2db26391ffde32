"""TLS on the server's TCP port: HTTP/1.1 and HTTP/2 (ALPN), client certificates,
certificate reload, and bad TLS input; real clients over real sockets."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import certs as test_certs
import h2.events
import httpx
import pytest
import support

BOLT_PROJECT = Path(__file__).resolve().parent.parent / "bolt" / "project"


def client_context(certs, *, client_cert: bool = False) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs.ca))
    if client_cert:
        context.load_cert_chain(str(certs.client_cert), str(certs.client_key))
    return context


def https_client(certs, server, http2: bool = False, **kwargs) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url,
        verify=client_context(certs, **kwargs),
        http1=not http2,
        http2=http2,
        timeout=10,
    )


def test_http1_over_tls(certs, tls_server):
    with https_client(certs, tls_server) as client:
        response = client.get("/scope?x=1")
    assert response.http_version == "HTTP/1.1"
    scope = response.json()
    assert scope["scheme"] == "https"
    assert scope["http_version"] == "1.1"
    assert scope["query_string"] == "x=1"


def test_alpn_picks_http2(certs, tls_server):
    with https_client(certs, tls_server, http2=True) as client:
        response = client.get("/scope")
    assert response.http_version == "HTTP/2"
    assert response.json()["http_version"] == "2"
    assert response.json()["scheme"] == "https"


def test_alt_svc_advertises_http3_on_the_same_port(certs, tls_server):
    for http2 in (False, True):
        with https_client(certs, tls_server, http2=http2) as client:
            response = client.get("/ok")
        assert response.headers["alt-svc"] == f'h3=":{tls_server.port}"; ma=86400'


def test_curl_http1_over_tls(certs, tls_server):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    result = subprocess.run(
        ["curl", "-sS", "--http1.1", "--cacert", str(certs.ca), f"{tls_server.base_url}/ok"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"ok":true}' or result.stdout.replace(" ", "") == '{"ok":true}'


def _upload(conn: support.H2Connection, stream_id: int, payload: bytes) -> None:
    """Send ``payload`` on ``stream_id`` as flow control allows."""
    sent = 0
    while sent < len(payload):
        window = min(
            conn.conn.local_flow_control_window(stream_id), conn.conn.max_outbound_frame_size
        )
        if window <= 0:
            conn.pump()  # wait for WINDOW_UPDATE
            continue
        chunk = payload[sent : sent + window]
        conn.conn.send_data(stream_id, chunk)
        conn.flush()
        sent += len(chunk)
    conn.conn.end_stream(stream_id)
    conn.flush()


def test_h2_flow_control_large_upload(certs, tls_server):
    payload = hashlib.sha256(b"upload").digest() * (5 * 1024 * 1024 // 32)
    with support.H2Connection(tls_server.address, tls=client_context(certs)) as conn:
        stream_id = conn.conn.get_next_available_stream_id()
        conn.conn.send_headers(
            stream_id,
            [(":method", "POST"), (":scheme", "https"), (":authority", "x"), (":path", "/echo")],
        )
        _upload(conn, stream_id, payload)
        status, _, body = conn.response(stream_id)
    assert status == 200
    assert httpx.Response(200, content=body).json()["sha256"] == hashlib.sha256(payload).hexdigest()


def test_h2_flow_control_large_download(certs, tls_server):
    with support.H2Connection(tls_server.address, tls=client_context(certs)) as conn:
        status, _, body = conn.request("GET", "/stream?chunks=80&size=65536")
    assert status == 200
    assert len(body) == 80 * 65536


def test_rst_stream_mid_body_reaches_the_app_as_disconnect(certs, tls_server):
    """The app starts once the first 16 KiB of a body are in (the part sent here is
    more), and a reset after that reaches it as http.disconnect."""
    key = uuid.uuid4().hex
    with support.H2Connection(tls_server.address, tls=client_context(certs)) as conn:
        stream_id = conn.conn.get_next_available_stream_id()
        conn.conn.send_headers(
            stream_id,
            [
                (":method", "POST"),
                (":scheme", "https"),
                (":authority", "x"),
                (":path", f"/body-disconnect?id={key}"),
            ],
        )
        for _ in range(2):  # one frame carries at most 16 KiB
            conn.conn.send_data(stream_id, b"x" * 10_000)
        conn.flush()
        time.sleep(0.2)
        conn.reset(stream_id)
        with https_client(certs, tls_server) as client:
            # The part sent may reach the app as one message or several.
            seen = support.wait_for(
                lambda: (
                    (client.get("/state", params={"id": key}).json()["state"] or [None])[-2:]
                    == ["http.request", "http.disconnect"]
                ),
                timeout=10,
            )
    assert seen


def test_plain_http_to_the_tls_port_is_told_so(tls_server):
    response = support.raw_exchange(tls_server.address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"speaks HTTPS" in response


def test_garbage_client_hello_is_closed_and_the_server_keeps_serving(certs, tls_server):
    garbage = b"\x16\x03\x01\x00\x10" + b"\xff" * 16
    response = support.raw_exchange(tls_server.address, garbage)
    assert not response.startswith(b"HTTP")
    with https_client(certs, tls_server) as client:
        assert client.get("/ok").json() == {"ok": True}


def test_unknown_ca_fails_the_handshake_without_hurting_others(certs, tls_server):
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{tls_server.base_url}/ok", verify=ssl.create_default_context(), timeout=5)
    with https_client(certs, tls_server) as client:
        assert client.get("/ok").status_code == 200


def test_client_certificates_are_required_with_client_ca(certs):
    options = ("--cert", str(certs.cert), "--key", str(certs.key), "--client-ca", str(certs.ca))
    with support.serve_asgi("apps:main", *options) as server:
        url = f"https://127.0.0.1:{server.port}/ok"
        with pytest.raises(httpx.HTTPError):
            httpx.get(url, verify=client_context(certs), timeout=5)
        response = httpx.get(url, verify=client_context(certs, client_cert=True), timeout=5)
        assert response.json() == {"ok": True}


def _peer_common_name(address, certs) -> str:
    context = client_context(certs)
    with (
        socket.create_connection(address) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        subject = dict(pair[0] for pair in tls.getpeercert()["subject"])
    return subject["commonName"]


def test_sighup_reloads_the_certificate_without_dropping_connections(certs, tmp_path):
    directory = tmp_path / "live"
    shutil.copytree(certs.directory, directory)
    options = ("--cert", str(directory / "server.pem"), "--key", str(directory / "server.key"))
    with support.serve_asgi("apps:main", *options) as server:
        server.base_url = server.base_url.replace("http://", "https://")
        assert _peer_common_name(server.address, certs) == "bolt test server"
        with https_client(certs, server) as kept:
            assert kept.get("/ok").status_code == 200
            test_certs.issue_server_certificate(directory, "server", "bolt renewed server")
            server.process.send_signal(signal.SIGHUP)
            assert support.wait_for(
                lambda: _peer_common_name(server.address, certs) == "bolt renewed server",
                timeout=5,
            )
            assert kept.get("/ok").status_code == 200  # the open connection still works
        # A broken replacement is refused; the server keeps the certificate it has.
        (directory / "server.pem").write_text("not a certificate")
        server.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert _peer_common_name(server.address, certs) == "bolt renewed server"
        assert "certificate reload failed" in server.stderr()


def test_sighup_to_the_parent_of_several_processes_reloads_every_one(certs, tmp_path):
    """``kill -HUP`` of the pid that started (systemd's ``$MAINPID``) reaches every
    server process, instead of ending the parent and leaving them on the old one."""
    directory = tmp_path / "live"
    shutil.copytree(certs.directory, directory)
    options = ("--cert", str(directory / "server.pem"), "--key", str(directory / "server.key"))
    with support.serve_asgi("apps:main", *options, "--processes", "2") as server:
        test_certs.issue_server_certificate(directory, "server", "bolt renewed server")
        server.process.send_signal(signal.SIGHUP)
        assert support.wait_for(
            lambda: _peer_common_name(server.address, certs) == "bolt renewed server",
            timeout=5,
        )
        time.sleep(0.3)  # the other process's reload
        # New connections are spread over both processes by the kernel.
        names = {_peer_common_name(server.address, certs) for _ in range(20)}
        assert names == {"bolt renewed server"}
        assert server.process.poll() is None


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing-cert", "server.pem"),
        ("not-pem", "no PEM certificate found"),
        ("wrong-key", "does not match the certificate"),
        ("no-key", "no PEM item"),
    ],
)
def test_bad_tls_files_stop_startup_with_one_line(certs, tmp_path, setup, expected):
    cert, key = certs.cert, certs.key
    if setup == "missing-cert":
        cert = tmp_path / "server.pem"
    elif setup == "not-pem":
        cert = tmp_path / "garbage.pem"
        cert.write_text("hello")
    elif setup == "wrong-key":
        key = certs.other_key
    elif setup == "no-key":
        key = certs.cert
    port = str(support.free_port())
    result = support.run_cli(
        ["serve", "apps:main", "--port", port, "--cert", str(cert), "--key", str(key)]
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


def test_h2_streams_are_independent_over_tls(certs, tls_server):
    with support.H2Connection(tls_server.address, tls=client_context(certs)) as conn:
        ids = [conn.start_request("GET", f"/scope?n={i}") for i in range(10)]
        bodies = [conn.response(stream_id)[2] for stream_id in ids]
        assert not any(isinstance(e, h2.events.ConnectionTerminated) for e in conn.events)
    assert [httpx.Response(200, content=b).json()["query_string"] for b in bodies] == [
        f"n={i}" for i in range(10)
    ]


def test_a_stalled_handshake_does_not_block_other_clients(certs, tls_server):
    with socket.create_connection(tls_server.address) as stalled:
        stalled.sendall(b"\x16")  # the first byte of a ClientHello, then nothing
        started = time.monotonic()
        with https_client(certs, tls_server) as client:
            assert client.get("/ok").status_code == 200
        assert time.monotonic() - started < 2


def test_http3_without_tls_is_a_one_line_error():
    result = support.run_cli(["serve", "apps:main", "--port", str(support.free_port()), "--http3"])
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "django-bolt: error: HTTP/3 needs TLS: give a certificate and a key"
    )


def test_runbolt_dev_https_makes_and_reuses_a_development_certificate(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(BOLT_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    port = support.free_port()
    argv = [sys.executable, "manage.py", "runbolt", "--dev", "--https", "--port", str(port)]
    cert = project / ".bolt" / "dev-cert.pem"
    for run in ("first", "second"):
        process = subprocess.Popen(
            argv,
            cwd=project,
            env=support.subprocess_env(()),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # --dev serves from a reloader child process
        )
        try:
            assert support.wait_for(lambda: _answers_https(port, cert), timeout=20), run
            if run == "first":
                first_pem = cert.read_text()
            else:
                assert cert.read_text() == first_pem  # cached, not made again
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            output = process.communicate(timeout=10)[0]
        assert f"development certificate: {cert}" in output
        assert (project / ".bolt" / "dev-key.pem").stat().st_mode & 0o077 == 0


def _answers_https(port: int, cert) -> bool:
    try:
        response = httpx.get(
            f"https://localhost:{port}/api/items/3",
            verify=ssl.create_default_context(cafile=str(cert)),
            timeout=2,
        )
    except (httpx.HTTPError, OSError):
        return False
    return response.json() == {"id": 3, "q": None, "page": 1}


def test_encrypted_key_with_its_password(certs, tmp_path):
    encrypted = tmp_path / "encrypted.key"
    subprocess.run(
        ["openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", str(certs.key)]
        + ["-out", str(encrypted), "-passout", "pass:s3cret"],
        check=True,
        capture_output=True,
    )
    base = ["serve", "apps:main", "--cert", str(certs.cert), "--key", str(encrypted)]
    options = ("--cert", str(certs.cert), "--key", str(encrypted), "--key-password", "s3cret")
    with support.serve_asgi("apps:main", *options) as server:
        response = httpx.get(f"https://127.0.0.1:{server.port}/ok", verify=client_context(certs))
        assert response.json() == {"ok": True}
    for extra, expected in (
        (["--key-password", "wrong"], "wrong password"),
        ([], "the key is encrypted; give its password"),
    ):
        result = support.run_cli([*base, "--port", str(support.free_port()), *extra])
        assert result.returncode == 1
        assert expected in result.stderr.strip()
        assert len(result.stderr.strip().splitlines()) == 1


def test_tls12_clients_are_served(certs, tls_server):
    context = client_context(certs)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection(tls_server.address) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() == "TLSv1.2"
        tls.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert support.read_until_closed(tls).startswith(b"HTTP/1.1 200")


def test_pkcs1_rsa_key(certs, tmp_path):
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", "rsa.key", "2048"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["openssl", "req", "-x509", "-key", "rsa.key", "-subj", "/CN=rsa", "-days", "1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-out", "rsa.pem"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    assert "BEGIN RSA PRIVATE KEY" in (tmp_path / "rsa.key").read_text()
    options = ("--cert", str(tmp_path / "rsa.pem"), "--key", str(tmp_path / "rsa.key"))
    with support.serve_asgi("apps:main", *options) as server:
        verify = ssl.create_default_context(cafile=str(tmp_path / "rsa.pem"))
        response = httpx.get(f"https://127.0.0.1:{server.port}/ok", verify=verify)
        assert response.json() == {"ok": True}
