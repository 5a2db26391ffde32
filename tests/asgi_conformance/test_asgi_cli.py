"""`django-bolt serve` refuses bad targets and busy ports: exit 1, one clear line."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import support

APP_OUTPUT = "conformance:"  # what the test apps themselves print


def one_line(stderr: str) -> str:
    lines = [
        line for line in stderr.splitlines() if line.strip() and not line.startswith(APP_OUTPUT)
    ]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    return lines[0]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("no_such_module_for_bolt:app", "no_such_module_for_bolt"),
        ("apps:no_such_attribute", "no_such_attribute"),
        ("apps:NOT_CALLABLE", "not callable"),
        ("apps", "module.path:attribute"),
    ],
    ids=["missing-module", "missing-attribute", "not-callable", "no-colon"],
)
def test_bad_target(target, expected):
    result = support.run_cli(["serve", target, "--port", str(support.free_port())])
    assert result.returncode == 1, result.stderr
    line = one_line(result.stderr)
    assert expected in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "target",
    ["apps:main", "apps:lifespan_state"],
    ids=["without-lifespan", "with-lifespan"],
)
def test_port_already_in_use(target):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        result = support.run_cli(["serve", target, "--host", "127.0.0.1", "--port", str(port)])
    assert result.returncode == 1, result.stderr
    line = one_line(result.stderr)
    assert str(port) in line
    assert "in use" in line.lower()
    if target == "apps:lifespan_state":
        # Startup had completed, so the app is told to shut down before the exit.
        assert "conformance: lifespan shutdown received" in result.stderr


def test_console_script_reports_a_bad_target():
    script = Path(sys.executable).with_name("django-bolt")
    if not script.exists():
        pytest.skip("the django-bolt console script is not installed in this environment")
    result = subprocess.run(
        [str(script), "serve", "no_such_module_for_bolt:app"],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=support.REPO_ROOT,
    )
    assert result.returncode == 1
    assert "no_such_module_for_bolt" in one_line(result.stderr)


def test_gc_is_tuned_while_serving_and_the_option_turns_it_off():
    default_young, *older = __import__("gc").get_threshold()
    with support.serve_asgi("apps:main") as server:
        tuned = httpx.get(f"{server.base_url}/gc").json()
    assert tuned["threshold"] == [10_000, *older]
    assert tuned["frozen"] > 1000  # modules and the app, loaded before serving
    with support.serve_asgi("apps:main", "--gc-threshold", "0") as server:
        untouched = httpx.get(f"{server.base_url}/gc").json()
    assert untouched == {"threshold": [default_young, *older], "frozen": 0}


def test_negative_gc_threshold_is_refused():
    result = support.run_cli(["serve", "apps:main", "--gc-threshold", "-1"])
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        "django-bolt serve: error: argument --gc-threshold: must be from 0 to 2147483647, not -1"
    )
