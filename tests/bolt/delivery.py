"""What test_file_response.py and test_compression.py share: the delivery project (its
routes, the files it serves) through the TestClient and a real runbolt process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import support

PROJECT = Path(__file__).resolve().parent / "delivery_project"
sys.path.insert(0, str(PROJECT))

from deliveryproj.api import api  # noqa: E402

from django_bolt.testing import TestClient  # noqa: E402

REPORT = bytes(range(256)) * 40  # 10240 bytes
PAGE = "<html><body>" + "<p>hello</p>" * 300 + "</body></html>"
CLIENTS = ["testclient", "http1", "http2"]


def make_files(folder: Path) -> Path:
    """The files the project's routes serve, in ``folder``."""
    (folder / "report.bin").write_bytes(REPORT)
    (folder / "page.html").write_text(PAGE)
    (folder / "secret.txt").write_text("top secret")
    public = folder / "public"
    (public / "sub").mkdir(parents=True)
    (public / "hello.txt").write_text("hello from public")
    (public / "sub" / "deep.txt").write_text("deep")
    (public / "link.txt").symlink_to(folder / "secret.txt")
    return folder


def serve(folder: Path, *options: str):
    """runbolt on the delivery project, serving the files in ``folder``."""
    port = support.free_port()
    server = support.start_server(
        [sys.executable, "manage.py", "runbolt", "--host", support.HOST, "--port", str(port)]
        + ["--no-asgi", *options],
        port=port,
        cwd=PROJECT,
        env=support.subprocess_env((), DELIVERY_FILES=str(folder)),
    )
    return support.running(server)


def test_client(folder: Path) -> TestClient:
    os.environ["DELIVERY_FILES"] = str(folder)
    return TestClient(api)
