"""scripts/vendor_docs_ui.py: a package's tarball is used only when its sha512 is the one
pinned in assets.json; its files, licences and compressed siblings are copied. Packs a
local folder with npm (no network)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "vendor_docs_ui.py"


@pytest.fixture(scope="module")
def script():
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed (Node.js's npm; scripts/setup.sh says how)")
    spec = importlib.util.spec_from_file_location("vendor_docs_ui", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def package(tmp_path):
    source = tmp_path / "ui-package"
    (source / "dist").mkdir(parents=True)
    (source / "package.json").write_text(json.dumps({"name": "bolt-test-ui", "version": "1.0.0"}))
    (source / "LICENSE").write_text("MIT: the licence text\n")
    (source / "dist" / "ui.js").write_text("console.log('docs');\n" * 200)
    return source


def entry(integrity: str) -> dict:
    return {
        "integrity": integrity,
        "files": {"ui.js": "dist/ui.js"},
        "licence": ["LICENSE", "package.json"],
    }


def npm_integrity(package: Path, tmp: Path) -> str:
    """The integrity npm reports for its tarball of ``package``."""
    tmp.mkdir()
    packed = subprocess.run(
        ["npm", "pack", str(package), "--json", "--pack-destination", str(tmp)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(packed.stdout)[0]["integrity"]


def test_a_tarball_with_the_pinned_integrity_is_copied_with_licences(script, package, tmp_path):
    folder = tmp_path / "vendor" / "ui-1.0.0"
    integrity = npm_integrity(package, tmp_path / "probe")
    script.vendor(str(package), entry(integrity), folder, tmp_path / "work")
    script_text = (package / "dist" / "ui.js").read_bytes()
    assert (folder / "ui.js").read_bytes() == script_text
    assert gzip.decompress((folder / "ui.js.gz").read_bytes()) == script_text
    assert (folder / "licences" / "LICENSE").read_text() == "MIT: the licence text\n"
    assert (folder / "licences" / "package.json").is_file()
    assert (folder / script.STAMP).read_text().strip() == integrity


def test_a_tarball_with_another_integrity_is_refused(script, package, tmp_path):
    folder = tmp_path / "vendor" / "ui-1.0.0"
    pinned = "sha512-" + "A" * 86 + "=="
    with pytest.raises(ValueError, match="not the pinned sha512-AAAA"):
        script.vendor(str(package), entry(pinned), folder, tmp_path / "work")
    assert not folder.exists()
