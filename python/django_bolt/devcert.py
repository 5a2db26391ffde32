"""A cached self-signed certificate for ``runbolt --dev --https``."""

from __future__ import annotations

import os
from pathlib import Path

from . import _core


def development_certificate(directory: Path) -> tuple[Path, Path, bool]:
    """``(cert, key, created)``: the certificate for localhost, 127.0.0.1 and ::1 in
    ``directory``, made on first use and kept for the next runs."""
    cert, key = directory / "dev-cert.pem", directory / "dev-key.pem"
    if cert.is_file() and key.is_file():
        return cert, key, False
    directory.mkdir(parents=True, exist_ok=True)
    cert_pem, key_pem = _core.development_certificate()
    cert.write_text(cert_pem)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key_pem)
    return cert, key, True


def trust_hint(cert: Path) -> str:
    return (
        f"development certificate: {cert}\n"
        "  it is self-signed; to trust it: curl --cacert "
        + str(cert)
        + " https://localhost:PORT/, "
        "python/httpx verify=" + repr(str(cert)) + ", or add it to your system's store "
        "(Debian: copy to /usr/local/share/ca-certificates/bolt-dev.crt and run "
        "update-ca-certificates)"
    )
