"""Test certificates made with openssl: a CA, a server certificate for 127.0.0.1 and
localhost signed by it, a client certificate, and broken files for error tests."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certs:
    ca: Path
    cert: Path
    key: Path
    client_cert: Path
    client_key: Path
    other_key: Path
    directory: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ec_key(name: str, cwd: Path) -> None:
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name, cwd=cwd)


def make(directory: Path) -> Certs:
    directory.mkdir(parents=True, exist_ok=True)
    _ec_key("ca.key", directory)
    _openssl(
        "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=bolt test CA",
        "-days", "2", "-out", "ca.pem", cwd=directory,
    )  # fmt: skip
    issue_server_certificate(directory, "server", "bolt test server")
    _ec_key("client.key", directory)
    _openssl(
        "req", "-new", "-key", "client.key", "-subj", "/CN=bolt test client",
        "-out", "client.csr", cwd=directory,
    )  # fmt: skip
    (directory / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    _openssl(
        "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "client.ext", "-out", "client.pem",
        cwd=directory,
    )  # fmt: skip
    _ec_key("other.key", directory)
    return Certs(
        ca=directory / "ca.pem",
        cert=directory / "server.pem",
        key=directory / "server.key",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
        other_key=directory / "other.key",
        directory=directory,
    )


def issue_server_certificate(directory: Path, name: str, common_name: str) -> None:
    """``name.pem`` (leaf then CA) and ``name.key`` for 127.0.0.1, ::1 and localhost."""
    _ec_key(f"{name}.key", directory)
    _openssl(
        "req", "-new", "-key", f"{name}.key", "-subj", f"/CN={common_name}",
        "-out", f"{name}.csr", cwd=directory,
    )  # fmt: skip
    (directory / f"{name}.ext").write_text(
        "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.leaf",
        cwd=directory,
    )  # fmt: skip
    chain = (directory / f"{name}.leaf").read_text() + (directory / "ca.pem").read_text()
    (directory / f"{name}.pem").write_text(chain)
