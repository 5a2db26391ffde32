"""h2spec (RFC 7540/7541 conformance, strict) against `django-bolt serve`, in the clear
(h2c prior knowledge) and over TLS (ALPN h2). Every case must pass."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import support

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "transport"))
import certs as test_certs  # noqa: E402

H2SPEC = support.REPO_ROOT.parent / "shared" / "conformance" / "bin" / "h2spec"
SUMMARY = re.compile(r"(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed")

pytestmark = pytest.mark.skipif(not H2SPEC.exists(), reason="h2spec is not beside the project")


def run_h2spec(port: int, *flags: str) -> tuple[int, int, str]:
    result = subprocess.run(
        [str(H2SPEC), "-h", "127.0.0.1", "-p", str(port), "-o", "5", "--strict", *flags],
        capture_output=True,
        text=True,
        timeout=120,
    )
    match = SUMMARY.search(result.stdout)
    assert match, result.stdout[-2000:]
    total, passed, _skipped, failed = map(int, match.groups())
    return total, failed, result.stdout


def test_h2spec_cleartext():
    with support.serve_asgi("apps:main") as server:
        total, failed, report = run_h2spec(server.port)
    assert total >= 140
    assert failed == 0, report[report.find("Failures:") :]


def test_h2spec_tls(tmp_path):
    certs = test_certs.make(tmp_path)
    with support.serve_asgi(
        "apps:main", "--cert", str(certs.cert), "--key", str(certs.key)
    ) as server:
        total, failed, report = run_h2spec(server.port, "-t", "-k")
    assert total >= 140
    assert failed == 0, report[report.find("Failures:") :]
