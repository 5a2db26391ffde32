"""Where the docs UIs' JavaScript and CSS come from.

``assets.json`` pins each UI's npm package, version and tarball integrity;
``scripts/vendor_docs_ui.py`` (run by ``scripts/setup.sh``, and before building a wheel)
copies their files into ``vendor/<ui>-<version>/``. The server answers them from Rust
under ``{docs path}/assets/`` with a year of immutable caching: the version is in the
URL, so a new version is a new URL. The small scripts that start a UI without an inline
``<script>`` (``static/``) are served there too, under a name with their content's hash.

A UI whose files are missing from this installation, or every UI with
``OpenAPIConfig(assets="cdn")``, loads from a CDN at the same pinned version.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("django_bolt")

HERE = Path(__file__).resolve().parent
#: The vendored UIs, one folder per UI and version (not committed; fetched at build).
VENDOR = HERE / "vendor"
#: Our own start-up scripts (committed).
OWN = HERE / "static"
#: The sub-path under the docs path where the assets are served.
ASSETS_NAME = "assets"
#: Versioned URLs never change content: cache them for a year, never revalidate.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Where the assets come from: this package (falling back to the CDN for a UI whose
#: files are missing, with a warning), or the CDN.
SOURCES = ("package", "cdn")


@dataclass(frozen=True)
class UIAssets:
    """One UI's pinned package and the files served from it."""

    ui: str
    package: str
    version: str
    #: Served name: path in the npm package.
    files: dict[str, str]
    #: The package's base URL on the CDN, ending with '/'.
    cdn: str

    @property
    def folder(self) -> Path:
        return VENDOR / f"{self.ui}-{self.version}"

    def vendored(self) -> bool:
        """Whether every file of the UI is in this installation."""
        return all((self.folder / name).is_file() for name in self.files)


@functools.cache
def manifest() -> dict[str, UIAssets]:
    """Every UI of ``assets.json``, by its name."""
    entries = json.loads((HERE / "assets.json").read_text())
    return {
        ui: UIAssets(ui, entry["package"], entry["version"], entry["files"], entry["cdn"])
        for ui, entry in entries.items()
    }


@functools.cache
def own_prefix() -> str:
    """The folder name our start-up scripts are served under: their content's hash, so
    a changed script is a new URL (they are cached as immutable too)."""
    digest = hashlib.sha256()
    for path in sorted(OWN.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"bolt-{digest.hexdigest()[:12]}"


class AssetURLs:
    """The URLs of the docs pages' scripts and stylesheets for one docs path."""

    def __init__(self, base: str, source: str) -> None:
        #: ``{docs path}/assets/``.
        self.base = base
        self.source = source
        self._warned: set[str] = set()

    def url(self, ui: str, name: str) -> str:
        """The URL of the UI's file ``name``: served from the package, or the CDN's."""
        assets = manifest()[ui]
        if self.source == "package" and assets.vendored():
            return f"{self.base}{assets.folder.name}/{name}"
        if self.source == "package" and ui not in self._warned:
            self._warned.add(ui)
            logger.warning(
                "docs UI %s %s is not in this installation (scripts/vendor_docs_ui.py "
                "fetches it before a build); its page loads it from %s",
                ui,
                assets.version,
                assets.cdn,
            )
        return assets.cdn + assets.files[name]

    def own(self, name: str) -> str:
        """The URL of our start-up script ``name``."""
        return f"{self.base}{own_prefix()}/{name}"


def asset_mount(base: str) -> tuple[str, list[tuple[str, str]], str, bool]:
    """The folders behind ``base`` (``{docs path}/assets/``), as ``_core.StaticFiles``
    takes a mount: the vendored UIs (when fetched) and our start-up scripts."""
    roots = [(own_prefix(), str(OWN))]
    if VENDOR.is_dir():
        roots.append(("", str(VENDOR)))
    return base, roots, IMMUTABLE, True
