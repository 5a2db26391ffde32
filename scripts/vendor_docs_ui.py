#!/usr/bin/env python3
"""Fetch the docs UIs' JavaScript and CSS into the package, so /docs works offline.

    python scripts/vendor_docs_ui.py           # fetch what is missing or stale
    python scripts/vendor_docs_ui.py --check   # exit 1 unless every UI is in place

Reads python/django_bolt/openapi/assets.json (package, pinned version, the sha512
integrity of its tarball, the files to copy), downloads each tarball with `npm pack`,
refuses a tarball whose sha512 differs from the pinned one, and copies the listed files
and the package's licence files into python/django_bolt/openapi/vendor/<ui>-<version>/,
with gzip (and brotli, when the `brotli` module is installed) siblings the server sends
to clients that take them. The vendor folder is not committed; a wheel built after this
script ran carries it. Uses only the standard library and npm.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "python" / "django_bolt" / "openapi"
MANIFEST = OPENAPI / "assets.json"
VENDOR = OPENAPI / "vendor"
#: Written last into a UI's folder: the integrity of the tarball it came from.
STAMP = ".integrity"
#: Files smaller than this are not worth a compressed sibling.
MIN_COMPRESSED_SIZE = 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report what is missing")
    args = parser.parse_args()
    manifest = json.loads(MANIFEST.read_text())
    stale = [ui for ui, entry in manifest.items() if not _in_place(ui, entry)]
    if args.check:
        for ui in stale:
            print(f"missing or stale: {_folder(ui, manifest[ui]).relative_to(ROOT)}")
        return 1 if stale else 0
    if stale and shutil.which("npm") is None:
        print(
            "error: npm not found; install Node.js and npm to fetch the docs UIs "
            "(without them /docs loads its UIs from a CDN)",
            file=sys.stderr,
        )
        return 1
    _remove_unlisted(manifest)
    with tempfile.TemporaryDirectory(prefix="bolt-docs-ui-") as tmp:
        for ui in stale:
            try:
                entry = manifest[ui]
                spec = f"{entry['package']}@{entry['version']}"
                print(f"fetching {spec}")
                vendor(spec, entry, _folder(ui, entry), Path(tmp) / ui)
            except (OSError, subprocess.CalledProcessError, ValueError) as exc:
                print(f"error: {ui}: {exc}", file=sys.stderr)
                return 1
    for ui, entry in manifest.items():
        state = "fetched" if ui in stale else "in place"
        print(f"docs UI {ui} {entry['version']}: {state}")
    return 0


def _folder(ui: str, entry: dict) -> Path:
    return VENDOR / f"{ui}-{entry['version']}"


def _in_place(ui: str, entry: dict) -> bool:
    folder = _folder(ui, entry)
    stamp = folder / STAMP
    if not stamp.is_file() or stamp.read_text().strip() != entry["integrity"]:
        return False
    return all((folder / name).is_file() for name in entry["files"])


def _remove_unlisted(manifest: dict) -> None:
    """Drop folders of versions the manifest no longer names."""
    wanted = {_folder(ui, entry).name for ui, entry in manifest.items()}
    if VENDOR.is_dir():
        for folder in VENDOR.iterdir():
            if folder.is_dir() and folder.name not in wanted:
                shutil.rmtree(folder)


def vendor(spec: str, entry: dict, folder: Path, tmp: Path) -> None:
    """Pack ``spec`` with npm into ``tmp``, check the tarball against the entry's
    integrity, and copy its files and licences into ``folder`` (replaced)."""
    tmp.mkdir(parents=True, exist_ok=True)
    packed = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(tmp)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp,
    )
    tarball = tmp / json.loads(packed.stdout)[0]["filename"]
    integrity = _sha512(tarball)
    if integrity != entry["integrity"]:
        raise ValueError(
            f"{tarball.name} has integrity {integrity}, not the pinned {entry['integrity']}"
        )
    unpacked = tmp / "unpacked"
    with tarfile.open(tarball) as archive:
        archive.extractall(unpacked, filter="data")
    package = unpacked / "package"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, source in entry["files"].items():
        target = folder / name
        shutil.copyfile(package / source, target)
        _compress(target)
    licences = folder / "licences"
    licences.mkdir()
    for source in entry["licence"]:
        shutil.copyfile(package / source, licences / Path(source).name)
    (folder / STAMP).write_text(entry["integrity"] + "\n")


def _sha512(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def _compress(path: Path) -> None:
    """Write `path.gz` (and `path.br` with the brotli module) beside `path`."""
    data = path.read_bytes()
    if len(data) < MIN_COMPRESSED_SIZE:
        return
    # mtime=0: the same input gives the same bytes, so rebuilds are reproducible.
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, 9, mtime=0))
    try:
        import brotli
    except ImportError:
        return
    path.with_name(path.name + ".br").write_bytes(brotli.compress(data, quality=11))


if __name__ == "__main__":
    sys.exit(main())
