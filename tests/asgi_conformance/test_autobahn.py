"""Autobahn|Testsuite's fuzzing client against a raw ASGI echo app served by
`django-bolt serve`. Every case must be OK, NON-STRICT or INFORMATIONAL. The
permessage-deflate cases (12.*, 13.*) are excluded: the server does not offer
compression, so they have nothing to test."""

from __future__ import annotations

import json
import subprocess
from collections import Counter

import pytest
import support

CONFORMANCE = support.REPO_ROOT.parent / "shared" / "conformance"
INSTALLER = CONFORMANCE / "install-autobahn.sh"
WSTEST_HOME = support.REPO_ROOT / "target" / "autobahn"
PASSING = {"OK", "NON-STRICT", "INFORMATIONAL"}

pytestmark = pytest.mark.skipif(
    not INSTALLER.exists(), reason="the Autobahn installer is not beside the project"
)


def wstest() -> str:
    binary = WSTEST_HOME / "bin" / "wstest"
    if not binary.exists():
        result = subprocess.run(
            ["bash", str(INSTALLER), str(WSTEST_HOME)], capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0 or not binary.exists():
            pytest.fail(
                f"installing Autobahn failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
    return str(binary)


@pytest.mark.timeout(900)
def test_autobahn_fuzzing_client(tmp_path):
    binary = wstest()
    with support.serve_asgi("apps:main", "--max-body-size", str(20 * 1024 * 1024)) as server:
        spec = {
            "outdir": str(tmp_path / "reports"),
            "servers": [{"agent": "django-bolt", "url": f"ws://127.0.0.1:{server.port}/ws-echo"}],
            "cases": ["*"],
            "exclude-cases": ["12.*", "13.*"],
            "exclude-agent-cases": {},
        }
        (tmp_path / "spec.json").write_text(json.dumps(spec))
        subprocess.run(
            [binary, "-m", "fuzzingclient", "-s", str(tmp_path / "spec.json")],
            cwd=tmp_path,
            capture_output=True,
            timeout=800,
            check=True,
        )
    results = json.loads((tmp_path / "reports" / "index.json").read_text())["django-bolt"]
    behaviors = Counter(case["behavior"] for case in results.values())
    failed = sorted(name for name, case in results.items() if case["behavior"] not in PASSING)
    assert len(results) >= 300, behaviors
    assert not failed, f"{behaviors}: {failed}"
